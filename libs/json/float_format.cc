#include "libs/json/float_format.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace omni::json {
namespace {

// Writes the shortest round-trip representation of `v` in the given format.
// Shortest digits are at most 17, so fixed notation of |v| in [1e-6, 1e21) and
// any scientific notation fit in kMaxPromFloatChars.
char* WriteShortest(char* p, double v, std::chars_format fmt) {
  return std::to_chars(p, p + kMaxPromFloatChars, v, fmt).ptr;
}

// Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest round-trip digits,
// padded with zeros. std::to_chars(fixed) differs when the shortest digits
// end before the decimal point: of the equally long candidates it prints the
// exact one (4.11522630041e+20 -> "411522630041000017920", Go:
// "411522630041000000000"). `p` has room for the longest fixed form (~330
// chars for 1.8e308) unless |v| < 1e21.
char* WriteShortestFixedGeneral(char* p, double v, size_t room) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const char* e = static_cast<const char*>(std::memchr(buf, 'e', res.ptr - buf));
  int exp = 0;
  std::from_chars(e + (e[1] == '+' ? 2 : 1), res.ptr, exp);
  char digits[20];
  int n = 0;
  for (const char* q = buf; q < e; ++q) {
    if (*q != '.' && *q != '-') digits[n++] = *q;
  }
  if (v == 0 || exp + 1 < n) {  // a fraction: to_chars agrees
    return std::to_chars(p, p + room, v, std::chars_format::fixed).ptr;
  }
  if (v < 0) *p++ = '-';
  std::memcpy(p, digits, static_cast<size_t>(n));
  p += n;
  std::memset(p, '0', static_cast<size_t>(exp + 1 - n));
  return p + (exp + 1 - n);
}

// The same, fast for the values samples usually hold. Below 2^53 every
// integer is a double and vice versa, so an integral value's shortest digits
// are its integer digits, and a non-integral value's shortest digits always
// reach past the decimal point (the case where to_chars(fixed) agrees).
char* WriteShortestFixed(char* p, double v, size_t room) {
  constexpr double kExactInts = 9007199254740992.0;  // 2^53
  if (!(std::fabs(v) < kExactInts)) return WriteShortestFixedGeneral(p, v, room);
  double whole = std::trunc(v);
  if (whole == v && !(v == 0 && std::signbit(v))) {
    return std::to_chars(p, p + room, static_cast<int64_t>(v)).ptr;
  }
  if (whole != v) return std::to_chars(p, p + room, v, std::chars_format::fixed).ptr;
  return WriteShortestFixedGeneral(p, v, room);  // -0
}

void AppendShortest(std::string* out, double v, std::chars_format fmt) {
  char buf[kMaxPromFloatChars];
  out->append(buf, WriteShortest(buf, v, fmt));
}

// Go's 'f' -1 for any double: 1.8e308 prints 309 digits.
void AppendShortestFixed(std::string* out, double v) {
  char buf[400];
  out->append(buf, WriteShortestFixed(buf, v, sizeof(buf)));
}

char* WriteSpecial(char* p, double v) {
  if (std::isnan(v)) {
    std::memcpy(p, "NaN", 3);
    return p + 3;
  }
  if (std::isinf(v)) {
    std::memcpy(p, v > 0 ? "+Inf" : "-Inf", 4);
    return p + 4;
  }
  return nullptr;
}

// Writes x < 100000 as exactly five digits.
inline void WriteFiveDigits(char* p, uint32_t x) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  p[0] = static_cast<char>('0' + x / 10000);
  uint32_t r = x % 10000;
  std::memcpy(p + 1, kPairs + 2 * (r / 100), 2);
  std::memcpy(p + 3, kPairs + 2 * (r % 100), 2);
}

bool AppendSpecial(std::string* out, double v) {
  char buf[4];
  char* end = WriteSpecial(buf, v);
  if (end == nullptr) return false;
  out->append(buf, end);
  return true;
}

}  // namespace

char* WritePromFloat(char* p, double v) {
  if (char* end = WriteSpecial(p, v)) return end;
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) return WriteShortest(p, v, std::chars_format::scientific);
  return WriteShortestFixed(p, v, kMaxPromFloatChars);
}

void AppendPromFloat(std::string* out, double v) {
  char buf[kMaxPromFloatChars];
  out->append(buf, WritePromFloat(buf, v));
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

char* WritePromTimestamp(char* p, int64_t ms) {
  uint64_t u;
  if (ms < 0) {
    *p++ = '-';
    u = static_cast<uint64_t>(-(ms + 1)) + 1;
  } else {
    u = static_cast<uint64_t>(ms);
  }
  uint64_t sec = u / 1000;
  if (sec >= 1000000000 && sec < 10000000000) {
    // 2001..2286, i.e. every real sample: ten digits without to_chars's length loop.
    WriteFiveDigits(p, static_cast<uint32_t>(sec / 100000));
    WriteFiveDigits(p + 5, static_cast<uint32_t>(sec % 100000));
    p += 10;
  } else {
    p = std::to_chars(p, p + 20, sec).ptr;
  }
  unsigned frac = static_cast<unsigned>(u % 1000);
  if (frac != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + frac / 100);
    *p++ = static_cast<char>('0' + frac / 10 % 10);
    *p++ = static_cast<char>('0' + frac % 10);
  }
  return p;
}

void AppendPromTimestamp(std::string* out, int64_t ms) {
  char buf[kMaxPromTimestampChars];
  out->append(buf, WritePromTimestamp(buf, ms));
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
