// JsonWriter: a streaming JSON writer that appends to a std::string. Commas
// and key/value separators are inserted automatically; the caller is
// responsible for balanced Begin/End calls (checked in debug builds only).
//
// Example (a Prometheus vector sample):
//   std::string out;
//   JsonWriter w(&out);
//   w.BeginObject();
//   w.Key("metric"); w.BeginObject(); w.Key("job"); w.String("node"); w.EndObject();
//   w.Key("value"); w.BeginArray(); w.PromTimestamp(1700000000123); w.PromFloat(5); w.EndArray();
//   w.EndObject();
//   // {"metric":{"job":"node"},"value":[1700000000.123,"5"]}
//
// For large responses, write some elements, hand out->substr to the network
// with TakeOutput(), and continue: the nesting state is kept in the writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libs/json/float_format.h"

namespace omni::json {

class JsonValue;

struct JsonWriterOptions {
  // Escape '<', '>' and '&' as \u003c, \u003e, \u0026 like Go's
  // encoding/json (and therefore Prometheus) does by default.
  bool escape_html = true;
  // Indent with this many spaces per level; 0 writes compact JSON.
  int indent = 0;
};

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out, JsonWriterOptions options = {});

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // Writes an object key; the next call must write its value.
  void Key(std::string_view key);

  void String(std::string_view s);
  void Bool(bool b);
  void Null();
  void Int(int64_t v);
  void Uint(uint64_t v);
  // A JSON number (Go encoding/json style); NaN and infinities become null.
  void Double(double v);
  // A Prometheus sample value: a JSON string such as "0.1", "NaN", "+Inf".
  void PromFloat(double v);
  // A scalar/string query result value ("1000000000000000000000", never an exponent).
  void PromScalarFloat(double v);
  // A scalar/string query result timestamp (Go float64 JSON of ms/1000: 1700000000.1).
  void PromScalarTimestamp(int64_t ms);
  // A millisecond timestamp as a float-seconds JSON number (1700000000.123).
  void PromTimestamp(int64_t ms);
  // A sample as Prometheus writes it: [1700000000.123,"0.5"] (PromTimestamp
  // and PromFloat in an array, written in one go).
  void PromPoint(int64_t ms, double v);
  // An array of samples, [[1700000000.123,"0.5"],...], from a range of
  // objects with `t` (ms) and `v` members. Points are formatted into a local
  // buffer and appended a few kilobytes at a time: a range result is mostly
  // points, and one append per point costs as much as formatting it.
  template <typename Points>
  void PromPointArray(const Points& points);
  // Writes already-encoded JSON text as one value (not validated).
  void Raw(std::string_view json);
  // Makes room for `bytes` more output, so that a large result grows its
  // buffer once instead of doubling (and copying) it a dozen times.
  void Reserve(size_t bytes) { out_->reserve(out_->size() + bytes); }
  void Value(const JsonValue& v);

  // Shorthands for Key(k) followed by the value.
  void KeyString(std::string_view k, std::string_view v) { Key(k); String(v); }
  void KeyInt(std::string_view k, int64_t v) { Key(k); Int(v); }
  void KeyBool(std::string_view k, bool v) { Key(k); Bool(v); }

  // Moves the text written so far out of the buffer (for chunked streaming).
  std::string TakeOutput();
  std::string* output() { return out_; }
  // True when every Begin* has been matched.
  bool Complete() const { return depth_.empty() && wrote_root_; }

 private:
  void BeforeValue();
  void Newline();

  std::string* out_;
  JsonWriterOptions options_;
  // Per nesting level: whether an element was already written (needs a comma).
  std::vector<bool> depth_;
  bool after_key_ = false;
  bool wrote_root_ = false;
};

// Writes [1700000000.123,"0.5"] at `p` (room for kMaxPromPointChars) and
// returns the end.
inline constexpr size_t kMaxPromPointChars = kMaxPromTimestampChars + kMaxPromFloatChars + 6;
char* WritePromPoint(char* p, int64_t ms, double v);

template <typename Points>
void JsonWriter::PromPointArray(const Points& points) {
  if (options_.indent > 0) {
    BeginArray();
    for (const auto& pt : points) PromPoint(pt.t, pt.v);
    EndArray();
    return;
  }
  BeforeValue();
  char buf[4096];
  char* p = buf;
  *p++ = '[';
  bool first = true;
  for (const auto& pt : points) {
    // Room for a comma, the point and the closing bracket.
    if (p + 1 + kMaxPromPointChars + 1 > buf + sizeof(buf)) {
      out_->append(buf, p);
      p = buf;
    }
    if (!first) *p++ = ',';
    first = false;
    p = WritePromPoint(p, pt.t, pt.v);
  }
  *p++ = ']';
  out_->append(buf, p);
}

// Appends `s` as a quoted JSON string. Invalid UTF-8 bytes become U+FFFD, as in Go.
void AppendQuotedString(std::string* out, std::string_view s, bool escape_html = true);

}  // namespace omni::json
