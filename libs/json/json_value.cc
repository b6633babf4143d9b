#include "libs/json/json_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/json/json_writer.h"
#include "libs/common/utf8.h"

namespace omni::json {
namespace {

const std::string& EmptyString() {
  static const std::string* s = new std::string;
  return *s;
}
const JsonValue::Array& EmptyArray() {
  static const JsonValue::Array* a = new JsonValue::Array;
  return *a;
}
const JsonValue::Object& EmptyObject() {
  static const JsonValue::Object* o = new JsonValue::Object;
  return *o;
}

}  // namespace

JsonValue::JsonValue(uint64_t u) {
  if (u <= static_cast<uint64_t>(INT64_MAX)) {
    v_ = static_cast<int64_t>(u);
  } else {
    v_ = static_cast<double>(u);
  }
}

JsonValue::Type JsonValue::type() const {
  switch (v_.index()) {
    case 0: return Type::kNull;
    case 1: return Type::kBool;
    case 2:
    case 3: return Type::kNumber;
    case 4: return Type::kString;
    case 5: return Type::kArray;
    default: return Type::kObject;
  }
}

bool JsonValue::AsBool() const {
  const bool* b = std::get_if<bool>(&v_);
  return b != nullptr && *b;
}

double JsonValue::AsDouble() const {
  if (const double* d = std::get_if<double>(&v_)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  return 0;
}

int64_t JsonValue::AsInt() const {
  if (const int64_t* i = std::get_if<int64_t>(&v_)) return *i;
  if (const double* d = std::get_if<double>(&v_)) {
    if (std::isnan(*d)) return 0;
    if (*d >= 9.2233720368547758e18) return INT64_MAX;
    if (*d <= -9.2233720368547758e18) return INT64_MIN;
    return static_cast<int64_t>(*d);
  }
  return 0;
}

const std::string& JsonValue::AsString() const {
  const std::string* s = std::get_if<std::string>(&v_);
  return s != nullptr ? *s : EmptyString();
}

const JsonValue::Array& JsonValue::AsArray() const {
  const Array* a = std::get_if<Array>(&v_);
  return a != nullptr ? *a : EmptyArray();
}

const JsonValue::Object& JsonValue::AsObject() const {
  const Object* o = std::get_if<Object>(&v_);
  return o != nullptr ? *o : EmptyObject();
}

JsonValue::Array& JsonValue::MutableArray() {
  if (!IsArray()) v_ = Array{};
  return std::get<Array>(v_);
}

JsonValue::Object& JsonValue::MutableObject() {
  if (!IsObject()) v_ = Object{};
  return std::get<Object>(v_);
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  const Object* o = std::get_if<Object>(&v_);
  if (o == nullptr) return nullptr;
  for (const Member& m : *o) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

JsonValue* JsonValue::Find(std::string_view key) {
  return const_cast<JsonValue*>(static_cast<const JsonValue*>(this)->Find(key));
}

std::string JsonValue::GetString(std::string_view key, std::string_view def) const {
  const JsonValue* v = Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string(def);
}

double JsonValue::GetDouble(std::string_view key, double def) const {
  const JsonValue* v = Find(key);
  return v != nullptr && v->IsNumber() ? v->AsDouble() : def;
}

int64_t JsonValue::GetInt(std::string_view key, int64_t def) const {
  const JsonValue* v = Find(key);
  return v != nullptr && v->IsNumber() ? v->AsInt() : def;
}

bool JsonValue::GetBool(std::string_view key, bool def) const {
  const JsonValue* v = Find(key);
  return v != nullptr && v->IsBool() ? v->AsBool() : def;
}

void JsonValue::Set(std::string_view key, JsonValue v) { (*this)[key] = std::move(v); }

JsonValue& JsonValue::operator[](std::string_view key) {
  Object& o = MutableObject();
  for (Member& m : o) {
    if (m.first == key) return m.second;
  }
  o.emplace_back(std::string(key), JsonValue());
  return o.back().second;
}

bool JsonValue::Erase(std::string_view key) {
  Object* o = std::get_if<Object>(&v_);
  if (o == nullptr) return false;
  for (auto it = o->begin(); it != o->end(); ++it) {
    if (it->first == key) {
      o->erase(it);
      return true;
    }
  }
  return false;
}

void JsonValue::Append(JsonValue v) { MutableArray().push_back(std::move(v)); }

size_t JsonValue::size() const {
  if (const Array* a = std::get_if<Array>(&v_)) return a->size();
  if (const Object* o = std::get_if<Object>(&v_)) return o->size();
  return 0;
}

std::string JsonValue::Serialize(int indent) const {
  std::string out;
  JsonWriterOptions opts;
  opts.indent = indent;
  opts.escape_html = false;
  JsonWriter w(&out, opts);
  w.Value(*this);
  return out;
}

bool operator==(const JsonValue& a, const JsonValue& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInteger() && b.IsInteger()) return a.AsInt() == b.AsInt();
    return a.AsDouble() == b.AsDouble();
  }
  return a.v_ == b.v_;
}

// ---------------------------------------------------------------------------
// Parser: recursive descent over the input; positions are byte offsets.

namespace {

class Parser {
 public:
  Parser(std::string_view text, const JsonParseOptions& options) : s_(text), options_(options) {}

  bool ParseDocument(JsonValue* out) {
    SkipWs();
    if (!ParseValue(out, 0)) return false;
    SkipWs();
    if (pos_ != s_.size()) return Fail("unexpected data after top-level value");
    return true;
  }

  size_t error_offset() const { return error_offset_; }
  const std::string& error_message() const { return error_; }

 private:
  bool Fail(std::string msg) {
    error_ = std::move(msg);
    error_offset_ = pos_;
    return false;
  }

  void SkipWs() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      ++pos_;
    }
  }

  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool ParseValue(JsonValue* out, int depth) {
    if (pos_ >= s_.size()) return Fail("unexpected end of input");
    switch (s_[pos_]) {
      case '{': return ParseObject(out, depth + 1);
      case '[': return ParseArray(out, depth + 1);
      case '"': {
        std::string str;
        if (!ParseString(&str)) return false;
        *out = JsonValue(std::move(str));
        return true;
      }
      case 't':
        if (!Literal("true")) return false;
        *out = JsonValue(true);
        return true;
      case 'f':
        if (!Literal("false")) return false;
        *out = JsonValue(false);
        return true;
      case 'n':
        if (!Literal("null")) return false;
        *out = JsonValue();
        return true;
      default: return ParseNumber(out);
    }
  }

  bool ParseObject(JsonValue* out, int depth) {
    if (depth > options_.max_depth) return Fail("nesting too deep");
    ++pos_;  // '{'
    JsonValue::Object obj;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      *out = JsonValue(std::move(obj));
      return true;
    }
    while (true) {
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("expected string key in object");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expected ':' after object key");
      ++pos_;
      SkipWs();
      JsonValue v;
      if (!ParseValue(&v, depth)) return false;
      // Duplicate keys: checked inline while the object is small, and in one
      // sorting pass at the end for large ones (avoids quadratic parsing).
      bool replaced = false;
      if (obj.size() < kLinearDedupLimit) {
        for (JsonValue::Member& m : obj) {
          if (m.first == key) {
            m.second = std::move(v);
            replaced = true;
            break;
          }
        }
      }
      if (!replaced) obj.emplace_back(std::move(key), std::move(v));
      SkipWs();
      if (pos_ >= s_.size()) return Fail("unexpected end of input in object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        break;
      }
      return Fail("expected ',' or '}' in object");
    }
    if (obj.size() > kLinearDedupLimit) DedupLarge(&obj);
    *out = JsonValue(std::move(obj));
    return true;
  }

  bool ParseArray(JsonValue* out, int depth) {
    if (depth > options_.max_depth) return Fail("nesting too deep");
    ++pos_;  // '['
    JsonValue::Array arr;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      *out = JsonValue(std::move(arr));
      return true;
    }
    while (true) {
      SkipWs();
      arr.emplace_back();
      if (!ParseValue(&arr.back(), depth)) return false;
      SkipWs();
      if (pos_ >= s_.size()) return Fail("unexpected end of input in array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        break;
      }
      return Fail("expected ',' or ']' in array");
    }
    *out = JsonValue(std::move(arr));
    return true;
  }

  static constexpr size_t kLinearDedupLimit = 32;

  // Keeps the first position of each key with its last value.
  static void DedupLarge(JsonValue::Object* obj) {
    std::vector<size_t> idx(obj->size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t a, size_t b) { return (*obj)[a].first < (*obj)[b].first; });
    std::vector<bool> drop(obj->size(), false);
    bool any = false;
    for (size_t i = 1; i < idx.size(); ++i) {
      if ((*obj)[idx[i]].first != (*obj)[idx[i - 1]].first) continue;
      // Run of equal keys idx[first..i]: move the latest value to the first slot.
      size_t first = i - 1;
      while (first > 0 && (*obj)[idx[first - 1]].first == (*obj)[idx[i]].first) --first;
      (*obj)[idx[first]].second = std::move((*obj)[idx[i]].second);
      drop[idx[i]] = true;
      any = true;
    }
    if (!any) return;
    JsonValue::Object kept;
    kept.reserve(obj->size());
    for (size_t i = 0; i < obj->size(); ++i) {
      if (!drop[i]) kept.push_back(std::move((*obj)[i]));
    }
    *obj = std::move(kept);
  }

  static int HexVal(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool ReadHex4(uint32_t* v) {
    if (pos_ + 4 > s_.size()) return Fail("truncated \\u escape");
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) {
      int h = HexVal(s_[pos_ + i]);
      if (h < 0) return Fail("invalid \\u escape");
      r = (r << 4) | h;
    }
    pos_ += 4;
    *v = r;
    return true;
  }


  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    size_t start = pos_;
    // Fast path: copy runs without escapes in one go.
    while (true) {
      while (pos_ < s_.size()) {
        unsigned char c = s_[pos_];
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++pos_;
      }
      out->append(s_.data() + start, pos_ - start);
      if (pos_ >= s_.size()) return Fail("unterminated string");
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c != '\\') return Fail("control character in string");
      ++pos_;
      if (pos_ >= s_.size()) return Fail("unterminated string");
      char e = s_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!ReadHex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (pos_ + 1 < s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
              size_t save = pos_;
              pos_ += 2;
              if (!ReadHex4(&lo)) return false;
              if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              } else {
                pos_ = save;  // lone high surrogate; the next escape stands alone
                cp = 0xFFFD;
              }
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          common::AppendUtf8(out, cp);
          break;
        }
        default:
          --pos_;
          return Fail("invalid escape in string");
      }
      start = pos_;
    }
  }

  bool ParseNumber(JsonValue* out) {
    size_t start = pos_;
    bool is_int = true;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return Fail("invalid number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      return Fail(start == pos_ ? "invalid character, expected a value" : "invalid number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      is_int = false;
      ++pos_;
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return Fail("invalid number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      is_int = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return Fail("invalid number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    const char* b = s_.data() + start;
    const char* e = s_.data() + pos_;
    if (is_int) {
      int64_t i;
      auto r = std::from_chars(b, e, i);
      if (r.ec == std::errc() && r.ptr == e) {
        *out = JsonValue(i);
        return true;
      }
    }
    double d;
    auto r = std::from_chars(b, e, d);
    if (r.ec == std::errc::result_out_of_range) {
      // Magnitude too large or too small for a double: saturate like strtod.
      bool tiny = false;
      for (const char* p = b; p < e; ++p) {
        if (*p == 'e' || *p == 'E') tiny = p + 1 < e && p[1] == '-';
      }
      d = tiny ? 0.0 : HUGE_VAL;
      if (*b == '-') d = -d;
    } else if (r.ec != std::errc() || r.ptr != e) {
      pos_ = start;
      return Fail("invalid number");
    }
    *out = JsonValue(d);
    return true;
  }

  std::string_view s_;
  const JsonParseOptions& options_;
  size_t pos_ = 0;
  std::string error_;
  size_t error_offset_ = 0;
};

}  // namespace

absl::StatusOr<JsonValue> Parse(std::string_view text, const JsonParseOptions& options,
                                JsonParseError* error) {
  Parser p(text, options);
  JsonValue v;
  if (p.ParseDocument(&v)) return v;
  size_t off = p.error_offset();
  int line = 1, col = 1;
  for (size_t i = 0; i < off && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  if (error != nullptr) {
    error->offset = off;
    error->line = line;
    error->column = col;
    error->message = p.error_message();
  }
  return absl::InvalidArgumentError(absl::StrCat("json: ", p.error_message(), " at line ", line,
                                                 ", column ", col, " (offset ", off, ")"));
}

}  // namespace omni::json
