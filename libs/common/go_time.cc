#include "libs/common/go_time.h"

#include <cstdint>

namespace omni::common {

std::string FormatRfc3339Nano(absl::Time t) {
  // Hot (two per alert in every webhook payload): plain arithmetic (days to civil
  // date after H. Hinnant's algorithm) instead of absl::FormatTime's
  // format-string interpretation. Years outside 0000-9999 take the slow path.
  const int64_t secs = absl::ToUnixSeconds(t);
  const int64_t nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(secs));
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const int64_t sod = secs - days * 86400;
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
  char buf[32];
  auto put = [](char* p, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
  };
  put(buf, year, 4);
  buf[4] = '-';
  put(buf + 5, month, 2);
  buf[7] = '-';
  put(buf + 8, day, 2);
  buf[10] = 'T';
  put(buf + 11, sod / 3600, 2);
  buf[13] = ':';
  put(buf + 14, sod / 60 % 60, 2);
  buf[16] = ':';
  put(buf + 17, sod % 60, 2);
  size_t n = 19;
  if (nanos > 0) {  // Go's RFC3339Nano: the fraction without trailing zeros
    buf[n++] = '.';
    put(buf + n, nanos, 9);
    n += 9;
    while (buf[n - 1] == '0') --n;
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

}  // namespace omni::common
