#include "libs/json/json_writer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <utility>

#include "libs/json/json_value.h"

namespace omni::json {
namespace {

std::string Quote(std::string_view s, bool html = true) {
  std::string out;
  AppendQuotedString(&out, s, html);
  return out;
}

TEST_CASE("JsonWriter writes nested structures with commas", "[json]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.KeyString("status", "success");
  w.Key("data");
  w.BeginObject();
  w.KeyString("resultType", "vector");
  w.Key("result");
  w.BeginArray();
  for (int i = 0; i < 2; ++i) {
    w.BeginObject();
    w.Key("metric");
    w.BeginObject();
    w.KeyString("job", "node");
    w.EndObject();
    w.Key("value");
    w.BeginArray();
    w.PromTimestamp(1700000000123 + i);
    w.PromFloat(i == 0 ? 5 : 0.5);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  CHECK(w.Complete());
  CHECK(out ==
        R"({"status":"success","data":{"resultType":"vector","result":[)"
        R"({"metric":{"job":"node"},"value":[1700000000.123,"5"]},)"
        R"({"metric":{"job":"node"},"value":[1700000000.124,"0.5"]}]}})");
}

TEST_CASE("JsonWriter scalars and empty containers", "[json]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  w.Null();
  w.Bool(true);
  w.Int(-3);
  w.Uint(18446744073709551615ull);
  w.Double(0.25);
  w.Double(std::nan(""));
  w.BeginArray();
  w.EndArray();
  w.BeginObject();
  w.EndObject();
  w.Raw(R"({"a":1})");
  w.EndArray();
  CHECK(out == R"([null,true,-3,18446744073709551615,0.25,null,[],{},{"a":1}])");
}

TEST_CASE("PromPoint writes what PromTimestamp and PromFloat in an array write", "[json]") {
  for (int indent : {0, 2}) {
    JsonWriterOptions opts;
    opts.indent = indent;
    std::string fused, parts;
    JsonWriter a(&fused, opts), b(&parts, opts);
    a.BeginArray();
    b.BeginArray();
    const std::pair<int64_t, double> points[] = {
        {1700000000123, 0.5}, {1700000000000, -3}, {-1500, 1e-7}, {5, std::nan("")}, {1700000000100, 1e21}};
    for (auto [t, v] : points) {
      a.PromPoint(t, v);
      b.BeginArray();
      b.PromTimestamp(t);
      b.PromFloat(v);
      b.EndArray();
    }
    a.EndArray();
    b.EndArray();
    CHECK(fused == parts);
  }
  std::string out;
  JsonWriter w(&out);
  w.PromPoint(1700000000123, 12345);
  CHECK(out == "[1700000000.123,\"12345\"]");
}

TEST_CASE("PromPointArray writes what PromPoint in an array writes", "[json]") {
  struct Point {
    int64_t t;
    double v;
  };
  // 0, 1 and enough points to cross the 4 KiB batch several times, with the
  // longest values (-1.2345678901234567e-308) to end batches at different places.
  for (size_t n : {size_t{0}, size_t{1}, size_t{500}}) {
    std::vector<Point> points;
    for (size_t i = 0; i < n; ++i) {
      double v = i % 3 == 0 ? -1.2345678901234567e-308 : i % 3 == 1 ? static_cast<double>(i) : i / 7.0;
      points.push_back({INT64_MIN + static_cast<int64_t>(i), v});
    }
    for (int indent : {0, 2}) {
      JsonWriterOptions opts;
      opts.indent = indent;
      std::string batched, single;
      JsonWriter a(&batched, opts), b(&single, opts);
      a.BeginObject();
      b.BeginObject();
      a.Key("values");
      b.Key("values");
      a.PromPointArray(points);
      b.BeginArray();
      for (const Point& p : points) b.PromPoint(p.t, p.v);
      b.EndArray();
      a.KeyInt("after", 1);
      b.KeyInt("after", 1);
      a.EndObject();
      b.EndObject();
      CHECK(batched == single);
      CHECK(a.Complete());
    }
  }
}

TEST_CASE("JsonWriter indents", "[json]") {
  std::string out;
  JsonWriterOptions o;
  o.indent = 2;
  JsonWriter w(&out, o);
  w.BeginObject();
  w.KeyInt("a", 1);
  w.Key("b");
  w.BeginArray();
  w.Int(2);
  w.EndArray();
  w.Key("c");
  w.BeginObject();
  w.EndObject();
  w.EndObject();
  CHECK(out == "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ],\n  \"c\": {}\n}");
}

TEST_CASE("String escaping follows Go encoding/json", "[json]") {
  CHECK(Quote("plain") == "\"plain\"");
  CHECK(Quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(Quote("\n\r\t\x01\x1f") == R"("\n\r\t\u0001\u001f")");
  CHECK(Quote("<a&b>") == R"("\u003ca\u0026b\u003e")");
  CHECK(Quote("<a&b>", false) == R"("<a&b>")");
  CHECK(Quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  CHECK(Quote("bad\xff\xc3") == R"("bad\ufffd\ufffd")");
  CHECK(Quote("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");  // encoded surrogate
  CHECK(Quote("\xe2\x80\xa8") == R"("\u2028")");
  CHECK(Quote(std::string_view("a\0b", 3)) == R"("a\u0000b")");
}

TEST_CASE("TakeOutput supports chunked streaming", "[json]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  w.Int(1);
  std::string first = w.TakeOutput();
  w.Int(2);
  w.EndArray();
  CHECK(first + out == "[1,2]");
}

}  // namespace
}  // namespace omni::json
