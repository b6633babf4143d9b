// Runs the real Prometheus 2.42 (/usr/bin/prometheus) and omniscope-collector
// side by side against the same local targets with the same configuration,
// and compares what their HTTP APIs return: series, label names and values,
// targets, instant and range query results, and staleness after a target
// disappears. Skipped (with a message) when Prometheus is not installed.
// docs/compatibility.md lists what is compared and the known differences.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/scrape/testing/test_http_server.h"
#include "tests/e2e/harness.h"

namespace omni::e2e {
namespace {

using scrape::testing::TestHttpServer;

// Fixed values only, so both programs must return identical numbers.
constexpr char kMainExposition[] = R"(# HELP compat_requests_total Requests handled.
# TYPE compat_requests_total counter
compat_requests_total{method="GET",code="200"} 1027
compat_requests_total{method="POST",code="500"} 3
# HELP compat_gauge A gauge.
# TYPE compat_gauge gauge
compat_gauge 42.5
compat_gauge_small 1.5e-07
compat_gauge_big -1.234567890123e+21
compat_gauge_nan NaN
compat_gauge_inf{sign="pos"} +Inf
compat_gauge_inf{sign="neg"} -Inf
# HELP compat_latency_seconds A histogram.
# TYPE compat_latency_seconds histogram
compat_latency_seconds_bucket{le="0.1"} 5
compat_latency_seconds_bucket{le="0.5"} 8
compat_latency_seconds_bucket{le="+Inf"} 10
compat_latency_seconds_sum 2.5
compat_latency_seconds_count 10
# HELP compat_summary A summary.
# TYPE compat_summary summary
compat_summary{quantile="0.5"} 0.2
compat_summary{quantile="0.99"} 0.9
compat_summary_sum 12
compat_summary_count 40
# HELP compat_escaped Escaped label values.
compat_escaped{path="C:\\dir\\file",quote="say \"hi\"",nl="line1\nline2",utf8="żółw ☃"} 1
compat_untyped 7
)";

// Ten samples, over the "limited" job's sample_limit of 5.
constexpr char kOverLimitExposition[] =
    "compat_limited{i=\"0\"} 0\ncompat_limited{i=\"1\"} 1\ncompat_limited{i=\"2\"} 2\n"
    "compat_limited{i=\"3\"} 3\ncompat_limited{i=\"4\"} 4\ncompat_limited{i=\"5\"} 5\n"
    "compat_limited{i=\"6\"} 6\ncompat_limited{i=\"7\"} 7\ncompat_limited{i=\"8\"} 8\n"
    "compat_limited{i=\"9\"} 9\n";

// Two valid lines, then a syntax error: the whole scrape must be dropped.
constexpr char kMalformedExposition[] = "compat_malformed_ok 1\ncompat_malformed_ok2 2\nbad{ 3\n";

constexpr char kVanishingExposition[] = "# TYPE compat_vanishing gauge\ncompat_vanishing 1\n";

std::unique_ptr<TestHttpServer> StartFixedTarget(const std::string& body) {
  auto srv = TestHttpServer::Start([body](const TestHttpServer::Request&) {
    TestHttpServer::Response resp;
    resp.body = body;
    return resp;
  });
  REQUIRE(srv.ok());
  return *std::move(srv);
}

// Job "compat" scrapes `targets`; job "limited" scrapes `limited_target`
// with a sample_limit its exposition exceeds.
std::string Config(const std::vector<std::string>& targets, const std::string& limited_target) {
  std::string out =
      "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
      "scrape_configs:\n  - job_name: compat\n    static_configs:\n      - targets: [";
  for (size_t i = 0; i < targets.size(); ++i) absl::StrAppend(&out, i ? ", " : "", "'", targets[i], "'");
  absl::StrAppend(&out, "]\n  - job_name: limited\n    sample_limit: 5\n    static_configs:\n      - targets: ['",
                  limited_target, "']\n");
  return out;
}

// A label set as a canonical string: name="value" pairs sorted by name.
std::string LabelKey(const json::JsonValue& metric) {
  std::vector<std::string> pairs;
  if (metric.IsObject()) {
    for (const auto& [name, value] : metric.AsObject()) {
      pairs.push_back(absl::StrCat(name, "=", json::JsonValue(value).Serialize()));
    }
  }
  std::sort(pairs.begin(), pairs.end());
  return "{" + absl::StrJoin(pairs, ",") + "}";
}

// A query response as "labels => values" lines, sorted, for an exact
// comparison; an error response as its errorType (messages differ in wording).
std::vector<std::string> Canonical(const std::string& url) {
  json::JsonValue body = GetJson(url);
  if (!body.IsObject()) return {"<no response>"};
  if (body.GetString("status") != "success") return {"error " + body.GetString("errorType")};
  const json::JsonValue* found = body.Find("data");
  const json::JsonValue data = found ? *found : json::JsonValue();
  std::vector<std::string> lines;
  if (!data.IsObject()) return {"<no data>"};
  std::string type = data.GetString("resultType");
  const json::JsonValue* result = data.Find("result");
  if (!result) return {"<no result>"};
  if (type == "scalar" || type == "string") return {type + " " + result->Serialize()};
  for (const auto& r : result->AsArray()) {
    std::string key = LabelKey(r.Find("metric") ? *r.Find("metric") : json::JsonValue());
    if (const json::JsonValue* v = r.Find("value")) {
      lines.push_back(key + " => " + v->Serialize());
    } else if (const json::JsonValue* vs = r.Find("values")) {
      lines.push_back(key + " => " + vs->Serialize());
    }
  }
  std::sort(lines.begin(), lines.end());
  lines.insert(lines.begin(), type);
  return lines;
}

std::vector<std::string> SortedLabelKeys(const json::JsonValue& array) {
  std::vector<std::string> keys;
  if (array.IsArray()) {
    for (const auto& s : array.AsArray()) keys.push_back(LabelKey(s));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// "only in A" / "only in B" lines of two sorted lists, for readable failures.
std::string Diff(const std::vector<std::string>& prom, const std::vector<std::string>& omni) {
  std::vector<std::string> only_prom, only_omni;
  std::set_difference(prom.begin(), prom.end(), omni.begin(), omni.end(), std::back_inserter(only_prom));
  std::set_difference(omni.begin(), omni.end(), prom.begin(), prom.end(), std::back_inserter(only_omni));
  std::ostringstream out;
  for (const auto& l : only_prom) out << "  only in Prometheus: " << l << "\n";
  for (const auto& l : only_omni) out << "  only in OmniScope:  " << l << "\n";
  return out.str();
}

// Metric family names of a text exposition (from "# TYPE" lines).
std::set<std::string> MetricFamilies(const std::string& exposition) {
  std::set<std::string> out;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::string rest = line.substr(7);
    out.insert(rest.substr(0, rest.find(' ')));
  }
  return out;
}

bool HasScrapes(const std::string& url, const std::string& instance, int n) {
  return QueryScalar(url, absl::StrCat("count_over_time(up{instance=\"", instance, "\"}[1m])")).value_or(0) >= n;
}

bool UpAbsent(const std::string& url, const std::string& instance) {
  json::JsonValue data = ApiData(url + "/api/v1/query?query=" + UrlEncode("up{instance=\"" + instance + "\"}"));
  return data.IsObject() && data.Find("result") && data.Find("result")->size() == 0;
}

TEST_CASE("collector and Prometheus 2.42 agree on the same targets", "[e2e][compat]") {
  if (access(kPrometheusBinary, X_OK) != 0) {
    WARN("SKIPPED: " << kPrometheusBinary << " is not installed (Debian package `prometheus`); nothing compared");
    return;
  }
  auto main_target = StartFixedTarget(kMainExposition);
  auto vanishing_target = StartFixedTarget(kVanishingExposition);
  auto malformed_target = StartFixedTarget(kMalformedExposition);
  const std::string main_addr = main_target->address();
  const std::string vanishing_addr = vanishing_target->address();
  auto over_limit_target = StartFixedTarget(kOverLimitExposition);
  const std::string malformed_addr = malformed_target->address();
  const std::string over_limit_addr = over_limit_target->address();
  const std::string config = Config({main_addr, vanishing_addr, malformed_addr}, over_limit_addr);

  RealPrometheus prom(config);
  REQUIRE(prom.Start());
  Collector omni(config, {"--web.enable-lifecycle"});
  REQUIRE(omni.Start());
  const std::string& p = prom.url();
  const std::string& o = omni.url();

  for (const std::string& url : {p, o}) {
    INFO(url);
    REQUIRE(Eventually([&] {
      return HasScrapes(url, main_addr, 3) && HasScrapes(url, vanishing_addr, 3) &&
             HasScrapes(url, malformed_addr, 3) && HasScrapes(url, over_limit_addr, 3);
    }));
  }
  // A common evaluation time at which both have data (lookback covers it).
  const int64_t at_ms = absl::ToUnixMillis(absl::Now());
  const std::string at = UnixSecondsParam(at_ms);

  {  // Series, label names and label values.
    const std::string series = "/api/v1/series?match[]=" + UrlEncode("{__name__=~\".+\"}");
    std::vector<std::string> ps = SortedLabelKeys(ApiData(p + series));
    std::vector<std::string> os = SortedLabelKeys(ApiData(o + series));
    INFO(Diff(ps, os));
    CHECK(ps.size() > 20);
    CHECK(ps == os);

    for (const std::string path : {"/api/v1/labels", "/api/v1/label/__name__/values", "/api/v1/label/nl/values",
                                   "/api/v1/label/quote/values", "/api/v1/label/instance/values"}) {
      json::JsonValue pv = ApiData(p + path), ov = ApiData(o + path);
      INFO(path << "\n  Prometheus: " << pv.Serialize() << "\n  OmniScope:  " << ov.Serialize());
      CHECK(pv.IsArray());
      CHECK(pv == ov);
    }
  }

  {  // Targets.
    auto summary = [](const json::JsonValue& data) {
      std::vector<std::string> out;
      const json::JsonValue* active = data.IsObject() ? data.Find("activeTargets") : nullptr;
      if (!active || !active->IsArray()) return out;
      for (const auto& t : active->AsArray()) {
        out.push_back(absl::StrCat(LabelKey(*t.Find("labels")), " pool=", t.GetString("scrapePool"),
                                   " url=", t.GetString("scrapeUrl"), " health=", t.GetString("health"),
                                   // The parse error texts differ (docs/compatibility.md).
                                   " lastError=", t.GetString("lastError").empty() ? "none" : "some",
                                   " interval=", t.GetString("scrapeInterval"),
                                   " timeout=", t.GetString("scrapeTimeout"),
                                   " discovered=", LabelKey(*t.Find("discoveredLabels"))));
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    std::vector<std::string> pt = summary(ApiData(p + "/api/v1/targets"));
    std::vector<std::string> ot = summary(ApiData(o + "/api/v1/targets"));
    INFO(Diff(pt, ot));
    CHECK(pt.size() == 4);
    CHECK(pt == ot);
  }

  {  // Instant and range queries at a common timestamp.
    const std::vector<std::string> exprs = {
        "up",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling{job!=\"limited\"}",
        "scrape_series_added",
        "up == 0",
        "{__name__=~\"compat_malformed.*\"}",
        "{job=\"limited\",__name__!~\"scrape_duration_seconds|scrape_samples_post_metric_relabeling\"}",
        "count(scrape_duration_seconds)",
        "compat_requests_total",
        "compat_gauge",
        "compat_gauge_small",
        "compat_gauge_big",
        "compat_gauge_nan",
        "compat_gauge_inf",
        "compat_latency_seconds_bucket",
        "compat_latency_seconds_sum",
        "compat_latency_seconds_count",
        "compat_summary",
        "compat_summary_sum",
        "compat_summary_count",
        "compat_escaped",
        "compat_untyped",
        "compat_vanishing",
        "{__name__=~\"compat_.+\"}",
        "count by (__name__) ({__name__=~\".+\"})",
        "sum by (code) (compat_requests_total)",
        "rate(compat_requests_total[10s])",
        "increase(compat_requests_total[10s])",
        "histogram_quantile(0.9, compat_latency_seconds_bucket)",
        "histogram_quantile(0.5, sum by (le) (compat_latency_seconds_bucket))",
        "compat_gauge_nan + 1",
        "-compat_gauge_inf",
        "compat_gauge_inf > 0",
        "compat_latency_seconds_sum / compat_latency_seconds_count",
        "label_replace(compat_gauge, \"dst\", \"$1\", \"instance\", \"(.*):.*\")",
        "topk(1, compat_requests_total)",
        "absent(nonexistent_metric)",
        "vector(1) + on() group_left compat_gauge",
        "scalar(compat_gauge)",
        "time() > bool 0",
        "compat_gauge offset 1h",
        // Errors: compared by errorType.
        "time() > 0",
        "sum(",
        "rate(compat_gauge)",
        "compat_requests_total + on(code) compat_requests_total{code=\"200\"} + ignoring(code) compat_gauge",
        // A scrape rejected by sample_limit still reports every sample that survived relabeling.
        "scrape_samples_post_metric_relabeling{job=\"limited\"}",
    };
    for (const std::string& expr : exprs) {
      const std::string q = "/api/v1/query?query=" + UrlEncode(expr) + "&time=" + at;
      std::vector<std::string> pr = Canonical(p + q);
      std::vector<std::string> orr = Canonical(o + q);
      INFO("instant query: " << expr << " @ " << at << "\n" << Diff(pr, orr));
      CHECK(pr.front().rfind("<no", 0) != 0);
      CHECK(pr == orr);
    }
    // Range queries over a window after both had their third scrape.
    const std::string range =
        absl::StrCat("&start=", UnixSecondsParam(at_ms - 2000), "&end=", at, "&step=0.5");
    for (const std::string expr : {"compat_requests_total", "compat_gauge_inf", "compat_escaped",
                                   "sum by (le) (compat_latency_seconds_bucket)", "compat_gauge_nan"}) {
      const std::string q = "/api/v1/query_range?query=" + UrlEncode(expr) + range;
      std::vector<std::string> pr = Canonical(p + q);
      std::vector<std::string> orr = Canonical(o + q);
      INFO("range query: " << expr << range << "\n" << Diff(pr, orr));
      CHECK(pr.front() == "matrix");
      CHECK(pr == orr);
    }
  }

  {  // Self metrics: every prometheus_* family the collector exports exists in Prometheus 2.42.
    std::set<std::string> prom_families = MetricFamilies(HttpGet(p + "/metrics").body);
    std::set<std::string> omni_families = MetricFamilies(HttpGet(o + "/metrics").body);
    // Known differences, see docs/compatibility.md.
    const std::set<std::string> known = {};
    std::vector<std::string> unknown_to_prometheus;
    for (const std::string& name : omni_families) {
      if (name.rfind("prometheus_", 0) == 0 && !prom_families.count(name) && !known.count(name)) {
        unknown_to_prometheus.push_back(name);
      }
    }
    INFO("collector families that Prometheus 2.42 does not export: " << absl::StrJoin(unknown_to_prometheus, ", "));
    CHECK(omni_families.count("prometheus_config_last_reload_successful") == 1);
    CHECK(unknown_to_prometheus.empty());
  }

  {  // Staleness when a target disappears (last: it changes the setup).
    // The target stops answering: up turns 0 and its series go stale in both.
    vanishing_target.reset();
    for (const std::string& url : {p, o}) {
      INFO(url);
      CHECK(Eventually([&] { return QueryScalar(url, "up{instance=\"" + vanishing_addr + "\"}") == 0; }));
      CHECK(Eventually([&] {
        json::JsonValue d = ApiData(url + "/api/v1/query?query=compat_vanishing");
        return d.IsObject() && d.Find("result") && d.Find("result")->size() == 0;
      }));
    }
    // The target leaves the configuration: its up series goes stale in both.
    const std::string reduced = Config({main_addr, malformed_addr}, over_limit_addr);
    WriteFile(prom.config_path(), reduced);
    WriteFile(omni.config_path(), reduced);
    CHECK(HttpPost(p + "/-/reload", "").status == 200);
    CHECK(HttpPost(o + "/-/reload", "").status == 200);
    for (const std::string& url : {p, o}) {
      INFO(url);
      CHECK(Eventually([&] { return UpAbsent(url, vanishing_addr); }));
      CHECK(QueryScalar(url, "up{instance=\"" + main_addr + "\"}") == 1);
    }
    // Still gone a few scrapes later, and the remaining target is still scraped.
    const uint64_t seen = main_target->requests();
    REQUIRE(Eventually([&] { return main_target->requests() >= seen + 6; }));
    CHECK(UpAbsent(p, vanishing_addr));
    CHECK(UpAbsent(o, vanishing_addr));
    // Before the disappearance the samples are still there, in both.
    const std::string q = "/api/v1/query?query=" + UrlEncode("compat_vanishing") + "&time=" + at;
    CHECK(Canonical(p + q) == Canonical(o + q));
    CHECK(Canonical(o + q).size() == 2);
  }
}

}  // namespace
}  // namespace omni::e2e
