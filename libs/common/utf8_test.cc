#include "libs/common/utf8.h"

#include <catch2/catch.hpp>

namespace omni::common {
namespace {

TEST_CASE("QuoteGoRune matches Go's %q of a rune") {
  // Expected strings printed by Go 1.19's fmt.Sprintf("%q", r).
  CHECK(QuoteGoRune('a') == "'a'");
  CHECK(QuoteGoRune('\\') == "'\\\\'");
  CHECK(QuoteGoRune('\'') == "'\\''");
  CHECK(QuoteGoRune('\n') == "'\\n'");
  CHECK(QuoteGoRune(0x01) == "'\\x01'");
  CHECK(QuoteGoRune(0x7F) == "'\\x7f'");
  CHECK(QuoteGoRune(0xE9) == "'\xC3\xA9'");          // é
  CHECK(QuoteGoRune(0xFFFD) == "'\xEF\xBF\xBD'");    // the replacement character prints
  CHECK(QuoteGoRune(0xD800) == "'\xEF\xBF\xBD'");    // a surrogate is not a rune
  CHECK(QuoteGoRune(0xA0) == "'\\u00a0'");
  CHECK(QuoteGoRune(0x200B) == "'\\u200b'");
  CHECK(QuoteGoRune(0x10FFFF) == "'\\U0010ffff'");
}

TEST_CASE("DecodeUtf8Rune decodes like Go's utf8.DecodeRuneInString") {
  size_t w = 0;
  CHECK(DecodeUtf8Rune("a", 0, &w) == 'a');
  CHECK(w == 1);
  CHECK(DecodeUtf8Rune("\xC3\xA9", 0, &w) == 0xE9);
  CHECK(w == 2);
  CHECK(DecodeUtf8Rune("\xF0\x9F\x98\x80", 0, &w) == 0x1F600);
  CHECK(w == 4);
  CHECK(DecodeUtf8Rune("\xC3", 0, &w) == 0xFFFD);  // truncated
  CHECK(w == 1);
  CHECK(DecodeUtf8Rune("\xED\xA0\x80", 0, &w) == 0xFFFD);  // surrogate
  CHECK(w == 1);
  CHECK(DecodeUtf8Rune("\xC0\xAF", 0, &w) == 0xFFFD);  // overlong
  CHECK(IsValidUtf8("\xC3\xA9"));
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));
}

}  // namespace
}  // namespace omni::common
