// Go's time.Time text forms, for the JSON that Prometheus and Alertmanager
// clients parse.
//
//   common::FormatRfc3339Nano(absl::FromUnixMillis(1700000000123))
//     == "2023-11-14T22:13:20.123Z"
#pragma once

#include <string>

#include "absl/time/time.h"

namespace omni::common {

// Go's time.RFC3339Nano in UTC (as time.Time's JSON encoding): four-digit
// year, seconds with the fraction's trailing zeros dropped (no fraction when
// it is zero), "Z". Zero/unset times are the caller's to map.
std::string FormatRfc3339Nano(absl::Time t);

}  // namespace omni::common
