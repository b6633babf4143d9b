// UTF-8 encoding of a code point, for the string unquoting and case mapping
// of the JSON parser, PromQL lexer, relabeling and templates; and Go's
// validity check, for the exposition parser and configuration files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace omni::common {

// Appends the UTF-8 bytes of `r` (callers pass valid code points).
inline void AppendUtf8(std::string* out, uint32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// Validates UTF-8 as Go's utf8.ValidString: no overlong forms, no surrogates,
// nothing above U+10FFFF.
inline bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int k = 2; k <= n; ++k) {
      if (p[k] < 0x80 || p[k] > 0xBF) return false;
    }
    p += n + 1;
  }
  return true;
}

// Go's utf8.DecodeRuneInString at s[i]: the code point and its width in
// bytes; invalid or truncated input decodes as U+FFFD with width 1.
// REQUIRES: i < s.size().
uint32_t DecodeUtf8Rune(std::string_view s, size_t i, size_t* width);

// Go's strconv.QuoteRune (fmt's %q of a rune): 'x', with \a \b \f \n \r \t
// \v \\ \' escapes, \xNN for other ASCII controls, \uNNNN / \UNNNNNNNN for
// code points Go does not print (C1 controls, non-ASCII spaces, format
// characters), and invalid code points as U+FFFD.
std::string QuoteGoRune(uint32_t r);

}  // namespace omni::common
