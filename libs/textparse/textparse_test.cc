#include "libs/textparse/textparse.h"

#include <catch2/catch.hpp>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace omni::textparse {
namespace {

// Flattens a parse into readable records, stopping at the first error.
struct Record {
  Entry entry;
  std::string series;
  std::string labels;
  double value = 0;
  std::optional<int64_t> ts;
  std::string family;
  std::string text;
  MetricType type = MetricType::kUnknown;
};

// With `expect_previous`, every sample line is expected to repeat the series
// of the previous sample line (ExpectSeries); the records must not change.
absl::StatusOr<std::vector<Record>> ParseAll(std::string_view body, Format format, bool expect_previous = false,
                                             int* matched = nullptr) {
  auto p = NewParser(body, format);
  std::vector<Record> out;
  std::string previous;  // outlives the next sample line, as ExpectSeries requires
  for (int guard = 0; guard < 100000; ++guard) {
    if (expect_previous) p->ExpectSeries(previous);
    auto e = p->Next();
    if (!e.ok()) return e.status();
    if (*e == Entry::kEof) return out;
    Record r;
    r.entry = *e;
    if (*e == Entry::kSeries) {
      r.series = std::string(p->Series());
      if (p->SeriesMatched()) {
        REQUIRE(expect_previous);
        REQUIRE(r.series == previous);
        if (matched) ++*matched;
      }
      previous = r.series;
      model::Labels l;
      p->ParseLabels(&l);
      r.labels = l.ToString();
      r.value = p->Value();
      r.ts = p->Timestamp();
    } else {
      r.family = std::string(p->MetricFamily());
      r.text = std::string(p->Text());
      if (*e == Entry::kType) r.type = p->Type();
    }
    out.push_back(std::move(r));
  }
  return absl::InternalError("parser did not terminate");
}

// Two parses of the same input gave the same records (values bit for bit)
// or the same error.
void CheckSameParse(const absl::StatusOr<std::vector<Record>>& a, const absl::StatusOr<std::vector<Record>>& b) {
  REQUIRE(a.ok() == b.ok());
  if (!a.ok()) {
    CHECK(a.status().message() == b.status().message());
    return;
  }
  REQUIRE(a->size() == b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    CHECK((*a)[i].series == (*b)[i].series);
    CHECK((*a)[i].labels == (*b)[i].labels);
    CHECK(std::bit_cast<uint64_t>((*a)[i].value) == std::bit_cast<uint64_t>((*b)[i].value));
    CHECK((*a)[i].ts == (*b)[i].ts);
  }
}

TEST_CASE("Prometheus text: full example", "[textparse]") {
  std::string body =
      "# HELP go_gc_duration_seconds A summary of the GC invocation durations.\n"
      "# \tTYPE go_gc_duration_seconds summary\n"
      "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
      "go_gc_duration_seconds{ quantile = \"0.25\" , } 7.424100e-05\n"
      "go_gc_duration_seconds_sum 1.7560473e+07\n"
      "# Hello\n"
      "\n"
      "  # HELP nohelp\n"
      "# HELP esc Help with \\\\ and \\n and \\\" kept\n"
      "some:aggregate:rate5m{a_b=\"c\"}\t1 1234567\n"
      "esc{a=\"x\\\"y\\\\z\\nw\",b=\"\\q\"} -Inf 5\n"
      "nan_metric NaN\n"
      "plus +Inf\n"
      "last 1e3";  // no trailing newline
  auto recs = ParseAll(body, Format::kPrometheusText);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 13);
  const auto& r = *recs;
  CHECK(r[0].entry == Entry::kHelp);
  CHECK(r[0].family == "go_gc_duration_seconds");
  CHECK(r[0].text == "A summary of the GC invocation durations.");
  CHECK(r[1].entry == Entry::kType);
  CHECK(r[1].type == MetricType::kSummary);
  CHECK(r[2].series == "go_gc_duration_seconds{quantile=\"0\"}");
  CHECK(r[2].labels == "{__name__=\"go_gc_duration_seconds\", quantile=\"0\"}");
  CHECK(r[2].value == 4.9351e-05);
  CHECK(!r[2].ts.has_value());
  CHECK(r[3].labels == "{__name__=\"go_gc_duration_seconds\", quantile=\"0.25\"}");
  CHECK(r[4].series == "go_gc_duration_seconds_sum");
  CHECK(r[5].entry == Entry::kComment);
  CHECK(r[5].text == "Hello");
  CHECK(r[6].entry == Entry::kHelp);
  CHECK(r[6].family == "nohelp");
  CHECK(r[6].text == "");
  CHECK(r[7].text == "Help with \\ and \n and \\\" kept");
  CHECK(r[8].series == "some:aggregate:rate5m{a_b=\"c\"}");
  CHECK(r[8].ts == std::optional<int64_t>(1234567));
  CHECK(r[9].series == "esc{a=\"x\\\"y\\\\z\\nw\",b=\"\\q\"}");
  CHECK(r[9].labels == "{__name__=\"esc\", a=\"x\\\"y\\\\z\\nw\", b=\"\\\\q\"}");
  CHECK(std::isinf(r[9].value));
  CHECK(r[9].value < 0);
  CHECK(r[9].ts == std::optional<int64_t>(5));
  CHECK(std::isnan(r[10].value));
  CHECK(r[11].value == HUGE_VAL);
  CHECK(r[12].value == 1000);
}

TEST_CASE("Go ParseFloat forms accepted and rejected", "[textparse]") {
  struct Case {
    const char* text;
    bool ok;
    double want;
  };
  const Case cases[] = {
      {"1", true, 1},         {"-1.5", true, -1.5},    {"+2", true, 2},       {".5", true, 0.5},
      {"5.", true, 5},        {"1e3", true, 1000},     {"1E-3", true, 0.001}, {"1.5e+2", true, 150},
      {"inf", true, HUGE_VAL}, {"+Inf", true, HUGE_VAL}, {"-infinity", true, -HUGE_VAL},
      {"INFINITY", true, HUGE_VAL}, {"1e-400", true, 0},  {"0", true, 0},
      {"1e400", false, 0},    {"0x1p3", false, 0},     {"0x10", false, 0},    {"1_000", false, 0},
      {"+NaN", false, 0},     {"nan(1)", false, 0},    {".", false, 0},       {"e5", false, 0},
      {"1e", false, 0},       {"1.2.3", false, 0},     {"--1", false, 0},     {"infin", false, 0},
      {"abc", false, 0},      {"1,5", false, 0},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto recs = ParseAll(std::string("m ") + c.text + "\n", Format::kPrometheusText);
    REQUIRE(recs.ok() == c.ok);
    if (c.ok) CHECK((*recs)[0].value == c.want);
  }
  for (const char* nan : {"NaN", "nan", "nAn"}) {
    auto recs = ParseAll(std::string("m ") + nan + "\n", Format::kPrometheusText);
    REQUIRE(recs.ok());
    CHECK(std::isnan((*recs)[0].value));
  }
}

TEST_CASE("Decimal values parse to the nearest double, short or long", "[textparse]") {
  // Up to 15 digits take a fast path; compare every case with strtod.
  uint64_t rng = 42;
  auto next = [&rng] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng >> 33;
  };
  std::string body;
  std::vector<std::string> texts;
  for (int i = 0; i < 20000; ++i) {
    int digits = 1 + static_cast<int>(next() % 20);
    std::string num;
    for (int d = 0; d < digits; ++d) num.push_back(static_cast<char>('0' + next() % 10));
    size_t dot = next() % (num.size() + 2);
    if (dot <= num.size()) num.insert(dot, ".");
    if (num == ".") num = "0.";
    if (next() % 3 == 0) num.insert(0, "-");
    texts.push_back(num);
    body += "m " + num + "\n";
  }
  auto recs = ParseAll(body, Format::kPrometheusText);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    double want = std::strtod(texts[i].c_str(), nullptr);
    INFO(texts[i]);
    CHECK(std::bit_cast<uint64_t>((*recs)[i].value) == std::bit_cast<uint64_t>(want));
  }
}

TEST_CASE("Prometheus text: malformed inputs give line and expectation", "[textparse]") {
  struct Case {
    const char* body;
    const char* want;  // substring of the error
  };
  const Case cases[] = {
      {"m 1\n{a=\"b\"} 1\n", "line 2: expected metric name"},
      {"m{a=\"b\" 1\n", "expected \",\" or \"}\" after label value"},
      {"m{a=b} 1\n", "expected quoted label value"},
      {"m{1a=\"b\"} 1\n", "expected label name"},
      {"m{a=\"b} 1\n", "unterminated label value"},
      {"m{a=\"b\\", "unterminated label value"},
      {"m{a \"b\"} 1\n", "expected \"=\" after label name"},
      {"m{a=\"1\",a=\"2\"} 1\n", "duplicate label name \"a\""},
      {"m\n", "expected value after metric"},
      {"m{}\n", "expected value after metric"},
      {"m{} \n", "expected value after metric"},
      {"m abc\n", "invalid value \"abc\""},
      {"m 1 1.5\n", "expected integer timestamp"},
      {"m 1 2 3\n", "expected end of line after timestamp"},
      {"m 1 99999999999999999999\n", "expected integer timestamp"},
      {"m 1 -5\n", "expected integer timestamp"},
      {"m 1 +5\n", "expected integer timestamp"},
      {"# TYPE m\n", "expected metric type"},
      {"# TYPE m nonsense\n", "invalid metric type \"nonsense\""},
      {"# TYPE m gaugehistogram\n", "invalid metric type"},
      {"# TYPE m counter extra\n", "expected end of line after metric type"},
      {"# HELP 1abc x\n", "expected metric name"},
      {"m{a=\"\xff\"} 1\n", "invalid UTF-8 label value"},
      {"m{a=\"\xc0\xaf\"} 1\n", "invalid UTF-8"},
      {"m{a=\"\xed\xa0\x80\"} 1\n", "invalid UTF-8"},
      {"# HELP m bad \xfe\n", "invalid UTF-8"},
      {"m{__name__=\"x\"} 1\n", "__name__"},
      {"m 1\n\n\nbad-name 1\n", "line 4: expected value after metric"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    auto recs = ParseAll(c.body, Format::kPrometheusText);
    REQUIRE_FALSE(recs.ok());
    CHECK_THAT(std::string(recs.status().message()), Catch::Contains(c.want));
  }
}

TEST_CASE("Prometheus text: HELP/TYPE need blanks around the keyword", "[textparse]") {
  auto recs = ParseAll("#HELP m x\n# HELP\n# TYPEm counter\n", Format::kPrometheusText);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 3);
  for (const auto& r : *recs) CHECK(r.entry == Entry::kComment);
}

TEST_CASE("Valid UTF-8 label values are kept", "[textparse]") {
  auto recs = ParseAll("m{a=\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"} 1\n", Format::kPrometheusText);
  REQUIRE(recs.ok());
  CHECK((*recs)[0].labels == "{__name__=\"m\", a=\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"}");
}

TEST_CASE("Parser refuses to continue after an error", "[textparse]") {
  auto p = NewParser("m{\nm 1\n", Format::kPrometheusText);
  CHECK_FALSE(p->Next().ok());
  CHECK(p->Next().status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("OpenMetrics: full example", "[textparse][openmetrics]") {
  std::string body =
      "# TYPE foo counter\n"
      "# HELP foo A \\\"quoted\\\" help\\nline\n"
      "# UNIT foo_seconds seconds\n"
      "foo_total{a=\"b\"} 17.0 1520879607.789 # {id=\"counter-test\"} 5\n"
      "foo_created{a=\"b\"} 1520872607.123\n"
      "# TYPE hh histogram\n"
      "hh_bucket{le=\"+Inf\"} 3 # {trace_id=\"KOO5S4vxi0o\"} 0.67 1520879602.029\n"
      "hh_count 3 123\n"
      "# TYPE ii info\n"
      "ii_info{v=\"1\"} 1\n"
      "# TYPE ss stateset\n"
      "# TYPE gh gaugehistogram\n"
      "# TYPE uu unknown\n"
      "uu -1.5e3\n"
      "# EOF\n";
  auto recs = ParseAll(body, Format::kOpenMetrics);
  REQUIRE(recs.ok());
  const auto& r = *recs;
  REQUIRE(r.size() == 14);
  CHECK(r[0].type == MetricType::kCounter);
  CHECK(r[1].text == "A \"quoted\" help\nline");
  CHECK(r[2].entry == Entry::kUnit);
  CHECK(r[2].family == "foo_seconds");
  CHECK(r[2].text == "seconds");
  CHECK(r[3].series == "foo_total{a=\"b\"}");
  CHECK(r[3].value == 17.0);
  CHECK(r[3].ts == std::optional<int64_t>(1520879607789));
  // Prometheus 2.42 keeps _created lines as ordinary series.
  CHECK(r[4].series == "foo_created{a=\"b\"}");
  CHECK(r[4].value == 1520872607.123);
  CHECK(r[6].labels == "{__name__=\"hh_bucket\", le=\"+Inf\"}");
  CHECK(r[7].ts == std::optional<int64_t>(123000));
  CHECK(r[8].type == MetricType::kInfo);
  CHECK(r[10].type == MetricType::kStateset);
  CHECK(r[11].type == MetricType::kGaugeHistogram);
  CHECK(r[12].type == MetricType::kUnknown);
  CHECK(r[13].value == -1500);
}

TEST_CASE("OpenMetrics: malformed inputs", "[textparse][openmetrics]") {
  struct Case {
    const char* body;
    const char* want;
  };
  const Case cases[] = {
      {"m 1\n", "line 2: expected \"# EOF\""},
      {"", "expected \"# EOF\""},
      {"m 1\n# EOF\nm 2\n", "line 3: unexpected data after \"# EOF\""},
      {"# EOF\n\n", "unexpected data after"},
      {"# hello\n# EOF\n", "expected HELP, TYPE, UNIT or EOF"},
      {"m  1\n# EOF\n", "expected value after metric"},
      {"m{a = \"b\"} 1\n# EOF\n", "expected \"=\" after label name"},
      {"m 1 NaN\n# EOF\n", "invalid timestamp"},
      {"m 1 abc\n# EOF\n", "expected timestamp in seconds"},
      {"m 1 # {a=\"b\"}\n# EOF\n", "expected exemplar value"},
      {"m 1 # a 1\n# EOF\n", "expected exemplar label set"},
      {"m 1 # {a=\"b\"} 1 2 3\n# EOF\n", "expected end of line after exemplar"},
      {"# TYPE m untyped\n# EOF\n", "invalid metric type \"untyped\""},
      {"# UNIT foo_bytes seconds\n# EOF\n", "unit not a suffix of metric"},
      {"m 1\n\n# EOF\n", "line 2: empty lines are not allowed"},
      {"m{a=\"1\",a=\"1\"} 1\n# EOF\n", "duplicate label name"},
      {"m 0x1p3\n# EOF\n", "invalid value"},
      {"# HELP m\n# EOF\n", "expected text after metric name"},
      {"# TYPE m\n# EOF\n", "expected metric type"},
      {"#HELP m x\n# EOF\n", "expected HELP, TYPE, UNIT or EOF"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    auto recs = ParseAll(c.body, Format::kOpenMetrics);
    REQUIRE_FALSE(recs.ok());
    CHECK_THAT(std::string(recs.status().message()), Catch::Contains(c.want));
  }
}

TEST_CASE("Content type and accept header", "[textparse]") {
  CHECK(FormatFromContentType("application/openmetrics-text; version=1.0.0; charset=utf-8") == Format::kOpenMetrics);
  CHECK(FormatFromContentType("text/plain; version=0.0.4") == Format::kPrometheusText);
  CHECK(FormatFromContentType("") == Format::kPrometheusText);
  CHECK(ScrapeAcceptHeader().find("application/openmetrics-text;version=1.0.0") == 0);
  CHECK(MetricTypeName(MetricType::kGaugeHistogram) == "gaugehistogram");
}

TEST_CASE("ParseSeriesLabels re-parses the raw series bytes of a sample line", "[textparse]") {
  for (Format f : {Format::kPrometheusText, Format::kOpenMetrics}) {
    std::string body = "a_total{x=\"y\\\"\",z=\"\\n\"} 1\nb 2\n";
    if (f == Format::kOpenMetrics) body += "# EOF\n";
    auto recs = ParseAll(body, f);
    REQUIRE(recs.ok());
    REQUIRE(recs->size() == 2);
    for (const Record& r : *recs) {
      model::Labels l;
      REQUIRE(ParseSeriesLabels(r.series, f, &l).ok());
      CHECK(l.ToString() == r.labels);
    }
  }
  model::Labels l;
  CHECK(!ParseSeriesLabels("a{x=\"1\"} 2", Format::kPrometheusText, &l).ok());  // more than the series
  CHECK(!ParseSeriesLabels("a{x=", Format::kPrometheusText, &l).ok());
  CHECK(!ParseSeriesLabels("", Format::kOpenMetrics, &l).ok());
}

TEST_CASE("ExpectSeries skips re-parsing a repeated series and changes no result", "[textparse]") {
  for (Format f : {Format::kPrometheusText, Format::kOpenMetrics}) {
    std::string body =
        "a{x=\"1\",y=\"q\\\"\"} 1\na{x=\"1\",y=\"q\\\"\"} 2 1000\n# HELP a h\na{x=\"1\",y=\"q\\\"\"} 3\n"
        "a{x=\"1\"} 4\nb 5\nb 6\nbc 7\nb{} 8\nb{} 9\n";
    if (f == Format::kOpenMetrics) body += "# EOF\n";
    int matched = 0;
    auto plain = ParseAll(body, f);
    auto expecting = ParseAll(body, f, /*expect_previous=*/true, &matched);
    REQUIRE(plain.ok());
    CheckSameParse(plain, expecting);
    // a (2nd, and 3rd across the HELP line), b (2nd), b{} (2nd); "bc" is not "b".
    CHECK(matched == 4);
  }
  // 0.0.4 allows blanks before the label set: "b" followed by " {...}" is
  // another series, not "b" with a value.
  std::string body = "b 1\nb {c=\"d\"} 2\n";
  auto recs = ParseAll(body, Format::kPrometheusText, /*expect_previous=*/true);
  REQUIRE(recs.ok());
  REQUIRE(recs->size() == 2);
  CHECK((*recs)[1].labels == "{__name__=\"b\", c=\"d\"}");
  // A mismatching expectation parses the line as usual, errors included.
  auto p = NewParser("a{x=\"1\"} 1\nq{x=\"1\" 2\n", Format::kPrometheusText);
  p->ExpectSeries("q{x=\"1\"}");
  REQUIRE(p->Next().ok());
  CHECK(!p->SeriesMatched());
  p->ExpectSeries("q{x=\"1\"}");
  CHECK(!p->Next().ok());
}

TEST_CASE("Random garbage never crashes", "[textparse][fuzz]") {
  std::string seed =
      "# HELP a b\n# TYPE a counter\na_total{x=\"y\\\"\",z=\"\xc3\xa9\"} 1 2 # {q=\"1\"} 3 4\n"
      "a_total{x=\"y\\\"\",z=\"\xc3\xa9\"} 5\nb 1\nb 2\n# UNIT a_s s\nb 3\n# EOF\n";
  uint32_t rng = 12345;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = seed;
    int edits = 1 + iter % 4;
    for (int k = 0; k < edits; ++k) {
      rng = rng * 1103515245 + 12345;
      size_t pos = (rng >> 8) % s.size();
      rng = rng * 1103515245 + 12345;
      char c = static_cast<char>(rng >> 16);
      if (rng & 1) s[pos] = c; else s.erase(pos, 1 + (rng >> 20) % 5);
      if (s.empty()) s = "x";
    }
    for (Format f : {Format::kPrometheusText, Format::kOpenMetrics}) {
      auto recs = ParseAll(s, f);
      auto expecting = ParseAll(s, f, /*expect_previous=*/true);
      CheckSameParse(recs, expecting);
    }
  }
  SUCCEED();
}

}  // namespace
}  // namespace omni::textparse
