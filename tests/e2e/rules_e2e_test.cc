// Rule evaluation end to end: omniscope-alerter evaluates Prometheus rule
// files against a running omniscope-collector over gRPC, writes recorded
// series and ALERTS back to it, and delivers the alerts through its own
// routing to a webhook. Groups run every second; the tests wait on
// conditions, never on fixed sleeps.
#include <catch2/catch.hpp>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "libs/json/json_value.h"
#include "tests/e2e/alerter_testing.h"
#include "tests/e2e/harness.h"

namespace omni::e2e {
namespace {

constexpr char kCollectorConfig[] = "global:\n  scrape_interval: 15s\nscrape_configs: []\n";

std::string AlerterConfig(const std::string& hook) {
  return absl::StrCat("route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n",
                      "  repeat_interval: 1h\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: ", hook, "\n");
}

// A recording rule, and an alert on its output: the alert can only fire if
// the recorded series went to the collector and came back through a query.
constexpr char kRules[] = R"(groups:
- name: fast
  interval: 1s
  rules:
  - record: omni:one
    expr: vector(1)
    labels:
      source: rule
  - alert: OneRecorded
    expr: omni:one{source="rule"} > 0
    labels:
      severity: page
    annotations:
      summary: "{{ $labels.source }} recorded {{ $value }} in {{ $externalLabels.cluster }}"
)";

bool QueryHasSeries(const std::string& base_url, const std::string& expr) {
  json::JsonValue data = ApiData(base_url + "/api/v1/query?query=" + UrlEncode(expr));
  const json::JsonValue* result = data.Find("result");
  return result != nullptr && result->IsArray() && !result->AsArray().empty();
}

TEST_CASE("the alerter records series into the collector and fires alerts read back from it", "[e2e][rules]") {
  Collector collector(kCollectorConfig);
  REQUIRE(collector.Start());
  WebhookSink sink;
  AlerterProc am(AlerterConfig(sink.url()));
  std::filesystem::create_directories(am.dir() + "/rules");
  WriteFile(am.dir() + "/rules/fast.yml", kRules);
  REQUIRE(am.Start({"--rules.file=" + am.dir() + "/rules/*.yml", "--collector=" + collector.grpc_address(),
                    "--rules.external-label=cluster=eu1", "--rules.external-url=http://viewer.example:3000"}));

  // The recorded series lands in the collector.
  REQUIRE(Eventually([&] { return QueryHasSeries(collector.url(), "omni:one{source=\"rule\"}"); }));
  // The alert fires and is written as ALERTS, as Prometheus does.
  REQUIRE(Eventually(
      [&] { return QueryHasSeries(collector.url(), "ALERTS{alertname=\"OneRecorded\",alertstate=\"firing\"}"); }));
  CHECK(QueryHasSeries(collector.url(), "ALERTS_FOR_STATE{alertname=\"OneRecorded\"}"));

  // It reaches the receiver through the alerter's own routing, with the
  // external label, the expanded annotation and a generator link.
  json::JsonValue p = sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "OneRecorded"); });
  REQUIRE(p.IsObject());
  const json::JsonValue& a = p.Find("alerts")->AsArray()[0];
  CHECK(a.Find("labels")->GetString("cluster") == "eu1");
  CHECK(a.Find("labels")->GetString("severity") == "page");
  CHECK(a.Find("labels")->GetString("source") == "rule");
  CHECK(a.Find("annotations")->GetString("summary") == "rule recorded 1 in eu1");
  CHECK(a.GetString("generatorURL").rfind("http://viewer.example:3000/graph?g0.expr=", 0) == 0);

  // Prometheus's rule API on the alerter.
  json::JsonValue rules = ApiData(am.url() + "/api/v1/rules");
  const json::JsonValue* groups = rules.Find("groups");
  REQUIRE(groups != nullptr);
  REQUIRE(groups->AsArray().size() == 1);
  const json::JsonValue& g = groups->AsArray()[0];
  CHECK(g.GetString("name") == "fast");
  CHECK(g.GetString("file") == am.dir() + "/rules/fast.yml");
  REQUIRE(g.Find("rules")->AsArray().size() == 2);
  const json::JsonValue& alerting = g.Find("rules")->AsArray()[1];
  CHECK(alerting.GetString("type") == "alerting");
  CHECK(alerting.GetString("state") == "firing");
  CHECK(alerting.GetString("health") == "ok");
  CHECK(alerting.GetString("query") == "omni:one{source=\"rule\"} > 0");
  json::JsonValue record_only = ApiData(am.url() + "/api/v1/rules?type=record");
  CHECK(record_only.Find("groups")->AsArray()[0].Find("rules")->AsArray().size() == 1);
  CHECK(HttpGet(am.url() + "/api/v1/rules?type=nope").status == 400);
  json::JsonValue alerts = ApiData(am.url() + "/api/v1/alerts");
  REQUIRE(alerts.Find("alerts")->AsArray().size() == 1);
  CHECK(alerts.Find("alerts")->AsArray()[0].GetString("value") == "1e+00");

  // Rule metrics under Prometheus's names.
  HttpResponse metrics = HttpGet(am.url() + "/metrics");
  CHECK(metrics.body.find("prometheus_rule_evaluations_total{rule_group=\"" + am.dir() + "/rules/fast.yml;fast\"}") !=
        std::string::npos);
}

TEST_CASE("a bad rule file is refused with its position, at start and on reload", "[e2e][rules]") {
  Collector collector(kCollectorConfig);
  REQUIRE(collector.Start());
  WebhookSink sink;
  AlerterProc am(AlerterConfig(sink.url()));
  const std::string rules = am.dir() + "/rules.yml";
  WriteFile(rules, "groups:\n- name: g\n  rules:\n  - record: x\n    expr: sum(\n");
  {
    // At start: the daemon exits with an error naming the file and line.
    Daemon bad(BinaryPath("omniscope-alerter"),
               {"--config.file=" + am.dir() + "/alertmanager.yml", "--storage.path=" + am.dir() + "/bad-data",
                "--web.listen-address=127.0.0.1:0", "--grpc.listen-address=127.0.0.1:0", "--rules.file=" + rules,
                "--collector=" + collector.grpc_address()});
    bad.Start();
    const int status = bad.Wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(bad.Logs().find(rules + ": 5:11: group \\\"g\\\", rule 1, \\\"x\\\": could not parse expression") !=
          std::string::npos);
  }
  WriteFile(rules, kRules);
  REQUIRE(am.Start({"--rules.file=" + rules, "--collector=" + collector.grpc_address()}));
  REQUIRE(Eventually([&] { return QueryHasSeries(collector.url(), "omni:one"); }));

  // A broken file on reload: refused, the old rules keep running.
  WriteFile(rules, "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    bogus: 1\n");
  HttpResponse reload = HttpPost(am.url() + "/-/reload", "", "text/plain");
  CHECK(reload.status == 500);
  CHECK(reload.body.find(rules + ": yaml: unmarshal errors:\n  line 6: field bogus not found") != std::string::npos);
  json::JsonValue kept = ApiData(am.url() + "/api/v1/rules");
  CHECK(kept.Find("groups")->AsArray()[0].GetString("name") == "fast");

  // A good file on reload replaces the groups.
  WriteFile(rules, "groups:\n- name: renamed\n  interval: 1s\n  rules:\n  - record: omni:two\n    expr: vector(2)\n");
  CHECK(HttpPost(am.url() + "/-/reload", "", "text/plain").status == 200);
  json::JsonValue replaced = ApiData(am.url() + "/api/v1/rules");
  CHECK(replaced.Find("groups")->AsArray()[0].GetString("name") == "renamed");
  REQUIRE(Eventually([&] { return QueryHasSeries(collector.url(), "omni:two"); }));
}

// Blanks what differs between two runs (times and durations of evaluations).
void BlankVolatile(json::JsonValue* v) {
  if (v->IsArray()) {
    for (json::JsonValue& item : v->MutableArray()) BlankVolatile(&item);
    return;
  }
  if (!v->IsObject()) return;
  for (auto& [key, member] : v->MutableObject()) {
    if (key == "lastEvaluation" || key == "activeAt") {
      member = json::JsonValue("T");
    } else if (key == "evaluationTime") {
      member = json::JsonValue(0);
    } else {
      BlankVolatile(&member);
    }
  }
}

constexpr char kCompatRules[] = R"(groups:
- name: recording
  interval: 1s
  limit: 10
  rules:
  - record: job:one:sum
    expr: sum by (job) (label_replace(vector(1), "job", "api", "", ""))
    labels:
      team: infra
  - record: plain
    expr: vector(2) * 3
- name: alerts
  interval: 1s
  rules:
  - alert: Firing
    expr: label_replace(vector(0.25), "instance", "a:9100", "", "") > 0
    labels:
      severity: "{{ if gt $value 0.1 }}page{{ else }}ticket{{ end }}"
    annotations:
      summary: "{{ $labels.instance }} at {{ $value | humanizePercentage }}"
      empty: ""
  - alert: Waiting
    expr: vector(1)
    for: 1h
    keep_firing_for: 5m
  - alert: Quiet
    expr: vector(1) < 0
)";

TEST_CASE("the alerter's /api/v1/rules and /api/v1/alerts answer like Prometheus 2.42's", "[e2e][rules][compat]") {
  if (!Exists(kPrometheusBinary)) {
    WARN("skipped: " << kPrometheusBinary << " not installed");
    return;
  }
  const std::string dir = MakeTempDir("rules-compat-");
  const std::string rules = dir + "/rules.yml";
  WriteFile(rules, kCompatRules);
  RealPrometheus prom(absl::StrCat("global:\n  evaluation_interval: 1s\nrule_files: [", rules, "]\n"));
  REQUIRE(prom.Start());
  Collector collector(kCollectorConfig);
  REQUIRE(collector.Start());
  WebhookSink sink;
  AlerterProc am(AlerterConfig(sink.url()));
  REQUIRE(am.Start({"--rules.file=" + rules, "--collector=" + collector.grpc_address()}));

  // Both have evaluated every group at least once and fired `Firing`.
  auto settled = [](const std::string& url) {
    json::JsonValue data = ApiData(url + "/api/v1/rules");
    const json::JsonValue* groups = data.Find("groups");
    if (groups == nullptr || groups->AsArray().size() != 2) return false;
    for (const json::JsonValue& g : groups->AsArray()) {
      if (g.GetString("lastEvaluation").rfind("0001-", 0) == 0) return false;
    }
    // Groups come sorted by name: "alerts" first.
    return groups->AsArray()[0].Find("rules")->AsArray()[0].GetString("state") == "firing";
  };
  REQUIRE(Eventually([&] { return settled(prom.url()); }));
  REQUIRE(Eventually([&] { return settled(am.url()); }));

  // The viewer shows the alerter's rules (gRPC ListRules) the same way.
  const std::string alerter_grpc = am.daemon().ListenAddress("grpc");
  REQUIRE_FALSE(alerter_grpc.empty());
  Daemon viewer(BinaryPath("omniscope-viewer"), {"--web.listen-address=127.0.0.1:0",
                                                  "--collector=" + collector.grpc_address(), "--alerter=" + alerter_grpc});
  viewer.Start();
  const std::string viewer_url = "http://" + viewer.ListenAddress("web");

  for (const std::string path : {"/api/v1/rules", "/api/v1/rules?type=alert", "/api/v1/rules?type=record",
                                 "/api/v1/alerts"}) {
    INFO(path);
    json::JsonValue theirs = GetJson(prom.url() + path);
    json::JsonValue ours = GetJson(am.url() + path);
    json::JsonValue via_viewer = GetJson(viewer_url + path);
    BlankVolatile(&theirs);
    BlankVolatile(&ours);
    BlankVolatile(&via_viewer);
    CHECK(ours.Serialize() == theirs.Serialize());
    CHECK(via_viewer.Serialize() == theirs.Serialize());
  }

  // An alerter the viewer cannot reach: 503 with Prometheus's error type.
  Daemon lost(BinaryPath("omniscope-viewer"), {"--web.listen-address=127.0.0.1:0",
                                                "--collector=" + collector.grpc_address(),
                                                "--alerter=127.0.0.1:" + std::to_string(FreePort())});
  lost.Start();
  HttpResponse r = HttpGet("http://" + lost.ListenAddress("web") + "/api/v1/rules");
  CHECK(r.status == 503);
  CHECK(r.body.find("\"errorType\":\"unavailable\"") != std::string::npos);
}

TEST_CASE("the viewer reads the alerter's rules over mutual TLS", "[e2e][rules][tls]") {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    WARN("skipped: openssl CLI not found");
    return;
  }
  const std::string dir = MakeTempDir("rules-tls-");
  auto self_signed = [&](const std::string& name, const std::string& san) {
    return std::system(absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                                    "-days 1 -subj /CN=", name, " -addext subjectAltName=", san, " -keyout ", dir,
                                    "/", name, ".key -out ", dir, "/", name, ".crt >/dev/null 2>&1")
                           .c_str()) == 0;
  };
  REQUIRE(self_signed("server", "IP:127.0.0.1"));
  REQUIRE(self_signed("client", "DNS:viewer.example"));

  Collector collector(kCollectorConfig);
  REQUIRE(collector.Start());
  WebhookSink sink;
  AlerterProc am(AlerterConfig(sink.url()));
  WriteFile(am.dir() + "/rules.yml", kRules);
  REQUIRE(am.Start({"--rules.file=" + am.dir() + "/rules.yml", "--collector=" + collector.grpc_address(),
                    "--grpc.tls-cert-file=" + dir + "/server.crt", "--grpc.tls-key-file=" + dir + "/server.key",
                    "--grpc.tls-client-ca-file=" + dir + "/client.crt"}));
  const std::string alerter_grpc = am.daemon().ListenAddress("grpc");
  REQUIRE_FALSE(alerter_grpc.empty());
  CHECK(am.daemon().Logs().find("component=grpc msg=Listening address=" + alerter_grpc + " tls=true") !=
        std::string::npos);

  auto viewer_rules = [&](std::vector<std::string> tls_args) {
    std::vector<std::string> args{"--web.listen-address=127.0.0.1:0", "--collector=" + collector.grpc_address(),
                                  "--alerter=" + alerter_grpc, "--collector.max-attempts=1"};
    args.insert(args.end(), tls_args.begin(), tls_args.end());
    Daemon viewer(BinaryPath("omniscope-viewer"), args);
    viewer.Start();
    return HttpGet("http://" + viewer.ListenAddress("web") + "/api/v1/rules");
  };
  HttpResponse ok = viewer_rules({"--alerter.tls-ca-file=" + dir + "/server.crt",
                                  "--alerter.tls-cert-file=" + dir + "/client.crt",
                                  "--alerter.tls-key-file=" + dir + "/client.key"});
  CHECK(ok.status == 200);
  CHECK(ok.body.find("\"name\":\"fast\"") != std::string::npos);
  // Without a client certificate, or in plaintext, the alerter refuses.
  CHECK(viewer_rules({"--alerter.tls-ca-file=" + dir + "/server.crt"}).status == 503);
  CHECK(viewer_rules({}).status == 503);
}

}  // namespace
}  // namespace omni::e2e
