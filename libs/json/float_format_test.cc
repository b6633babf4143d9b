#include "libs/json/float_format.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <charconv>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace omni::json {
namespace {

TEST_CASE("FormatPromFloat matches Prometheus jsonutil.MarshalFloat", "[json]") {
  // Expected strings are what Go's strconv.AppendFloat gives for Prometheus's
  // choice of 'f' / 'e' format.
  CHECK(FormatPromFloat(1) == "1");
  CHECK(FormatPromFloat(0) == "0");
  CHECK(FormatPromFloat(-0.0) == "-0");
  CHECK(FormatPromFloat(0.1) == "0.1");
  CHECK(FormatPromFloat(-2.5) == "-2.5");
  CHECK(FormatPromFloat(1.0 / 3) == "0.3333333333333333");
  CHECK(FormatPromFloat(123456789.123) == "123456789.123");
  CHECK(FormatPromFloat(1700000000) == "1700000000");
  CHECK(FormatPromFloat(1e20) == "100000000000000000000");
  // Shortest digits, then zeros (Go's 'f' -1), not the exact integer.
  CHECK(FormatPromFloat(-1.234567890123e21 / 3) == "-411522630041000000000");
  CHECK(FormatPromFloat(36028797018963972.0) == "36028797018963970");
  CHECK(FormatPromFloat(9007199254740993.0) == "9007199254740992");
  CHECK(FormatPromFloat(1e21) == "1e+21");
  CHECK(FormatPromFloat(1.5e300) == "1.5e+300");
  CHECK(FormatPromFloat(1e-6) == "0.000001");
  CHECK(FormatPromFloat(1e-7) == "1e-07");
  CHECK(FormatPromFloat(-2.5e-10) == "-2.5e-10");
  CHECK(FormatPromFloat(5e-324) == "5e-324");
  CHECK(FormatPromFloat(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(FormatPromFloat(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatPromFloat(-std::numeric_limits<double>::infinity()) == "-Inf");
}

TEST_CASE("FormatPromFloat in fixed notation is the shortest round-trip digits", "[json]") {
  // Values below 2^53 take a fast path; check it against the definition:
  // the output parses back to the value, and no shorter digit string does.
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200000; ++i) {
    double v;
    switch (i % 4) {
      case 0: v = static_cast<double>(static_cast<int64_t>(rng() >> (rng() % 64))); break;
      case 1: v = static_cast<double>(rng() % 100000) / 1000.0; break;
      case 2: v = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 60)); break;
      default: v = -std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 30) - 30); break;
    }
    if (std::fabs(v) != 0 && std::fabs(v) < 1e-6) continue;  // exponent notation
    std::string s = FormatPromFloat(v);
    INFO(s);
    REQUIRE(s.find('e') == std::string::npos);
    REQUIRE(std::strtod(s.c_str(), nullptr) == v);
    // Same number of significant digits as the shortest scientific form.
    char sci[64];
    auto res = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
    std::string mant(static_cast<const char*>(sci), static_cast<const char*>(std::memchr(sci, 'e', res.ptr - sci)));
    size_t want = 0, got = 0;
    for (char c : mant) want += std::isdigit(static_cast<unsigned char>(c)) ? 1 : 0;
    std::string trimmed = s;
    if (trimmed.find('.') != std::string::npos) {
      while (trimmed.back() == '0') trimmed.pop_back();
    } else {
      while (trimmed.size() > 1 && trimmed.back() == '0') trimmed.pop_back();
    }
    size_t first = trimmed.find_first_of("123456789");
    if (first == std::string::npos) continue;  // zero
    for (size_t k = first; k < trimmed.size(); ++k) got += std::isdigit(static_cast<unsigned char>(trimmed[k])) ? 1 : 0;
    REQUIRE(got == want);
  }
}

TEST_CASE("Scalar results use 'f' format like promql.Scalar", "[json]") {
  // Observed from Prometheus 2.42: query=1e-7 -> [1700000000.1,"0.0000001"].
  auto f = [](double v) {
    std::string s;
    AppendPromScalarFloat(&s, v);
    return s;
  };
  CHECK(f(1e-7) == "0.0000001");
  CHECK(f(1e21) == "1000000000000000000000");
  CHECK(f(-0.0) == "-0");
  CHECK(f(std::nan("")) == "NaN");
  std::string ts;
  AppendJsonNumber(&ts, 1700000000100 / 1000.0);
  CHECK(ts == "1700000000.1");
}

TEST_CASE("AppendPromTimestamp writes float seconds", "[json]") {
  auto ts = [](int64_t ms) {
    std::string s;
    AppendPromTimestamp(&s, ms);
    return s;
  };
  CHECK(ts(1700000000000) == "1700000000");
  CHECK(ts(1700000000123) == "1700000000.123");
  CHECK(ts(1700000000100) == "1700000000.100");
  CHECK(ts(1700000000005) == "1700000000.005");
  CHECK(ts(0) == "0");
  CHECK(ts(-1500) == "-1.500");
  CHECK(ts(INT64_MIN) == "-9223372036854775.808");
  // The ten-digit fast path and its edges, against to_chars.
  CHECK(ts(999999999999) == "999999999.999");
  CHECK(ts(1000000000000) == "1000000000");
  CHECK(ts(1000000000001) == "1000000000.001");
  CHECK(ts(1234509876050) == "1234509876.050");
  CHECK(ts(9999999999999) == "9999999999.999");
  CHECK(ts(10000000000000) == "10000000000");
  for (int64_t sec : {1000000000LL, 1000099999LL, 1700000000LL, 1795534811LL, 9000000009LL, 9999999999LL}) {
    CHECK(ts(sec * 1000 + 7) == std::to_string(sec) + ".007");
  }
}

TEST_CASE("the char* writers write what the Append functions append", "[json]") {
  for (double v : {0.0, -0.0, 1.0, 0.1, -2.5e-7, 1e21, 4.11522630041e+20, 1.7976931348623157e308, 5e-324,
                   9007199254740993.0, -123456.789, std::nan(""), -HUGE_VAL}) {
    std::string want;
    AppendPromFloat(&want, v);
    char buf[kMaxPromFloatChars];
    CHECK(std::string(buf, WritePromFloat(buf, v)) == want);
  }
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{1700000000123}, INT64_MIN, INT64_MAX}) {
    std::string want;
    AppendPromTimestamp(&want, ms);
    char buf[kMaxPromTimestampChars];
    CHECK(std::string(buf, WritePromTimestamp(buf, ms)) == want);
  }
}

TEST_CASE("AppendExpositionFloat matches Go 'g' shortest", "[json]") {
  auto f = [](double v) {
    std::string s;
    AppendExpositionFloat(&s, v);
    return s;
  };
  CHECK(f(1) == "1");
  CHECK(f(0) == "0");
  CHECK(f(0.25) == "0.25");
  CHECK(f(123456) == "123456");
  CHECK(f(1e6) == "1e+06");
  CHECK(f(1.7e9) == "1.7e+09");
  CHECK(f(1700000000.12) == "1.70000000012e+09");
  CHECK(f(0.0001) == "0.0001");
  CHECK(f(0.00001) == "1e-05");
  CHECK(f(std::nan("")) == "NaN");
  CHECK(f(-HUGE_VAL) == "-Inf");
}

TEST_CASE("AppendJsonNumber matches Go encoding/json", "[json]") {
  auto f = [](double v) {
    std::string s;
    AppendJsonNumber(&s, v);
    return s;
  };
  CHECK(f(1) == "1");
  CHECK(f(0.5) == "0.5");
  CHECK(f(1e-7) == "1e-7");
  CHECK(f(1.5e-12) == "1.5e-12");
  CHECK(f(1e21) == "1e+21");
  CHECK(f(1e20) == "100000000000000000000");
  CHECK(f(std::nan("")) == "null");
}

}  // namespace
}  // namespace omni::json
