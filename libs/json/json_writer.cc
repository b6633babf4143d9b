#include "libs/json/json_writer.h"

#include "absl/strings/str_cat.h"
#include "libs/json/float_format.h"
#include "libs/json/json_value.h"

namespace omni::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes that need escaping: control characters, '"' and '\\' always;
// '<', '>', '&' only with escape_html; bytes >= 0x80 are checked for UTF-8.
struct EscapeTable {
  bool plain[256];
  bool plain_html[256];
  constexpr EscapeTable() : plain(), plain_html() {
    for (int c = 0; c < 256; ++c) {
      bool ok = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
      plain[c] = ok;
      plain_html[c] = ok && c != '<' && c != '>' && c != '&';
    }
  }
};
constexpr EscapeTable kEscape;

// Returns the length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t Utf8SeqLen(std::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = s[i];
  size_t n;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, *cp = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, *cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, *cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (cc & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

void AppendQuotedString(std::string* out, std::string_view s, bool escape_html) {
  const bool* plain = escape_html ? kEscape.plain_html : kEscape.plain;
  out->push_back('"');
  size_t start = 0;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (plain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      uint32_t cp;
      size_t n = Utf8SeqLen(s, i, &cp);
      if (n != 0 && cp != 0x2028 && cp != 0x2029) {
        i += n;
        continue;
      }
      out->append(s.data() + start, i - start);
      if (n == 0) {
        out->append("\\ufffd");
        i += 1;
      } else {
        out->append(cp == 0x2028 ? "\\u2028" : "\\u2029");
        i += n;
      }
      start = i;
      continue;
    }
    out->append(s.data() + start, i - start);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(buf, 6);
      }
    }
    ++i;
    start = i;
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

JsonWriter::JsonWriter(std::string* out, JsonWriterOptions options)
    : out_(out), options_(options) {}

void JsonWriter::Newline() {
  out_->push_back('\n');
  out_->append(depth_.size() * options_.indent, ' ');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_.empty()) {
    wrote_root_ = true;
    return;
  }
  if (depth_.back()) out_->push_back(',');
  depth_.back() = true;
  if (options_.indent > 0) Newline();
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  depth_.push_back(false);
}

void JsonWriter::EndObject() {
  bool had = depth_.back();
  depth_.pop_back();
  if (had && options_.indent > 0) Newline();
  out_->push_back('}');
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  depth_.push_back(false);
}

void JsonWriter::EndArray() {
  bool had = depth_.back();
  depth_.pop_back();
  if (had && options_.indent > 0) Newline();
  out_->push_back(']');
}

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendQuotedString(out_, key, options_.escape_html);
  out_->push_back(':');
  if (options_.indent > 0) out_->push_back(' ');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendQuotedString(out_, s, options_.escape_html);
}

void JsonWriter::Bool(bool b) {
  BeforeValue();
  out_->append(b ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  absl::StrAppend(out_, v);
}

void JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  absl::StrAppend(out_, v);
}

void JsonWriter::Double(double v) {
  BeforeValue();
  AppendJsonNumber(out_, v);
}

void JsonWriter::PromFloat(double v) {
  BeforeValue();
  out_->push_back('"');
  AppendPromFloat(out_, v);
  out_->push_back('"');
}

void JsonWriter::PromScalarFloat(double v) {
  BeforeValue();
  out_->push_back('"');
  AppendPromScalarFloat(out_, v);
  out_->push_back('"');
}

void JsonWriter::PromScalarTimestamp(int64_t ms) {
  BeforeValue();
  AppendJsonNumber(out_, static_cast<double>(ms) / 1000.0);
}

void JsonWriter::PromTimestamp(int64_t ms) {
  BeforeValue();
  AppendPromTimestamp(out_, ms);
}

void JsonWriter::PromPoint(int64_t ms, double v) {
  if (options_.indent > 0) {
    BeginArray();
    PromTimestamp(ms);
    PromFloat(v);
    EndArray();
    return;
  }
  BeforeValue();
  char buf[kMaxPromPointChars];
  out_->append(buf, WritePromPoint(buf, ms, v));
}

char* WritePromPoint(char* p, int64_t ms, double v) {
  *p++ = '[';
  p = WritePromTimestamp(p, ms);
  *p++ = ',';
  *p++ = '"';
  p = WritePromFloat(p, v);
  *p++ = '"';
  *p++ = ']';
  return p;
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
}

void JsonWriter::Value(const JsonValue& v) {
  switch (v.type()) {
    case JsonValue::Type::kNull: Null(); break;
    case JsonValue::Type::kBool: Bool(v.AsBool()); break;
    case JsonValue::Type::kNumber:
      if (v.IsInteger()) {
        Int(v.AsInt());
      } else {
        Double(v.AsDouble());
      }
      break;
    case JsonValue::Type::kString: String(v.AsString()); break;
    case JsonValue::Type::kArray:
      BeginArray();
      for (const JsonValue& e : v.AsArray()) Value(e);
      EndArray();
      break;
    case JsonValue::Type::kObject:
      BeginObject();
      for (const auto& [k, e] : v.AsObject()) {
        Key(k);
        Value(e);
      }
      EndObject();
      break;
  }
}

std::string JsonWriter::TakeOutput() {
  std::string s = std::move(*out_);
  out_->clear();
  return s;
}

}  // namespace omni::json
