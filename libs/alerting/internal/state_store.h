// RocksDB settings and status mapping shared by the alerter's small durable
// stores (silences, notification log). Not a public API.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/options.h"
#include "rocksdb/status.h"

namespace omni::alerting::internal {

// These stores hold kilobytes to a few megabytes, written a record at a
// time with sync. RocksDB's defaults are sized for far more: a 64 MiB
// memtable, and WAL files preallocated to ~70 MiB of real disk blocks each,
// which made every alerter data directory ~90 MiB.
inline rocksdb::Options StateStoreOptions() {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 1 << 20;
  o.allow_fallocate = false;
  o.keep_log_file_num = 2;
  o.max_log_file_size = 1 << 20;
  return o;
}

inline absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(std::string(what), ": ", s.ToString()));
}

}  // namespace omni::alerting::internal
