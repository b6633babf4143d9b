#include "libs/json/float_format.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace omni::json {
namespace {

// Appends the shortest round-trip representation of `v` in the given format.
void AppendShortest(std::string* out, double v, std::chars_format fmt) {
  char buf[400];  // fixed notation of 1e-6..1e21 needs at most ~30 chars; be generous
  auto res = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  out->append(buf, res.ptr);
}

// Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest round-trip digits,
// padded with zeros. std::to_chars(fixed) differs when the shortest digits
// end before the decimal point: of the equally long candidates it prints the
// exact one (4.11522630041e+20 -> "411522630041000017920", Go:
// "411522630041000000000").
void AppendShortestFixedGeneral(std::string* out, double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const char* e = static_cast<const char*>(std::memchr(buf, 'e', res.ptr - buf));
  int exp = 0;
  std::from_chars(e + (e[1] == '+' ? 2 : 1), res.ptr, exp);
  std::string digits;
  for (const char* p = buf; p < e; ++p) {
    if (*p != '.' && *p != '-') digits.push_back(*p);
  }
  if (v == 0 || exp + 1 < static_cast<int>(digits.size())) {  // a fraction: to_chars agrees
    AppendShortest(out, v, std::chars_format::fixed);
    return;
  }
  if (v < 0) out->push_back('-');
  out->append(digits);
  out->append(static_cast<size_t>(exp) + 1 - digits.size(), '0');
}

// The same, fast for the values samples usually hold. Below 2^53 every
// integer is a double and vice versa, so an integral value's shortest digits
// are its integer digits, and a non-integral value's shortest digits always
// reach past the decimal point (the case where to_chars(fixed) agrees).
void AppendShortestFixed(std::string* out, double v) {
  constexpr double kExactInts = 9007199254740992.0;  // 2^53
  if (!(std::fabs(v) < kExactInts)) return AppendShortestFixedGeneral(out, v);
  char buf[32];
  double whole = std::trunc(v);
  if (whole == v && !(v == 0 && std::signbit(v))) {
    auto res = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(v));
    out->append(buf, res.ptr);
    return;
  }
  if (whole != v) {
    auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    out->append(buf, res.ptr);
    return;
  }
  AppendShortestFixedGeneral(out, v);  // -0
}

bool AppendSpecial(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
    return true;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return true;
  }
  return false;
}

}  // namespace

void AppendPromFloat(std::string* out, double v) {
  if (AppendSpecial(out, v)) return;
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    AppendShortest(out, v, std::chars_format::scientific);
  } else {
    AppendShortestFixed(out, v);
  }
}

std::string FormatPromFloat(double v) {
  std::string s;
  AppendPromFloat(&s, v);
  return s;
}

void AppendPromScalarFloat(std::string* out, double v) {
  if (AppendSpecial(out, v)) return;
  AppendShortestFixed(out, v);
}

void AppendExpositionFloat(std::string* out, double v) {
  if (AppendSpecial(out, v)) return;
  // Go's strconv 'g' with shortest precision (what client_golang writes)
  // uses %e when the decimal exponent of the shortest digits is < -4 or >= 6
  // ("1e+06", "1.7e+09"), %f otherwise.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const char* e = static_cast<const char*>(std::memchr(buf, 'e', res.ptr - buf));
  int exp = 0;
  if (e != nullptr) std::from_chars(e + (e[1] == '+' ? 2 : 1), res.ptr, exp);
  if (v != 0 && (exp < -4 || exp >= 6)) {
    out->append(buf, res.ptr);
  } else {
    AppendShortest(out, v, std::chars_format::fixed);
  }
}

void AppendPromTimestamp(std::string* out, int64_t ms) {
  uint64_t u;
  if (ms < 0) {
    out->push_back('-');
    u = static_cast<uint64_t>(-(ms + 1)) + 1;
  } else {
    u = static_cast<uint64_t>(ms);
  }
  char buf[32];
  char* end = std::to_chars(buf, buf + sizeof(buf), u / 1000).ptr;
  unsigned frac = static_cast<unsigned>(u % 1000);
  if (frac != 0) {
    *end++ = '.';
    *end++ = static_cast<char>('0' + frac / 100);
    *end++ = static_cast<char>('0' + frac / 10 % 10);
    *end++ = static_cast<char>('0' + frac % 10);
  }
  out->append(buf, end);
}

void AppendJsonNumber(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    AppendShortest(out, v, std::chars_format::scientific);
    // Go's encoding/json trims "e-07" to "e-7" (negative exponents only).
    size_t n = out->size();
    if (n >= 4 && (*out)[n - 4] == 'e' && (*out)[n - 3] == '-' && (*out)[n - 2] == '0') {
      out->erase(n - 2, 1);
    }
  } else {
    AppendShortestFixed(out, v);
  }
}

}  // namespace omni::json
