#include "libs/json/float_format.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

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
