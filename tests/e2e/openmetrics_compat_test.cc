// Loads the same OpenMetrics file into the real Prometheus 2.42 (`promtool
// tsdb create-blocks-from openmetrics`) and into the collector (`omniscopectl
// tsdb import openmetrics`, and a second collector fed the same samples
// through the gRPC Write RPC), then compares the HTTP API answers: instant and
// range queries (tests/promql/reference/queries.txt plus the queries below,
// and the malformed ones of bad_queries.txt), /api/v1/series, /api/v1/labels
// and /api/v1/label/<name>/values with match[] and start/end.
//
// The comparison is exact: HTTP status, errorType and error text, result type,
// label sets, timestamps and the sample values as the strings Prometheus
// formats. Result order is compared where the API defines it (range-query
// matrices, sort()/sort_desc(), label names and values). Every difference is
// printed; documented deliberate differences (docs/promql.md) are printed as
// warnings and do not fail the test.
//
// Skipped (with a message) when /usr/bin/prometheus or /usr/bin/promtool is
// not installed (scripts/install-deps.sh installs them).
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "omniscope/v1/collector.grpc.pb.h"
#include "tests/e2e/harness.h"

#ifndef OMNI_SOURCE_DIR
#define OMNI_SOURCE_DIR "."
#endif

namespace omni::e2e {
namespace {

namespace pb = omniscope::v1;

// ---------------------------------------------------------------------------
// The data set.

constexpr int64_t kStepMs = 15'000;
constexpr int kSteps = 2 * 3600 * 1000 / kStepMs;  // 2h at 15s: points 0..kSteps
// The reference queries (tests/promql/reference) use this origin in their `@` times.
constexpr int64_t kReferenceOrigin = 1'000'000'000;

struct Point {
  int64_t t_ms;
  std::string value;  // as written in the file: "12.5", "NaN", "+Inf", ...
};

struct Series {
  std::string family;  // the # TYPE line's name
  std::string type;    // counter, gauge, histogram
  std::vector<std::pair<std::string, std::string>> labels;  // __name__ first, then sorted by name
  std::vector<Point> points;
};

// Deterministic pseudo-random numbers (the raw engine output, not a
// distribution, whose results differ between standard libraries).
class Random {
 public:
  explicit Random(uint64_t seed) : gen_(seed) {}
  // Uniform in [0, n).
  int64_t Below(int64_t n) { return static_cast<int64_t>(gen_() % static_cast<uint64_t>(n)); }

 private:
  std::mt19937_64 gen_;
};

// Thousandths as a decimal string: 12345 -> "12.345", -5 -> "-0.005".
std::string Milli(int64_t m) {
  const char* sign = m < 0 ? "-" : "";
  int64_t a = m < 0 ? -m : m;
  return absl::StrFormat("%s%d.%03d", sign, a / 1000, a % 1000);
}

Series Make(std::string family, std::string type, std::string name,
            std::vector<std::pair<std::string, std::string>> labels) {
  std::sort(labels.begin(), labels.end());
  labels.insert(labels.begin(), {"__name__", std::move(name)});
  return Series{std::move(family), std::move(type), std::move(labels), {}};
}

// Two hours from t0_ms: counters with resets (one series starts late, one
// stops early), gauges, a classic histogram, special values, escaped label
// values, a series with gaps longer than the lookback delta, fractional-second
// timestamps, and very large and small magnitudes.
std::vector<Series> MakeData(int64_t t0_ms) {
  Random rnd(20230301);
  std::vector<Series> out;
  auto at = [t0_ms](int i) { return t0_ms + i * kStepMs; };
  for (const std::string job : {"api", "web"}) {
    for (int inst = 0; inst < 3; ++inst) {
      const std::string instance = absl::StrCat(inst);
      for (const std::string code : {"200", "500"}) {
        Series s = Make("reqs", "counter", "reqs_total", {{"job", job}, {"instance", instance}, {"code", code}});
        int64_t v = 0;
        for (int i = 0; i <= kSteps; ++i) {
          if (rnd.Below(100) == 0) v = 0;  // a counter reset
          v += rnd.Below(code == "200" ? 21 : 4);
          if (job == "web" && inst == 2 && i > kSteps * 6 / 10) break;  // stops: staleness via lookback
          if (job == "api" && inst == 1 && i < kSteps * 3 / 10) continue;  // starts late
          s.points.push_back({at(i), absl::StrCat(v)});
        }
        out.push_back(std::move(s));
      }
      Series temp = Make("temp", "gauge", "temp", {{"job", job}, {"instance", instance}});
      for (int i = 0; i <= kSteps; ++i) {
        // A slow wave in thousandths plus noise; exact decimal strings.
        int64_t wave = (i / 40 + inst) % 4 * 2500 + (i % 40) * 125;
        temp.points.push_back({at(i), Milli(15000 + wave + rnd.Below(1000))});
      }
      out.push_back(std::move(temp));

      static const char* kLe[] = {"0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
      static const int64_t kLeMilli[] = {100, 250, 500, 1000, 2500, INT64_MAX};
      std::vector<Series> buckets;
      for (const char* le : kLe) {
        buckets.push_back(Make("lat", "histogram", "lat_bucket", {{"job", job}, {"instance", instance}, {"le", le}}));
      }
      Series sum = Make("lat", "histogram", "lat_sum", {{"job", job}, {"instance", instance}});
      Series count = Make("lat", "histogram", "lat_count", {{"job", job}, {"instance", instance}});
      int64_t cum[6] = {}, sum_milli = 0, n = 0;
      for (int i = 0; i <= kSteps; ++i) {
        for (int64_t k = rnd.Below(11); k > 0; --k) {
          int64_t x = rnd.Below(1000) * (1 + rnd.Below(3)) / (1 + rnd.Below(2));  // skewed towards small
          for (int b = 0; b < 6; ++b) cum[b] += x <= kLeMilli[b] ? 1 : 0;
          sum_milli += x;
          ++n;
        }
        for (int b = 0; b < 6; ++b) buckets[b].points.push_back({at(i), absl::StrCat(cum[b])});
        sum.points.push_back({at(i), Milli(sum_milli)});
        count.points.push_back({at(i), absl::StrCat(n)});
      }
      for (auto& b : buckets) out.push_back(std::move(b));
      out.push_back(std::move(sum));
      out.push_back(std::move(count));
    }
  }
  {  // Special values among ordinary ones.
    static const char* kSpecial[] = {"1.5", "NaN", "+Inf", "-Inf", "0", "-2.25", "1e-07", "-0"};
    for (int k = 0; k < 3; ++k) {
      Series s = Make("special", "gauge", "special", {{"kind", absl::StrCat("k", k)}});
      for (int i = 0; i <= kSteps; ++i) s.points.push_back({at(i), kSpecial[(i / 3 + k * 3) % 8]});
      out.push_back(std::move(s));
    }
  }
  {  // Label values that need escaping, and UTF-8.
    Series s = Make("esc", "gauge", "esc",
                    {{"path", "C:\\dir\\file"}, {"quote", "say \"hi\""}, {"nl", "line1\nline2"}, {"utf8", "żółw ☃"}});
    Series t = Make("esc", "gauge", "esc", {{"path", "/usr/bin"}, {"quote", "'single'"}, {"nl", ""}, {"utf8", "ascii"}});
    for (int i = 0; i <= kSteps; i += 4) {
      s.points.push_back({at(i), absl::StrCat(i)});
      t.points.push_back({at(i), absl::StrCat(-i)});
    }
    out.push_back(std::move(s));
    out.push_back(std::move(t));
  }
  {  // Present for 20 minutes, absent for 20 minutes, ... (gaps beyond the 5m lookback).
    for (const std::string instance : {"a", "b"}) {
      Series s = Make("flaky", "gauge", "flaky", {{"job", "batch"}, {"instance", instance}});
      for (int i = 0; i <= kSteps; ++i) {
        if ((i / 80 + (instance == "b")) % 2 == 0) s.points.push_back({at(i), absl::StrCat(i % 13)});
      }
      out.push_back(std::move(s));
    }
  }
  {  // Fractional-second, irregular timestamps.
    Series s = Make("jitter", "counter", "jitter_total", {{"job", "api"}});
    int64_t t = t0_ms + 250, v = 0;
    while (t <= t0_ms + int64_t{kSteps} * kStepMs) {
      v += rnd.Below(50);
      s.points.push_back({t, absl::StrCat(v)});
      t += 5'000 + rnd.Below(20'000) + (rnd.Below(2) ? 500 : 125);
    }
    out.push_back(std::move(s));
  }
  {  // Magnitudes whose formatting matters.
    Series s = Make("magnitude", "gauge", "magnitude", {{"size", "big"}});
    Series t = Make("magnitude", "gauge", "magnitude", {{"size", "small"}});
    for (int i = 0; i <= kSteps; i += 2) {
      s.points.push_back({at(i), absl::StrCat("-1.234567890123", i % 10, "e+21")});
      t.points.push_back({at(i), absl::StrCat("3.", i % 7, "e-09")});
    }
    out.push_back(std::move(s));
    out.push_back(std::move(t));
  }
  return out;
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string SecondsText(int64_t ms) {
  if (ms % 1000 == 0) return absl::StrCat(ms / 1000);
  return UnixSecondsParam(ms);
}

// The data as an OpenMetrics text: families in order of first appearance,
// each series with all its points, then "# EOF".
std::string ToOpenMetrics(const std::vector<Series>& data) {
  std::vector<std::string> families;
  std::map<std::string, std::vector<const Series*>> by_family;
  for (const Series& s : data) {
    if (!by_family.count(s.family)) families.push_back(s.family);
    by_family[s.family].push_back(&s);
  }
  std::string out;
  for (const std::string& family : families) {
    absl::StrAppend(&out, "# TYPE ", family, " ", by_family[family].front()->type, "\n");
    for (const Series* s : by_family[family]) {
      std::string prefix = s->labels.front().second;
      std::vector<std::string> pairs;
      for (size_t i = 1; i < s->labels.size(); ++i) {
        pairs.push_back(absl::StrCat(s->labels[i].first, "=\"", EscapeLabelValue(s->labels[i].second), "\""));
      }
      if (!pairs.empty()) absl::StrAppend(&prefix, "{", absl::StrJoin(pairs, ","), "}");
      for (const Point& p : s->points) absl::StrAppend(&out, prefix, " ", p.value, " ", SecondsText(p.t_ms), "\n");
    }
  }
  out += "# EOF\n";
  return out;
}

// The same samples as gRPC Write requests, in time order (each request holds
// ten minutes of every series), so no sample falls behind the head's lower bound.
std::vector<pb::WriteRequest> ToWriteRequests(const std::vector<Series>& data, int64_t t0_ms) {
  constexpr int64_t kWindowMs = 10 * 60 * 1000;
  std::map<int64_t, pb::WriteRequest> by_window;
  for (const Series& s : data) {
    std::map<int64_t, pb::TimeSeries*> per_window;
    for (const Point& p : s.points) {
      int64_t w = (p.t_ms - t0_ms) / kWindowMs;
      pb::TimeSeries*& ts = per_window[w];
      if (ts == nullptr) {
        ts = by_window[w].add_series();
        std::vector<std::pair<std::string, std::string>> sorted = s.labels;
        std::sort(sorted.begin(), sorted.end());
        for (const auto& [name, value] : sorted) {
          pb::Label* l = ts->add_labels();
          l->set_name(name);
          l->set_value(value);
        }
      }
      pb::Sample* sample = ts->add_samples();
      sample->set_timestamp_ms(p.t_ms);
      sample->set_value(std::strtod(p.value.c_str(), nullptr));
    }
  }
  std::vector<pb::WriteRequest> out;
  for (auto& [w, req] : by_window) out.push_back(std::move(req));
  return out;
}

// ---------------------------------------------------------------------------
// Comparing answers.

// How strictly leaf values are compared.
enum class Strictness {
  kExact,
  // Sample values that parse as finite numbers may differ in their last bits
  // (at most 4 units in the last place).
  kLastBits,
  // "0" and "-0" are the same value.
  kSignedZero,
};

bool NearlyEqualText(const std::string& a, const std::string& b, Strictness strictness) {
  if (strictness == Strictness::kExact) return false;
  char* ea = nullptr;
  char* eb = nullptr;
  double x = std::strtod(a.c_str(), &ea), y = std::strtod(b.c_str(), &eb);
  if (a.empty() || b.empty() || *ea != '\0' || *eb != '\0' || !std::isfinite(x) || !std::isfinite(y)) return false;
  if (strictness == Strictness::kSignedZero) return x == 0 && y == 0;
  if ((x < 0) != (y < 0)) return false;
  int64_t ix, iy;
  std::memcpy(&ix, &x, sizeof ix);
  std::memcpy(&iy, &y, sizeof iy);
  return std::llabs(ix - iy) <= 4;
}

// Same JSON value, with object members compared by name (their order carries
// no meaning); `why` gets the path and both values of the first difference.
bool SameJson(const json::JsonValue& a, const json::JsonValue& b, const std::string& path, std::string* why,
              Strictness strictness) {
  auto differ = [&](const std::string& detail = "") {
    *why = absl::StrCat(path.empty() ? "." : path, ": Prometheus ", a.Serialize().substr(0, 400), " vs OmniScope ",
                        b.Serialize().substr(0, 400), detail);
    return false;
  };
  if (a.type() != b.type()) return differ();
  if (a.IsObject()) {
    if (a.size() != b.size()) return differ();
    for (const auto& [name, value] : a.AsObject()) {
      const json::JsonValue* other = b.Find(name);
      if (other == nullptr) return differ();
      if (!SameJson(value, *other, path + "." + name, why, strictness)) return false;
    }
    return true;
  }
  if (a.IsArray()) {
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      if (!SameJson(a.AsArray()[i], b.AsArray()[i], absl::StrCat(path, "[", i, "]"), why, strictness)) {
        if (a.size() != b.size()) absl::StrAppend(why, " (and ", a.size(), " vs ", b.size(), " elements)");
        return false;
      }
    }
    if (a.size() != b.size()) return differ(absl::StrCat(" (", a.size(), " vs ", b.size(), " elements)"));
    return true;
  }
  if (a == b) return true;
  if (a.IsString() && NearlyEqualText(a.AsString(), b.AsString(), strictness)) return true;
  return differ();
}

// A label set (a "metric" object) as a canonical string, for sorting.
std::string LabelKey(const json::JsonValue& metric) {
  std::vector<std::string> pairs;
  if (metric.IsObject()) {
    for (const auto& [name, value] : metric.AsObject()) pairs.push_back(name + "=" + value.Serialize());
  }
  std::sort(pairs.begin(), pairs.end());
  return "{" + absl::StrJoin(pairs, ",") + "}";
}

json::JsonValue SortedByLabels(const json::JsonValue& array, const char* member) {
  if (!array.IsArray()) return array;
  json::JsonValue::Array items = array.AsArray();
  std::stable_sort(items.begin(), items.end(), [member](const json::JsonValue& x, const json::JsonValue& y) {
    const json::JsonValue* mx = member ? x.Find(member) : &x;
    const json::JsonValue* my = member ? y.Find(member) : &y;
    return LabelKey(mx ? *mx : json::JsonValue()) < LabelKey(my ? *my : json::JsonValue());
  });
  return json::JsonValue(std::move(items));
}

enum class Order { kDefined, kUndefined, kByValue };

// "" when the two responses agree, else a description of the difference.
// kUndefined: result (or data) elements are compared as a set; kByValue
// (sort, sort_desc): as a set, and the sequence of sample values must match
// too (ties may come in any order, as in Prometheus).
std::string CompareResponses(const HttpResponse& p, const HttpResponse& o, Order order,
                             Strictness strictness = Strictness::kExact) {
  if (p.status == 0 || o.status == 0) return absl::StrCat("request failed: ", p.error, " / ", o.error);
  auto pj = json::Parse(p.body);
  auto oj = json::Parse(o.body);
  if (!pj.ok() || !oj.ok()) return absl::StrCat("unparsable body: ", p.body.substr(0, 200), " / ", o.body.substr(0, 200));
  std::string why;
  if (p.status != o.status) {
    return absl::StrCat("HTTP ", p.status, " vs ", o.status, ": ", p.body.substr(0, 300), " / ", o.body.substr(0, 300));
  }
  json::JsonValue pv = *pj, ov = *oj;
  const bool vector = pv.IsObject() && pv.Find("data") && pv.Find("data")->IsObject() &&
                      pv.Find("data")->GetString("resultType") == "vector";
  if (order != Order::kDefined && pv.GetString("status") == "success" && ov.GetString("status") == "success") {
    json::JsonValue* pdata = pv.Find("data");
    json::JsonValue* odata = ov.Find("data");
    json::JsonValue* presult = pdata && pdata->IsObject() ? pdata->Find("result") : pdata;
    json::JsonValue* oresult = odata && odata->IsObject() ? odata->Find("result") : odata;
    if (order == Order::kByValue && vector && presult && oresult && presult->IsArray() && oresult->IsArray() &&
        presult->size() == oresult->size()) {
      for (size_t i = 0; i < presult->size(); ++i) {
        const json::JsonValue* a = presult->AsArray()[i].Find("value");
        const json::JsonValue* b = oresult->AsArray()[i].Find("value");
        if (a && b && a->size() == 2 && b->size() == 2 && !(a->AsArray()[1] == b->AsArray()[1])) {
          return absl::StrCat("sort order differs at [", i, "]: Prometheus ", presult->AsArray()[i].Serialize(),
                              " vs OmniScope ", oresult->AsArray()[i].Serialize());
        }
      }
    }
    const char* member = pdata && pdata->IsObject() ? "metric" : nullptr;
    if (presult) *presult = SortedByLabels(*presult, member);
    if (oresult) *oresult = SortedByLabels(*oresult, member);
  }
  if (!SameJson(pv, ov, "", &why, strictness)) return why;
  return "";
}

// True when every element of Prometheus's "data" array is also in ours
// (metadata endpoints; ours may hold more).
bool DataIsSubset(const HttpResponse& p, const HttpResponse& o) {
  auto pj = json::Parse(p.body);
  auto oj = json::Parse(o.body);
  if (!pj.ok() || !oj.ok()) return false;
  const json::JsonValue* pd = pj->Find("data");
  const json::JsonValue* od = oj->Find("data");
  if (!pd || !od || !pd->IsArray() || !od->IsArray()) return false;
  std::set<std::string> ours;
  for (const auto& v : od->AsArray()) ours.insert(v.IsObject() ? LabelKey(v) : v.Serialize());
  for (const auto& v : pd->AsArray()) {
    if (!ours.count(v.IsObject() ? LabelKey(v) : v.Serialize())) return false;
  }
  return true;
}

// The reference queries use `@ <seconds>` times relative to kReferenceOrigin;
// move them to this run's origin.
std::string Rebase(const std::string& query, int64_t t0_ms) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t at = query.find("@ 100000", pos);
    if (at == std::string::npos) break;
    size_t end = at + 2;
    while (end < query.size() && isdigit(static_cast<unsigned char>(query[end]))) ++end;
    int64_t t = std::atoll(query.substr(at + 2, end - at - 2).c_str());
    absl::StrAppend(&out, query.substr(pos, at - pos), "@ ", t0_ms / 1000 + (t - kReferenceOrigin));
    pos = end;
  }
  return out + query.substr(pos);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t") != std::string::npos) out.push_back(line);
  }
  return out;
}

// Queries beyond tests/promql/reference/queries.txt, for the series that
// only this data set has.
const std::vector<std::string>& ExtraQueries() {
  static const auto* q = new std::vector<std::string>{
      "special",
      "special + 1",
      "-special",
      "special > 0",
      "special == bool special",
      "sum(special)",
      "avg(special)",
      "max(special)",
      "min by (kind) (special)",
      "count_values(\"value\", special)",
      "sort(special)",
      "sort_desc(special)",
      "topk(2, special)",
      "bottomk(2, special)",
      "quantile(0.5, special)",
      "max_over_time(special[1m])",
      "avg_over_time(special[2m])",
      "sum_over_time(special[1m])",
      "stddev_over_time(special[5m])",
      "quantile_over_time(0.5, special[5m])",
      "rate(special[5m])",
      "deriv(special[2m])",
      "clamp(special, -1, 1)",
      "sgn(special)",
      "special / 0",
      "esc",
      "esc{nl=\"line1\\nline2\"}",
      "esc{quote=~\".*\\\"hi.*\"}",
      "esc{path=\"C:\\\\dir\\\\file\"}",
      "sum by (nl, utf8) (esc)",
      "label_replace(esc, \"copy\", \"[$1]\", \"path\", \"(.*)\")",
      "label_join(esc, \"all\", \"|\", \"quote\", \"nl\", \"utf8\")",
      "count_values(\"path\", esc)",
      "flaky",
      "last_over_time(flaky[10m])",
      "count_over_time(flaky[30m])",
      "absent(flaky{instance=\"a\"})",
      "absent_over_time(flaky{instance=\"b\"}[10m])",
      "present_over_time(flaky[6m])",
      "flaky offset 20m",
      "changes(flaky[1h])",
      "timestamp(flaky)",
      "jitter_total",
      "rate(jitter_total[1m])",
      "irate(jitter_total[1m])",
      "increase(jitter_total[2m])",
      "idelta(jitter_total[1m])",
      "timestamp(jitter_total)",
      "resets(jitter_total[1h])",
      "magnitude",
      "magnitude * 1e300",
      "magnitude / 3",
      "sum(magnitude)",
      "avg_over_time(magnitude[5m])",
      "lat_sum / lat_count",
      "rate(lat_sum[5m]) / rate(lat_count[5m])",
      "histogram_quantile(0.75, sum without (instance) (rate(lat_bucket[10m])))",
      "histogram_quantile(0.9, lat_bucket)",
      "sum by (job) (increase(reqs_total[15m])) / on(job) group_left sum by (job) (temp)",
      "reqs_total{code=\"500\"} / on(job, instance) group_left(code) lat_count",
      "count by (job) (reqs_total offset 30m)",
      "topk by (code) (2, reqs_total)",
      "bottomk(3, rate(reqs_total[5m]))",
      "sort(sum by (job, instance) (rate(reqs_total[5m])))",
      "sort_desc(max_over_time(temp[30m]))",
      "count_values without (instance) (\"t\", floor(temp / 5))",
      "label_replace(reqs_total, \"instance\", \"host-$1\", \"instance\", \"(.*)\")",
      "absent(nonexistent)",
      "absent(reqs_total)",
      "rate(reqs_total[10m:30s])",
      "max_over_time(sum(rate(reqs_total[5m]))[1h:5m] offset 10m)",
      "{job=\"batch\"}",
      "{__name__=~\"lat_.*\", job=\"web\", instance=\"0\"}",
      // Errors at evaluation time.
      "reqs_total + on(job) temp",
      "label_replace(temp, \"job\", \"x\", \"instance\", \".*\")",
      "{__name__=~\"temp|flaky\"} + 1",
  };
  return *q;
}

struct Api {
  std::string name;  // for messages
  std::string url;
};

// Decides whether a difference is a documented one: returns the reason, or
// "" for an unexpected difference.
using KnownDifference = std::function<std::string(const std::string& what, const HttpResponse& prometheus,
                                                  const HttpResponse& ours, Order order)>;

// Compares one request on Prometheus and on each collector and collects the
// differences: unexpected ones fail the test, known ones are printed.
class Comparer {
 public:
  Comparer(std::string prometheus_url, std::vector<Api> collectors, KnownDifference known)
      : prometheus_url_(std::move(prometheus_url)), collectors_(std::move(collectors)), known_(std::move(known)) {}

  void Compare(const std::string& what, const std::string& path_and_query, Order order) {
    HttpResponse p = HttpGet(prometheus_url_ + path_and_query);
    if (p.status != 200) ++prometheus_errors_;
    for (const Api& c : collectors_) {
      HttpResponse o = HttpGet(c.url + path_and_query);
      ++compared_;
      std::string why = CompareResponses(p, o, order);
      if (why.empty()) continue;
      std::string line = absl::StrCat("[", c.name, "] ", what, "\n    ", why);
      std::string reason = known_(what, p, o, order);
      if (reason.empty()) {
        unexpected_.push_back(std::move(line));
      } else {
        known_diffs_.push_back(absl::StrCat(line, "\n    known: ", reason));
      }
    }
  }

  const std::vector<std::string>& unexpected() const { return unexpected_; }
  const std::vector<std::string>& known() const { return known_diffs_; }
  int compared() const { return compared_; }
  int prometheus_errors() const { return prometheus_errors_; }

 private:
  std::string prometheus_url_;
  std::vector<Api> collectors_;
  KnownDifference known_;
  std::vector<std::string> unexpected_;
  std::vector<std::string> known_diffs_;
  int compared_ = 0;
  int prometheus_errors_ = 0;
};

// The differences docs/promql.md lists as deliberate or known, each checked
// narrowly: the rest of such a response must still match exactly.
std::string KnownDifferenceReason(const std::string& what, const HttpResponse& p, const HttpResponse& o,
                                  Order order) {
  auto query_has = [&](std::initializer_list<const char*> parts) {
    for (const char* part : parts) {
      if (absl::StrContains(what, part)) return true;
    }
    return false;
  };
  // Go's math package (Pow, Exp, Log, Sin, Atan2, ...) and the C library
  // round a few results differently in the last bit.
  if (query_has({" ^ ", "exp(", "ln(", "log2(", "log10(", "sin(", "atan2"}) &&
      CompareResponses(p, o, order, Strictness::kLastBits).empty()) {
    return "Go math vs C library: last-bit rounding of an elementary function";
  }
  // Ties between equal values (0 and -0 included) come in an unspecified order.
  if (query_has({"quantile_over_time(0.5, special[5m])"}) &&
      CompareResponses(p, o, order, Strictness::kSignedZero).empty()) {
    return "tie order of 0 and -0 in the quantile's sort";
  }
  if (query_has({"range topk(2, special)", "range bottomk(3, rate(reqs_total[5m]))"})) {
    return "topk/bottomk pick among equal values in a different order (ties: 0/-0, equal rates)";
  }
  // Lexer error texts (docs/promql.md).
  for (const char* q : {"foo[", "{a=\"b\"}[5m:1m:1m]", "\"a\\x4\"", "@ 1"}) {
    if (what == absl::StrCat("instant (corner case) ", q)) return "lexer error text";
  }
  // Metadata time windows: Prometheus filters by chunk or block, we by the
  // series' first and last sample (series) or not at all (label names and values).
  if (absl::StrContains(what, "&start=") && (what.rfind("series ", 0) == 0 || what.rfind("/api/v1/label", 0) == 0) &&
      p.status == 200 && DataIsSubset(p, o)) {
    return "metadata start/end are applied per series (series) or ignored (labels, label values)";
  }
  return "";
}

Order OrderOf(const std::string& query) {
  return query.rfind("sort(", 0) == 0 || query.rfind("sort_desc(", 0) == 0 ? Order::kByValue : Order::kUndefined;
}

bool RunTool(const std::string& binary, const std::vector<std::string>& args) {
  Daemon tool(binary, args);
  tool.Start();
  int status = tool.Wait(absl::Minutes(3));
  if (status != 0) {
    fprintf(stderr, "%s exited with status %d; its output:\n%s\n", binary.c_str(), status, tool.Logs().c_str());
  }
  return status == 0;
}

TEST_CASE("the same OpenMetrics file gives the same API answers in the collector and Prometheus 2.42",
          "[e2e][compat]") {
  if (access(kPrometheusBinary, X_OK) != 0 || access(kPromtoolBinary, X_OK) != 0) {
    WARN("SKIPPED: " << kPrometheusBinary << " or " << kPromtoolBinary
                     << " is not installed (Debian package `prometheus`); nothing compared");
    return;
  }
  // Two hours of data ending 1-2 hours ago: inside Prometheus's default
  // retention and block ranges, and old enough to be immutable in both.
  const int64_t hour_ms = 3600 * 1000;
  const int64_t t0_ms = (absl::ToUnixMillis(absl::Now()) / hour_ms - 4) * hour_ms;
  const std::vector<Series> data = MakeData(t0_ms);
  const std::string dir = MakeTempDir("omni_e2e_openmetrics_");
  const std::string file = dir + "/data.om";
  WriteFile(file, ToOpenMetrics(data));

  const std::string prom_storage = dir + "/prometheus-data";
  REQUIRE(RunTool(kPromtoolBinary, {"tsdb", "create-blocks-from", "openmetrics", file, prom_storage}));
  const std::string no_scrapes = "global:\n  scrape_interval: 1m\nscrape_configs: []\n";
  RealPrometheus prom(no_scrapes, prom_storage);
  REQUIRE(prom.Start());

  // Collector 1: the file imported offline.
  Collector imported(no_scrapes);
  REQUIRE(RunTool(BinaryPath("omniscopectl"),
                  {"tsdb", "import", "openmetrics", file, "--storage.tsdb.path", imported.storage_path()}));
  REQUIRE(imported.Start());

  // Collector 2: the same samples through the gRPC Write RPC.
  Collector written(no_scrapes);
  REQUIRE(written.Start());
  {
    auto stub = pb::CollectorService::NewStub(
        grpc::CreateChannel(written.grpc_address(), grpc::InsecureChannelCredentials()));
    int64_t total = 0;
    for (const pb::WriteRequest& req : ToWriteRequests(data, t0_ms)) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      pb::WriteResponse resp;
      grpc::Status st = stub->Write(&ctx, req, &resp);
      REQUIRE(st.ok());
      INFO(resp.DebugString());
      REQUIRE(resp.samples_rejected().empty());
      total += resp.samples_written();
    }
    int64_t expected = 0;
    for (const Series& s : data) expected += static_cast<int64_t>(s.points.size());
    CHECK(total == expected);
  }

  Comparer cmp(prom.url(), {{"imported", imported.url()}, {"written", written.url()}}, KnownDifferenceReason);
  const int64_t end_ms = t0_ms + int64_t{kSteps} * kStepMs;
  const std::vector<int64_t> instants = {t0_ms + 300'000, t0_ms + 3'600'000, t0_ms + 3'607'500,
                                         end_ms + 100'000, end_ms + 400'000};
  struct Range {
    int64_t start_ms, end_ms;
    std::string step;
  };
  const std::vector<Range> ranges = {{t0_ms, end_ms, "60"}, {t0_ms + 100'000, t0_ms + 5'000'000, "37"}};

  std::vector<std::string> queries;
  for (const std::string& q : ReadLines(std::string(OMNI_SOURCE_DIR) + "/tests/promql/reference/queries.txt")) {
    queries.push_back(Rebase(q, t0_ms));
  }
  REQUIRE(queries.size() > 100);
  for (const std::string& q : ExtraQueries()) queries.push_back(q);

  for (const std::string& q : queries) {
    for (int64_t t : instants) {
      cmp.Compare(absl::StrCat("instant ", q, " @ ", UnixSecondsParam(t)),
                  absl::StrCat("/api/v1/query?query=", UrlEncode(q), "&time=", UnixSecondsParam(t)), OrderOf(q));
    }
    for (const Range& r : ranges) {
      const std::string params = absl::StrCat("&start=", UnixSecondsParam(r.start_ms),
                                              "&end=", UnixSecondsParam(r.end_ms), "&step=", r.step);
      cmp.Compare(absl::StrCat("range ", q, params), "/api/v1/query_range?query=" + UrlEncode(q) + params,
                  Order::kDefined);
    }
  }
  // Malformed and corner-case queries: same status, errorType and message.
  for (const std::string& raw : ReadLines(std::string(OMNI_SOURCE_DIR) + "/tests/promql/reference/bad_queries.txt")) {
    const std::string q = Rebase(raw, t0_ms);
    cmp.Compare("instant (corner case) " + q,
                absl::StrCat("/api/v1/query?query=", UrlEncode(q), "&time=", UnixSecondsParam(t0_ms + 3'600'000)),
                OrderOf(q));
  }
  // Range queries report parse errors without the parameter name.
  for (const std::string q : {"sum(", "foo{", "1 +", "rate(foo[5m], 1)", "foo offset 1x"}) {
    cmp.Compare("range (corner case) " + q, "/api/v1/query_range?query=" + UrlEncode(q) + "&start=1&end=100&step=10",
                Order::kDefined);
  }
  // Range-query parameter errors.
  for (const std::string params : {"&start=10&end=5&step=1", "&start=0&end=1000000&step=0.001", "&start=x&end=1&step=1",
                                   "&start=1&end=2&step=-1", "&start=1&end=2", "&start=1&end=2&step=1&timeout=x"}) {
    cmp.Compare(absl::StrCat("range temp", params), "/api/v1/query_range?query=temp" + std::string(params),
                Order::kDefined);
  }

  // Metadata endpoints, over all time and over windows that cut series.
  const std::string mid = UnixSecondsParam(t0_ms + 5'000'000), mid_end = UnixSecondsParam(t0_ms + 5'100'000);
  const std::string gap = UnixSecondsParam(t0_ms + 1'300'000), gap_end = UnixSecondsParam(t0_ms + 2'300'000);
  const std::string late = UnixSecondsParam(end_ms + 3'600'000), late_end = UnixSecondsParam(end_ms + 7'200'000);
  const std::vector<std::pair<std::string, std::string>> windows = {
      {"", ""}, {mid, mid_end}, {gap, gap_end}, {late, late_end}};
  for (const auto& [start, end] : windows) {
    const std::string range = start.empty() ? "" : absl::StrCat("&start=", start, "&end=", end);
    for (const std::string match : {"reqs_total", "{job=\"web\"}", "esc", "flaky", "{__name__=~\"lat_.*\",le=\"+Inf\"}",
                                    "special{kind=~\"k[01]\"}"}) {
      cmp.Compare("series match[]=" + match + range, "/api/v1/series?match[]=" + UrlEncode(match) + range,
                  Order::kUndefined);
    }
    cmp.Compare("series match[]=flaky&match[]=esc" + range,
                "/api/v1/series?match[]=flaky&match[]=esc" + range, Order::kUndefined);
    for (const std::string path : {"/api/v1/labels?x=1", "/api/v1/labels?match[]=esc", "/api/v1/labels?match[]=flaky",
                                   "/api/v1/label/__name__/values?x=1", "/api/v1/label/job/values?x=1",
                                   "/api/v1/label/instance/values?match[]=reqs_total%7Bjob%3D%22web%22%7D",
                                   "/api/v1/label/nl/values?x=1", "/api/v1/label/quote/values?match[]=esc",
                                   "/api/v1/label/instance/values?match[]=flaky&match[]=temp%7Bjob%3D%22api%22%7D",
                                   "/api/v1/label/nonexistent/values?x=1"}) {
      cmp.Compare(path + range, path + range, Order::kDefined);
    }
  }
  // Metadata errors.
  for (const std::string path : {"/api/v1/series", "/api/v1/series?match[]=%7B%7D", "/api/v1/series?match[]=up%7B",
                                 "/api/v1/label/bad-name/values", "/api/v1/labels?match[]=%7Ba%3D%22%22%7D",
                                 "/api/v1/series?match[]=temp&start=x"}) {
    cmp.Compare(path, path, Order::kDefined);
  }

  // Sanity: the comparison ran and Prometheus answered most of it.
  CHECK(cmp.compared() > 2000);
  CHECK(cmp.prometheus_errors() < cmp.compared() / 4);

  for (const std::string& d : cmp.known()) WARN(d);
  INFO(cmp.unexpected().size() << " of " << cmp.compared() << " comparisons differ unexpectedly ("
                               << cmp.known().size() << " known differences):\n"
                               << absl::StrJoin(cmp.unexpected(), "\n"));
  CHECK(cmp.unexpected().empty());
  if (cmp.unexpected().empty()) std::filesystem::remove_all(dir);  // kept for debugging a failure
}

}  // namespace
}  // namespace omni::e2e
