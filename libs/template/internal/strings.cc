#include "libs/template/internal/strings.h"

#include <locale.h>
#include <wctype.h>

#include <cctype>
#include <cstdint>
#include <utility>
#include <vector>

#include "libs/common/utf8.h"

namespace omni::tmpl::internal {
namespace {

// Decodes one UTF-8 rune; invalid bytes yield 0xFFFFFFFF with width 1 (a
// U+FFFD written out in the input is 3 bytes wide).
uint32_t Decode(std::string_view s, size_t i, size_t* w) {
  const uint32_t r = common::DecodeUtf8Rune(s, i, w);
  return r == 0xFFFD && *w == 1 ? 0xFFFFFFFF : r;
}

// glibc's C.UTF-8 locale gives Unicode simple case mapping (what Go's
// unicode.ToUpper/ToLower implement); the tables below are the fallback.
locale_t Utf8Locale() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return loc;
}

uint32_t TableUpper(uint32_t r);
uint32_t TableLower(uint32_t r);

uint32_t Upper(uint32_t r) {
  if (r < 0x80) return r >= 'a' && r <= 'z' ? r - 32 : r;
  if (locale_t loc = Utf8Locale()) return static_cast<uint32_t>(towupper_l(static_cast<wint_t>(r), loc));
  return TableUpper(r);
}

// Title case (Unicode titlecase mapping: "ǳ" -> "ǲ"), falling back to upper case.
uint32_t TitleCase(uint32_t r) {
  if (r < 0x80) return Upper(r);
  static const wctrans_t to_title = Utf8Locale() ? wctrans_l("totitle", Utf8Locale()) : static_cast<wctrans_t>(0);
  if (to_title) return static_cast<uint32_t>(towctrans_l(static_cast<wint_t>(r), to_title, Utf8Locale()));
  return Upper(r);
}

uint32_t Lower(uint32_t r) {
  if (r < 0x80) return r >= 'A' && r <= 'Z' ? r + 32 : r;
  if (locale_t loc = Utf8Locale()) return static_cast<uint32_t>(towlower_l(static_cast<wint_t>(r), loc));
  return TableLower(r);
}

uint32_t TableUpper(uint32_t r) {
  if (r >= 'a' && r <= 'z') return r - 32;
  if (r == 0xB5) return 0x39C;  // micro sign -> Greek capital mu
  if ((r >= 0xE0 && r <= 0xFE && r != 0xF7)) return r - 32;
  if (r == 0xFF) return 0x178;
  if (r >= 0x100 && r <= 0x17F && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 && r != 0x17F) {
    const bool odd_lower = (r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E);
    if (odd_lower ? (r % 2 == 0) : (r % 2 == 1)) return r - 1;
    return r;
  }
  if (r >= 0x3B1 && r <= 0x3C9 && r != 0x3C2) return r - 32;
  if (r == 0x3C2) return 0x3A3;
  if (r >= 0x430 && r <= 0x44F) return r - 32;
  if (r >= 0x450 && r <= 0x45F) return r - 80;
  return r;
}

uint32_t TableLower(uint32_t r) {
  if (r >= 'A' && r <= 'Z') return r + 32;
  if (r >= 0xC0 && r <= 0xDE && r != 0xD7) return r + 32;
  if (r >= 0x100 && r <= 0x17F && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 && r != 0x17F) {
    const bool odd_lower = (r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E);
    if (odd_lower ? (r % 2 == 1) : (r % 2 == 0)) return r + 1;
    return r;
  }
  if (r == 0x178) return 0xFF;
  if (r >= 0x391 && r <= 0x3A9 && r != 0x3A2) return r + 32;
  if (r >= 0x410 && r <= 0x42F) return r + 32;
  if (r >= 0x400 && r <= 0x40F) return r + 80;
  return r;
}

template <typename F>
std::string Map(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t w;
    uint32_t r = Decode(s, i, &w);
    if (r == 0xFFFFFFFF) {
      out += "\xEF\xBF\xBD";  // strings.Map writes U+FFFD for invalid bytes
    } else {
      common::AppendUtf8(&out, f(r));
    }
    i += w;
  }
  return out;
}

}  // namespace

std::string GoToUpper(std::string_view s) { return Map(s, Upper); }
std::string GoToLower(std::string_view s) { return Map(s, Lower); }

namespace {

struct Rune {
  uint32_t r;     // 0xFFFFFFFF for bytes of runes we do not decode
  size_t offset;
  size_t width;
};

bool IsLetter(uint32_t r) {
  if (r == 0xFFFFFFFF) return false;
  if (r < 0x80) return std::isalpha(static_cast<int>(r)) != 0;
  if (locale_t loc = Utf8Locale()) return iswalpha_l(static_cast<wint_t>(r), loc) != 0;
  return r >= 0xC0 && r != 0xD7 && r != 0xF7;
}
bool IsDigit(uint32_t r) { return r < 0x80 && std::isdigit(static_cast<int>(r)); }

}  // namespace

std::string GoStringsTitle(std::string_view s) {
  std::string out;
  bool prev_sep = true;
  for (size_t i = 0; i < s.size();) {
    size_t w;
    uint32_t r = Decode(s, i, &w);
    if (r == 0xFFFFFFFF) {
      out.push_back(s[i]);
      prev_sep = false;
    } else {
      common::AppendUtf8(&out, prev_sep ? Upper(r) : r);
      // ASCII letters, digits and '_' are not separators; other ASCII is.
      prev_sep = r < 0x80 ? !(std::isalnum(static_cast<int>(r)) || r == '_') : (r == 0xA0 || r == 0x85);
    }
    i += w;
  }
  return out;
}

std::string GoTitle(std::string_view s) {
  // golang.org/x/text/cases.Title: words per Unicode word segmentation
  // (simplified UAX #29); the first cased letter of each word is upper-cased
  // and the rest lower-cased.
  std::vector<Rune> runes;
  for (size_t i = 0; i < s.size();) {
    size_t w;
    uint32_t r = Decode(s, i, &w);
    runes.push_back({r, i, w});
    i += w;
  }
  auto word_char = [](uint32_t r) { return IsLetter(r) || IsDigit(r) || r == '_'; };
  std::string out;
  bool in_word = false, seen_cased = false;
  for (size_t k = 0; k < runes.size(); ++k) {
    const uint32_t r = runes[k].r;
    bool joins = word_char(r);
    if (!joins && in_word && k > 0 && k + 1 < runes.size()) {
      const uint32_t prev = runes[k - 1].r, next = runes[k + 1].r;
      const bool mid_letter = r == ':' || r == 0xB7 || r == '.' || r == '\'' ;
      const bool mid_num = r == ',' || r == ';' || r == '.' || r == '\'';
      if ((mid_letter && IsLetter(prev) && IsLetter(next)) || (mid_num && IsDigit(prev) && IsDigit(next))) {
        joins = true;
      }
    }
    if (!joins) {
      in_word = false;
      seen_cased = false;
      out.append(s.substr(runes[k].offset, runes[k].width));
      continue;
    }
    in_word = true;
    if (r == 0xFFFFFFFF) {
      out.append(s.substr(runes[k].offset, runes[k].width));
      continue;
    }
    // SpecialCasing titlecase for the first letter of a word.
    static const std::pair<uint32_t, const char*> kSpecialTitle[] = {
        {0xDF, "Ss"}, {0xFB00, "Ff"}, {0xFB01, "Fi"}, {0xFB02, "Fl"}, {0xFB03, "Ffi"}, {0xFB04, "Ffl"},
        {0xFB05, "St"}, {0xFB06, "St"}};
    const char* special = nullptr;
    for (const auto& [from, to] : kSpecialTitle) {
      if (r == from) special = to;
    }
    const bool cased = special != nullptr || Upper(r) != r || Lower(r) != r;
    if (special && !seen_cased) {
      out += special;
      seen_cased = true;
      continue;
    }
    if (cased && !seen_cased) {
      common::AppendUtf8(&out, TitleCase(r));
      seen_cased = true;
    } else if (cased) {
      common::AppendUtf8(&out, Lower(r));
    } else {
      common::AppendUtf8(&out, r);
    }
  }
  return out;
}

}  // namespace omni::tmpl::internal
