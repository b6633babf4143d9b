#include "libs/common/utf8.h"

#include <cstdio>

namespace omni::common {

uint32_t DecodeUtf8Rune(std::string_view s, size_t i, size_t* width) {
  const unsigned char c = s[i];
  auto cont = [&](size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (c < 0x80) {
    *width = 1;
    return c;
  }
  if ((c & 0xE0) == 0xC0 && c >= 0xC2 && cont(1)) {
    *width = 2;
    return ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
  }
  if ((c & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    uint32_t r = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) {
      *width = 3;
      return r;
    }
  }
  if ((c & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    uint32_t r = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      *width = 4;
      return r;
    }
  }
  *width = 1;
  return 0xFFFD;
}

namespace {

// Code points above ASCII that Go's unicode.IsPrint rejects and that occur
// in practice: C1 controls, spaces other than U+0020, format characters and
// the private-use areas, noncharacters. (Other unassigned code points, which Go also escapes,
// print as they are: that needs Unicode's tables.)
bool GoDoesNotPrint(uint32_t r) {
  return (r >= 0x80 && r <= 0xA0) || r == 0xAD || r == 0x61C || r == 0x1680 || r == 0x180E ||
         (r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) ||
         r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0xE000 && r <= 0xF8FF) ||
         r >= 0xF0000 || (r >= 0xFDD0 && r <= 0xFDEF) || (r & 0xFFFE) == 0xFFFE;  // private use, noncharacters
}

}  // namespace

std::string QuoteGoRune(uint32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  std::string out = "'";
  switch (r) {
    case '\a': out += "\\a"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\v': out += "\\v"; break;
    case '\\': out += "\\\\"; break;
    case '\'': out += "\\'"; break;
    default: {
      char b[16];
      if (r < 0x20 || r == 0x7F) {
        std::snprintf(b, sizeof b, "\\x%02x", r);
        out += b;
      } else if (r >= 0x80 && GoDoesNotPrint(r)) {
        std::snprintf(b, sizeof b, r < 0x10000 ? "\\u%04x" : "\\U%08x", r);
        out += b;
      } else {
        AppendUtf8(&out, r);
      }
    }
  }
  return out + "'";
}

}  // namespace omni::common
