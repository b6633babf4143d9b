// Per-thread CPU priority, so that background work (scrapes, storage
// maintenance) yields to query threads when the cores are busy.
//
//   // at the top of a background thread's loop:
//   common::LowerCurrentThreadPriority(10);   // nice +10 from the process's level
#pragma once

#include "absl/status/status.h"

namespace omni::common {

// Adds `nice_increment` (0..19) to the calling thread's nice value (Linux
// keeps one per thread). A thread at nice +10 gets about a tenth of a core
// that a nice-0 thread also wants, and a waking nice-0 thread preempts it at
// once. Raising priority needs privileges and is not offered. 0 is a no-op.
absl::Status LowerCurrentThreadPriority(int nice_increment);

// The calling thread's nice value.
int CurrentThreadNice();

}  // namespace omni::common
