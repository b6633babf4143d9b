// Line-oriented pull parser for Prometheus text 0.0.4 and OpenMetrics 1.0.
//
// Each Next() finds the end of the current line with memchr and then parses
// the line in place. Label names and values are recorded as offsets into the
// input, so Next() does not allocate once the offset vector has grown to the
// largest label count; ParseLabels() does the unescaping and copying only for
// series the caller has not cached.
#include "libs/textparse/textparse.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/utf8.h"

namespace omni::textparse {
namespace {
// Debian's abseil has its own absl::string_view, distinct from std::string_view.
inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace

Format FormatFromContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  absl::string_view stripped = absl::StripAsciiWhitespace(AV(media));
  if (absl::EqualsIgnoreCase(stripped, "application/openmetrics-text")) return Format::kOpenMetrics;
  return Format::kPrometheusText;
}

std::string_view ScrapeAcceptHeader() {
  // Prometheus 2.42's scrapeAcceptHeader, verbatim.
  return "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
         "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
}

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kUnknown: return "unknown";
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kGaugeHistogram: return "gaugehistogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kInfo: return "info";
    case MetricType::kStateset: return "stateset";
  }
  return "unknown";
}

namespace internal {

// Parses a float the way Prometheus's textparse.parseFloat does: Go's
// strconv.ParseFloat restricted to pre-Go-1.13 syntax (no hex floats, no
// underscores). Accepts [+-]Inf/Infinity and NaN in any case; an overflow to
// +-Inf is an error (ErrRange), an underflow rounds to zero.
bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  std::string_view rest = s.substr(i);
  if (!rest.empty() && (rest[0] == 'i' || rest[0] == 'I')) {
    if (absl::EqualsIgnoreCase(AV(rest), "inf") || absl::EqualsIgnoreCase(AV(rest), "infinity")) {
      *out = negative ? -HUGE_VAL : HUGE_VAL;
      return true;
    }
    return false;
  }
  if (i == 0 && !rest.empty() && (rest[0] == 'n' || rest[0] == 'N')) {
    if (absl::EqualsIgnoreCase(AV(rest), "nan")) {
      *out = std::nan("");
      return true;
    }
    return false;
  }
  // Decimal grammar: digits [ '.' digits ] [ (e|E) [+-] digits ], at least
  // one mantissa digit.
  // The digits are also accumulated for the exact fast path below.
  size_t j = i;
  size_t mantissa_digits = 0, fraction_digits = 0;
  uint64_t mantissa = 0;
  while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
    mantissa = mantissa * 10 + static_cast<uint64_t>(s[j] - '0');
    ++j, ++mantissa_digits;
  }
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      mantissa = mantissa * 10 + static_cast<uint64_t>(s[j] - '0');
      ++j, ++mantissa_digits, ++fraction_digits;
    }
  }
  if (mantissa_digits == 0) return false;
  // Fast path (Clinger): with at most 15 digits the mantissa is exact in a
  // double, and so is 10^k for k <= 22, so one IEEE division is correctly
  // rounded, the same double from_chars returns.
  if (j == s.size() && mantissa_digits <= 15 && fraction_digits <= 22) {
    static constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                          1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double v = static_cast<double>(mantissa) / kPow10[fraction_digits];
    *out = negative ? -v : v;
    return true;
  }
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    ++j;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t exp_digits = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (j != s.size()) return false;
  // from_chars rejects a leading '+'.
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  const char* last = s.data() + s.size();
  double v = 0;
  auto [ptr, ec] = std::from_chars(first, last, v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    // Distinguish overflow (an error in Go) from underflow (rounds to 0).
    std::string copy(first, last);
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return false;
    *out = v;
    return true;
  }
  if (ec != std::errc() || ptr != last) return false;
  *out = v;
  return true;
}

// strconv.ParseInt(s, 10, 64).
bool ParseGoInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (*first == '+') {
    ++first;
    if (first == last || *first == '-') return false;
  }
  auto [ptr, ec] = std::from_chars(first, last, *out, 10);
  return ec == std::errc() && ptr == last;
}

}  // namespace internal

namespace {

using common::IsValidUtf8;
using internal::ParseGoFloat;
using internal::ParseGoInt64;

// Character classes as a table: one load per byte in the hot loops.
enum : uint8_t { kNameStart = 1, kNameChar = 2, kMetricStart = 4, kMetricChar = 8 };
struct CharTable {
  uint8_t bits[256] = {};
  constexpr CharTable() {
    for (int c = 0; c < 256; ++c) {
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      bool digit = c >= '0' && c <= '9';
      uint8_t b = 0;
      if (alpha) b |= kNameStart | kNameChar | kMetricStart | kMetricChar;
      if (digit) b |= kNameChar | kMetricChar;
      if (c == ':') b |= kMetricStart | kMetricChar;
      bits[c] = b;
    }
  }
};
constexpr CharTable kChars;

inline bool Is(char c, uint8_t cls) { return kChars.bits[static_cast<unsigned char>(c)] & cls; }

struct LabelSpan {
  uint32_t name_begin, name_len;
  uint32_t value_begin, value_len;  // between the quotes, still escaped
  bool escaped;
};

// Replaces \\, \" and \n (label values, OpenMetrics HELP) or only \\ and \n
// (0.0.4 HELP); other backslash sequences are kept as they are, as
// Prometheus's strings.Replacer does.
void Unescape(std::string_view in, bool quote_too, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\\' && i + 1 < in.size()) {
      char n = in[i + 1];
      if (n == '\\') {
        out->push_back('\\');
        ++i;
        continue;
      }
      if (n == 'n') {
        out->push_back('\n');
        ++i;
        continue;
      }
      if (n == '"' && quote_too) {
        out->push_back('"');
        ++i;
        continue;
      }
    }
    out->push_back(c);
  }
}

class TextParser final : public Parser {
 public:
  TextParser(std::string_view body, bool openmetrics) : in_(body), om_(openmetrics) {
    labels_.reserve(16);
  }

  absl::StatusOr<Entry> Next() override;
  std::string_view Series() const override { return in_.substr(series_begin_, series_end_ - series_begin_); }
  void ParseLabels(model::Labels* out) const override;
  double Value() const override { return value_; }
  void ExpectSeries(std::string_view series) override { expected_ = series; }
  bool SeriesMatched() const override { return matched_; }
  std::optional<int64_t> Timestamp() const override {
    if (has_ts_) return ts_;
    return std::nullopt;
  }
  std::string_view MetricFamily() const override { return family_; }
  MetricType Type() const override { return type_; }
  std::string_view Text() const override { return text_; }
  int Line() const override { return line_; }

 private:
  // Describes what was found at `p` for an error message.
  std::string Got(size_t p) const {
    if (p >= line_end_) return "end of line";
    size_t n = std::min<size_t>(line_end_ - p, 24);
    std::string_view s = in_.substr(p, n);
    return absl::StrCat("\"", absl::CHexEscape(AV(s)), line_end_ - p > n ? "...\"" : "\"");
  }
  absl::Status Fail(std::string_view msg) {
    failed_ = true;
    return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": ", AV(msg)));
  }
  absl::Status Expected(std::string_view what, size_t p) {
    return Fail(absl::StrCat("expected ", AV(what), ", got ", Got(p)));
  }

  void SkipBlanks(size_t* p) const {
    while (*p < line_end_ && (in_[*p] == ' ' || in_[*p] == '\t')) ++*p;
  }
  // Consumes the separator between tokens: one or more blanks in 0.0.4,
  // exactly one space in OpenMetrics. Returns false if there is none.
  bool Separator(size_t* p) const {
    if (*p >= line_end_) return false;
    if (om_) {
      if (in_[*p] != ' ') return false;
      ++*p;
      return true;
    }
    if (in_[*p] != ' ' && in_[*p] != '\t') return false;
    SkipBlanks(p);
    return true;
  }
  size_t TokenEnd(size_t p) const {
    while (p < line_end_ && in_[p] != ' ' && in_[p] != '\t') ++p;
    return p;
  }
  size_t MetricNameEnd(size_t p) const {
    if (p >= line_end_ || !Is(in_[p], kMetricStart)) return p;
    ++p;
    while (p < line_end_ && Is(in_[p], kMetricChar)) ++p;
    return p;
  }

  absl::StatusOr<Entry> ParseComment(size_t p);
  absl::StatusOr<Entry> ParseSample(size_t p);
  // Parses "{...}" starting at `*p` (pointing at '{'); records spans into
  // `spans` when non-null.
  absl::Status ParseLabelSet(size_t* p, std::vector<LabelSpan>* spans);
  // True when the expected series ends at `q` in the current line: a
  // separator follows, and a series without labels is not followed by
  // blanks and a label set (0.0.4 allows "name {...}").
  bool ExpectedSeriesEndsAt(size_t q, std::string_view expected) const;
  // Name end and label spans of the current series, which matched an
  // expectation (so is known to be valid): a scan without checks.
  void ScanMatchedSeries(size_t* name_end, std::vector<LabelSpan>* spans) const;
  void BuildLabels(size_t name_end, const std::vector<LabelSpan>& spans, model::Labels* out) const;

  std::string_view in_;
  const bool om_;
  size_t pos_ = 0;
  size_t line_end_ = 0;
  int line_ = 0;
  bool failed_ = false;
  bool eof_marker_ = false;

  size_t series_begin_ = 0, series_end_ = 0, name_end_ = 0;
  std::string_view expected_;
  bool matched_ = false;  // name_end_ and labels_ are not set for a matched series
  std::vector<LabelSpan> labels_;
  std::vector<LabelSpan> exemplar_labels_;
  double value_ = 0;
  int64_t ts_ = 0;
  bool has_ts_ = false;

  std::string_view family_;
  std::string_view text_;
  std::string text_buf_;
  MetricType type_ = MetricType::kUnknown;
};

absl::StatusOr<Entry> TextParser::Next() {
  if (failed_) return absl::FailedPreconditionError("textparse: parser used after an error");
  while (true) {
    if (pos_ >= in_.size()) {
      if (om_ && !eof_marker_) {
        ++line_;
        return Fail("expected \"# EOF\" at the end of OpenMetrics data, got end of input");
      }
      return Entry::kEof;
    }
    if (eof_marker_) {
      ++line_;
      return Fail("unexpected data after \"# EOF\"");
    }
    ++line_;
    size_t begin = pos_;
    const void* nl = std::memchr(in_.data() + begin, '\n', in_.size() - begin);
    line_end_ = nl ? static_cast<const char*>(nl) - in_.data() : in_.size();
    pos_ = nl ? line_end_ + 1 : in_.size();

    size_t p = begin;
    if (!om_) {
      SkipBlanks(&p);
      if (p == line_end_) continue;  // blank line
    } else if (p == line_end_) {
      return Fail("empty lines are not allowed in OpenMetrics");
    }
    if (in_[p] == '#') return ParseComment(p);
    return ParseSample(p);
  }
}

absl::StatusOr<Entry> TextParser::ParseComment(size_t p) {
  size_t start = p;
  ++p;  // '#'
  std::string_view rest = in_.substr(p, line_end_ - p);
  auto keyword = [&](std::string_view kw) {
    // "# KW " with blanks required on both sides of the keyword (0.0.4
    // allows runs of blanks and tabs; otherwise the line is a plain comment).
    size_t q = p;
    if (om_) {
      if (q >= line_end_ || in_[q] != ' ') return size_t{0};
      ++q;
    } else {
      if (q >= line_end_ || (in_[q] != ' ' && in_[q] != '\t')) return size_t{0};
      SkipBlanks(&q);
    }
    if (in_.substr(q, kw.size()) != kw) return size_t{0};
    q += kw.size();
    if (q >= line_end_ || (in_[q] != ' ' && in_[q] != '\t')) return size_t{0};
    return q;
  };

  if (om_ && rest == " EOF") {
    eof_marker_ = true;
    if (pos_ < in_.size()) {
      ++line_;
      return Fail("unexpected data after \"# EOF\"");
    }
    return Entry::kEof;
  }

  Entry kind;
  size_t q;
  if ((q = keyword("HELP")) != 0) {
    kind = Entry::kHelp;
  } else if ((q = keyword("TYPE")) != 0) {
    kind = Entry::kType;
  } else if (om_ && (q = keyword("UNIT")) != 0) {
    kind = Entry::kUnit;
  } else {
    if (om_) return Expected("HELP, TYPE, UNIT or EOF after \"#\"", p);
    // Free comment: text after '#' and one optional blank.
    if (p < line_end_ && (in_[p] == ' ' || in_[p] == '\t')) ++p;
    text_ = in_.substr(p, line_end_ - p);
    (void)start;
    return Entry::kComment;
  }

  if (!Separator(&q)) return Expected("metric name", q);
  size_t name_end = MetricNameEnd(q);
  if (name_end == q) return Expected("metric name", q);
  family_ = in_.substr(q, name_end - q);
  p = name_end;
  // OpenMetrics requires the blank before the text even when it is empty.
  if ((om_ || p < line_end_) && !Separator(&p)) {
    return Expected(kind == Entry::kType ? "metric type" : "text after metric name", p);
  }

  if (kind == Entry::kType) {
    size_t type_end = om_ ? line_end_ : TokenEnd(p);
    std::string_view word = in_.substr(p, type_end - p);
    if (word.empty()) return Expected("metric type", p);
    if (!om_) {
      size_t after = type_end;
      SkipBlanks(&after);
      if (after != line_end_) return Expected("end of line after metric type", after);
    }
    if (word == "counter") type_ = MetricType::kCounter;
    else if (word == "gauge") type_ = MetricType::kGauge;
    else if (word == "histogram") type_ = MetricType::kHistogram;
    else if (word == "summary") type_ = MetricType::kSummary;
    else if (!om_ && word == "untyped") type_ = MetricType::kUnknown;
    else if (om_ && word == "unknown") type_ = MetricType::kUnknown;
    else if (om_ && word == "gaugehistogram") type_ = MetricType::kGaugeHistogram;
    else if (om_ && word == "info") type_ = MetricType::kInfo;
    else if (om_ && word == "stateset") type_ = MetricType::kStateset;
    else return Fail(absl::StrCat("invalid metric type \"", absl::CHexEscape(AV(word)), "\""));
    text_ = word;
    return Entry::kType;
  }

  std::string_view raw = in_.substr(p, line_end_ - p);
  if (!IsValidUtf8(raw)) return Fail("invalid UTF-8 in comment text");
  if (kind == Entry::kUnit) {
    text_ = raw;
    if (!raw.empty()) {
      // As Prometheus: the unit must be a "_unit" suffix of the family name.
      if (family_.size() < raw.size() + 1 || !absl::EndsWith(AV(family_), AV(raw)) ||
          family_[family_.size() - raw.size() - 1] != '_') {
        return Fail(absl::StrCat("unit not a suffix of metric \"", AV(family_), "\""));
      }
    }
    return Entry::kUnit;
  }
  if (raw.find('\\') == std::string_view::npos) {
    text_ = raw;
  } else {
    Unescape(raw, /*quote_too=*/om_, &text_buf_);
    text_ = text_buf_;
  }
  return Entry::kHelp;
}

absl::Status TextParser::ParseLabelSet(size_t* pp, std::vector<LabelSpan>* spans) {
  size_t p = *pp + 1;  // '{'
  if (spans) spans->clear();
  size_t count = 0;
  if (!om_) SkipBlanks(&p);
  if (p < line_end_ && in_[p] == '}') {
    *pp = p + 1;
    return absl::OkStatus();
  }
  while (true) {
    size_t name_begin = p;
    if (p >= line_end_ || !Is(in_[p], kNameStart)) return Expected("label name", p);
    ++p;
    while (p < line_end_ && Is(in_[p], kNameChar)) ++p;
    size_t name_len = p - name_begin;
    if (!om_) SkipBlanks(&p);
    if (p >= line_end_ || in_[p] != '=') return Expected("\"=\" after label name", p);
    ++p;
    if (!om_) SkipBlanks(&p);
    if (p >= line_end_ || in_[p] != '"') return Expected("quoted label value", p);
    ++p;
    size_t value_begin = p;
    bool escaped = false;
    bool ascii = true;
    while (true) {
      if (p >= line_end_) return Fail("unterminated label value: expected closing '\"'");
      unsigned char c = static_cast<unsigned char>(in_[p]);
      if (c == '"') break;
      if (c == '\\') {
        escaped = true;
        p += 2;
        continue;
      }
      ascii &= c < 0x80;
      ++p;
    }
    std::string_view value = in_.substr(value_begin, p - value_begin);
    if (!ascii && !IsValidUtf8(value)) return Fail("invalid UTF-8 label value");
    ++p;  // closing quote
    // Duplicate names: label sets are small, so a linear scan beats hashing.
    std::string_view name = in_.substr(name_begin, name_len);
    if (spans) {
      for (const LabelSpan& s : *spans) {
        if (in_.substr(s.name_begin, s.name_len) == name) {
          return Fail(absl::StrCat("duplicate label name \"", AV(name), "\""));
        }
      }
      spans->push_back({static_cast<uint32_t>(name_begin), static_cast<uint32_t>(name_len),
                        static_cast<uint32_t>(value_begin), static_cast<uint32_t>(value.size()), escaped});
    }
    if (name == model::kMetricName) return Fail("label name \"__name__\" is not allowed inside braces");
    ++count;
    if (!om_) SkipBlanks(&p);
    if (p < line_end_ && in_[p] == ',') {
      ++p;
      if (!om_) SkipBlanks(&p);
      if (p < line_end_ && in_[p] == '}') {
        *pp = p + 1;
        return absl::OkStatus();
      }
      continue;
    }
    if (p < line_end_ && in_[p] == '}') {
      *pp = p + 1;
      return absl::OkStatus();
    }
    return Expected("\",\" or \"}\" after label value", p);
  }
}

bool TextParser::ExpectedSeriesEndsAt(size_t q, std::string_view expected) const {
  if (q >= line_end_ || (in_[q] != ' ' && in_[q] != '\t')) return false;
  if (expected.back() == '}') return true;
  SkipBlanks(&q);
  return q >= line_end_ || in_[q] != '{';
}

absl::StatusOr<Entry> TextParser::ParseSample(size_t p) {
  series_begin_ = p;
  std::string_view expected = expected_;
  expected_ = {};
  matched_ = !expected.empty() && line_end_ - p > expected.size() &&
             std::memcmp(in_.data() + p, expected.data(), expected.size()) == 0 &&
             ExpectedSeriesEndsAt(p + expected.size(), expected);
  if (matched_) {
    p += expected.size();
    series_end_ = p;
  } else {
    name_end_ = MetricNameEnd(p);
    if (name_end_ == p) return Expected("metric name", p);
    p = name_end_;
    size_t before_brace = p;
    if (!om_) SkipBlanks(&p);
    if (p < line_end_ && in_[p] == '{') {
      absl::Status st = ParseLabelSet(&p, &labels_);
      if (!st.ok()) return st;
      series_end_ = p;
    } else {
      labels_.clear();
      p = before_brace;
      series_end_ = p;
    }
  }

  if (!Separator(&p)) return Expected("value after metric", p);
  size_t value_end = TokenEnd(p);
  if (!ParseGoFloat(in_.substr(p, value_end - p), &value_)) {
    if (value_end == p) return Expected("value after metric", p);
    return Fail(absl::StrCat("invalid value \"", absl::CHexEscape(AV(in_.substr(p, value_end - p))), "\""));
  }
  p = value_end;
  has_ts_ = false;

  if (!om_) {
    SkipBlanks(&p);
    if (p == line_end_) return Entry::kSeries;
    size_t ts_end = TokenEnd(p);
    // The 0.0.4 lexer only takes digits here: no sign.
    if (in_[p] < '0' || in_[p] > '9' || !ParseGoInt64(in_.substr(p, ts_end - p), &ts_)) {
      return Fail(absl::StrCat("expected integer timestamp in milliseconds or end of line, got ", Got(p)));
    }
    has_ts_ = true;
    p = ts_end;
    SkipBlanks(&p);
    if (p != line_end_) return Expected("end of line after timestamp", p);
    return Entry::kSeries;
  }

  // OpenMetrics: [" " timestamp] [" # " exemplar]
  if (p == line_end_) return Entry::kSeries;
  if (!Separator(&p)) return Expected("timestamp or exemplar after value", p);
  if (p < line_end_ && in_[p] != '#') {
    size_t ts_end = TokenEnd(p);
    double ts;
    if (!ParseGoFloat(in_.substr(p, ts_end - p), &ts)) {
      return Fail(absl::StrCat("expected timestamp in seconds, got ", Got(p)));
    }
    if (std::isnan(ts) || std::isinf(ts)) return Fail("invalid timestamp: must be finite");
    ts_ = static_cast<int64_t>(ts * 1000);  // truncates, as Prometheus
    has_ts_ = true;
    p = ts_end;
    if (p == line_end_) return Entry::kSeries;
    if (!Separator(&p)) return Expected("exemplar or end of line after timestamp", p);
  }
  // Exemplar: "# {labels} value [timestamp]", validated and ignored.
  if (p + 1 >= line_end_ || in_[p] != '#' || in_[p + 1] != ' ') return Expected("\"# \" starting an exemplar", p);
  p += 2;
  if (p >= line_end_ || in_[p] != '{') return Expected("exemplar label set", p);
  {
    absl::Status st = ParseLabelSet(&p, &exemplar_labels_);
    if (!st.ok()) return st;
  }
  if (!Separator(&p)) return Expected("exemplar value", p);
  size_t ev_end = TokenEnd(p);
  double ignored;
  if (!ParseGoFloat(in_.substr(p, ev_end - p), &ignored)) return Expected("exemplar value", p);
  p = ev_end;
  if (p == line_end_) return Entry::kSeries;
  if (!Separator(&p)) return Expected("end of line after exemplar value", p);
  size_t ets_end = TokenEnd(p);
  if (!ParseGoFloat(in_.substr(p, ets_end - p), &ignored) || std::isnan(ignored) || std::isinf(ignored)) {
    return Expected("exemplar timestamp", p);
  }
  if (ets_end != line_end_) return Expected("end of line after exemplar", ets_end);
  return Entry::kSeries;
}

void TextParser::ScanMatchedSeries(size_t* name_end, std::vector<LabelSpan>* spans) const {
  spans->clear();
  size_t p = MetricNameEnd(series_begin_);
  *name_end = p;
  while (p < series_end_ && in_[p] != '{') ++p;
  if (p >= series_end_) return;
  ++p;
  while (true) {
    while (p < series_end_ && (in_[p] == ' ' || in_[p] == '\t' || in_[p] == ',')) ++p;
    if (p >= series_end_ || in_[p] == '}') return;
    size_t name_begin = p;
    while (p < series_end_ && Is(in_[p], kNameChar)) ++p;
    size_t name_len = p - name_begin;
    while (p < series_end_ && in_[p] != '"') ++p;  // blanks, '=', blanks
    size_t value_begin = ++p;
    bool escaped = false;
    while (p < series_end_ && in_[p] != '"') {
      if (in_[p] == '\\') {
        escaped = true;
        ++p;
      }
      ++p;
    }
    spans->push_back({static_cast<uint32_t>(name_begin), static_cast<uint32_t>(name_len),
                      static_cast<uint32_t>(value_begin), static_cast<uint32_t>(p - value_begin), escaped});
    ++p;  // closing quote
  }
}

void TextParser::ParseLabels(model::Labels* out) const {
  if (!matched_) {
    BuildLabels(name_end_, labels_, out);
    return;
  }
  size_t name_end;
  std::vector<LabelSpan> spans;
  ScanMatchedSeries(&name_end, &spans);
  BuildLabels(name_end, spans, out);
}

void TextParser::BuildLabels(size_t name_end, const std::vector<LabelSpan>& spans, model::Labels* out) const {
  std::vector<model::Label> labels;
  labels.reserve(spans.size() + 1);
  labels.push_back({std::string(model::kMetricName), std::string(in_.substr(series_begin_, name_end - series_begin_))});
  for (const LabelSpan& s : spans) {
    model::Label l;
    l.name.assign(in_.data() + s.name_begin, s.name_len);
    std::string_view raw = in_.substr(s.value_begin, s.value_len);
    if (s.escaped) {
      Unescape(raw, /*quote_too=*/true, &l.value);
    } else {
      l.value.assign(raw);
    }
    labels.push_back(std::move(l));
  }
  *out = model::Labels::FromUnsorted(std::move(labels));
}

}  // namespace

std::unique_ptr<Parser> NewParser(std::string_view body, Format format) {
  return std::make_unique<TextParser>(body, format == Format::kOpenMetrics);
}

absl::Status ParseSeriesLabels(std::string_view series, Format format, model::Labels* out) {
  // One sample line (plus the terminator OpenMetrics requires).
  std::string line(series);
  line.append(format == Format::kOpenMetrics ? " 0\n# EOF\n" : " 0\n");
  TextParser parser(line, format == Format::kOpenMetrics);
  absl::StatusOr<Entry> e = parser.Next();
  if (!e.ok()) return e.status();
  if (*e != Entry::kSeries || parser.Series() != series) {
    return absl::InvalidArgumentError(absl::StrCat("not a series: ", AV(series)));
  }
  parser.ParseLabels(out);
  return absl::OkStatus();
}

}  // namespace omni::textparse
