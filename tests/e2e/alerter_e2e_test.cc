// omniscope-alerter end to end: the daemon with a webhook sink on 127.0.0.1,
// driven over its API v2 and by the real amtool / Prometheus / Alertmanager
// binaries when installed. Intervals are short (group_wait 1s); tests wait
// on conditions, never on fixed sleeps.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <condition_variable>
#include <cstdio>
#include <mutex>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/json/json_value.h"
#include "tests/e2e/alerter_testing.h"
#include "tests/e2e/harness.h"

namespace omni::e2e {
namespace {

std::string Config(const std::string& hook, const std::string& extra = "", const std::string& timers = "") {
  return absl::StrCat("route:\n  receiver: hook\n  group_by: [alertname]\n",
                      timers.empty() ? "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n" : timers,
                      "receivers:\n- name: hook\n  webhook_configs:\n  - url: ", hook, "\n", extra);
}

TEST_CASE("alerter groups, repeats and resolves notifications", "[e2e][alerter]") {
  WebhookSink sink;
  AlerterProc am(Config(sink.url(), "", "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 2s\n"));
  REQUIRE(am.Start());
  REQUIRE(PostJson(am.url() + "/api/v2/alerts",
                   "[" + AlertJson(R"("alertname":"G","instance":"a")") + "," +
                       AlertJson(R"("alertname":"G","instance":"b")") + "]")
              .status == 200);
  // One notification for the group with both alerts.
  json::JsonValue first = sink.WaitFor([](const json::JsonValue& p) { return p.Find("alerts")->AsArray().size() == 2; });
  REQUIRE(first.IsObject());
  CHECK(first.GetString("groupKey") == "{}:{alertname=\"G\"}");
  CHECK(first.GetString("status") == "firing");
  CHECK(first.GetString("version") == "4");
  CHECK(sink.Count([](const json::JsonValue&) { return true; }) == 1);
  // repeat_interval 2s: the same notification again.
  REQUIRE(Eventually([&] { return sink.Count([](const json::JsonValue& p) { return HasAlert(p, "G"); }) >= 2; }));
  // Resolve one alert: a notification with it resolved.
  std::string now = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  REQUIRE(PostJson(am.url() + "/api/v2/alerts",
                   "[" + AlertJson(R"("alertname":"G","instance":"a")", ",\"endsAt\":\"" + now + "\"") + "]")
              .status == 200);
  json::JsonValue resolved = sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "G", "resolved"); });
  REQUIRE(resolved.IsObject());
  CHECK(resolved.GetString("status") == "firing");  // instance b still fires
  // Invalid alerts are rejected with AM's message.
  HttpResponse bad = PostJson(am.url() + "/api/v2/alerts", "[{\"labels\":{}}]");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("at least one label pair required") != std::string::npos);
  // Metrics use Alertmanager's names.
  HttpResponse metrics = HttpGet(am.url() + "/metrics");
  CHECK(metrics.body.find("alertmanager_notifications_total{integration=\"webhook\"}") != std::string::npos);
  CHECK(metrics.body.find("alertmanager_alerts_received_total") != std::string::npos);
  CHECK(metrics.body.find("alertmanager_config_last_reload_successful 1") != std::string::npos);
}

TEST_CASE("alerter silences and inhibitions suppress notifications", "[e2e][alerter]") {
  WebhookSink sink;
  std::string inhibit =
      "inhibit_rules:\n- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n  equal: [cluster]\n";
  AlerterProc am(absl::StrCat("route:\n  receiver: hook\n  group_by: [alertname, severity]\n  group_wait: 1s\n"
                              "  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n- name: hook\n"
                              "  webhook_configs:\n  - url: ",
                              sink.url(), "\n", inhibit));
  REQUIRE(am.Start());
  HttpResponse sil = PostJson(am.url() + "/api/v2/silences",
                              absl::StrCat(R"({"matchers":[{"name":"alertname","value":"Silenced","isRegex":false}],)",
                                           R"("startsAt":")", absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()),
                                           R"(","endsAt":")", absl::FormatTime(absl::RFC3339_full, absl::Now() + absl::Hours(1), absl::UTCTimeZone()),
                                           R"(","createdBy":"e2e","comment":"test"})"));
  REQUIRE(sil.status == 200);
  REQUIRE(PostJson(am.url() + "/api/v2/alerts",
                   "[" + AlertJson(R"("alertname":"Silenced")") + "," +
                       AlertJson(R"("alertname":"Disk","severity":"critical","cluster":"c1")") + "," +
                       AlertJson(R"("alertname":"Disk","severity":"warning","cluster":"c1")") + "," +
                       AlertJson(R"("alertname":"Visible")") + "]")
              .status == 200);
  REQUIRE(sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "Visible"); }).IsObject());
  REQUIRE(sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "Disk"); }).IsObject());
  // The API reports the suppressed alerts (and refreshing the status is what AM does too).
  json::JsonValue alerts = GetJson(am.url() + "/api/v2/alerts?active=false");
  REQUIRE(alerts.IsArray());
  std::set<std::string> suppressed;
  for (const auto& a : alerts.AsArray())
    suppressed.insert(a.Find("labels")->GetString("alertname") + "/" + a.Find("labels")->GetString("severity"));
  CHECK(suppressed == std::set<std::string>{"Silenced/", "Disk/warning"});
  // Every group has flushed by now (same group_wait, pushed together): none
  // of the suppressed alerts was sent.
  REQUIRE(Eventually([&] {
    return GetJson(am.url() + "/api/v2/alerts/groups").AsArray().size() == 4;
  }));
  CHECK(sink.Count([](const json::JsonValue& p) { return HasAlert(p, "Silenced"); }) == 0);
  for (const auto& p : sink.Payloads())
    for (const auto& a : p.Find("alerts")->AsArray()) CHECK(a.Find("labels")->GetString("severity") != "warning");
}

TEST_CASE("alerter keeps silences and the notification log across kill -9", "[e2e][alerter]") {
  WebhookSink sink;
  AlerterProc am(Config(sink.url()));
  REQUIRE(am.Start());
  HttpResponse sil = PostJson(am.url() + "/api/v2/silences",
                              absl::StrCat(R"({"matchers":[{"name":"alertname","value":"Quiet","isRegex":false}],)",
                                           R"("startsAt":")", absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()),
                                           R"(","endsAt":")", absl::FormatTime(absl::RFC3339_full, absl::Now() + absl::Hours(1), absl::UTCTimeZone()),
                                           R"(","createdBy":"e2e","comment":"durable"})"));
  REQUIRE(sil.status == 200);
  std::string id = json::Parse(sil.body)->GetString("silenceID");
  std::string alert = "[" + AlertJson(R"("alertname":"Once")") + "]";
  REQUIRE(PostJson(am.url() + "/api/v2/alerts", alert).status == 200);
  REQUIRE(sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "Once"); }).IsObject());
  am.daemon().Kill9();

  AlerterProc again(Config(sink.url()), am.dir());
  REQUIRE(again.Start());
  json::JsonValue s = GetJson(again.url() + "/api/v2/silence/" + id);
  REQUIRE(s.IsObject());
  CHECK(s.Find("status")->GetString("state") == "active");
  CHECK(s.GetString("comment") == "durable");
  // Prometheus re-sends the alert after the restart: the nflog knows it was
  // notified, so no duplicate. A second group pushed afterwards proves the
  // first group's timer has fired.
  REQUIRE(PostJson(again.url() + "/api/v2/alerts", alert).status == 200);
  REQUIRE(PostJson(again.url() + "/api/v2/alerts", "[" + AlertJson(R"("alertname":"Later")") + "]").status == 200);
  REQUIRE(sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "Later"); }).IsObject());
  CHECK(sink.Count([](const json::JsonValue& p) { return HasAlert(p, "Once"); }) == 1);
}

TEST_CASE("amtool works against the alerter", "[e2e][alerter][compat]") {
  if (!Exists(kAmtoolBinary)) {
    WARN("skipped: /usr/bin/amtool not installed (Debian prometheus-alertmanager)");
    return;
  }
  WebhookSink sink;
  AlerterProc am(Config(sink.url()));
  REQUIRE(am.Start());
  REQUIRE(PostJson(am.url() + "/api/v2/alerts", "[" + AlertJson(R"("alertname":"AmtoolAlert","job":"x")") + "]").status == 200);
  std::string base = "/usr/bin/amtool --alertmanager.url=" + am.url();
  int rc = -1;
  std::string out = Run(base + " alert query", &rc);
  CHECK(rc == 0);
  CHECK(out.find("AmtoolAlert") != std::string::npos);
  std::string id = Run(base + " silence add alertname=AmtoolAlert --comment=e2e --duration=1h", &rc);
  CHECK(rc == 0);
  id = std::string(absl::StripAsciiWhitespace(id));
  REQUIRE(id.size() == 36);
  out = Run(base + " silence query", &rc);
  CHECK(rc == 0);
  CHECK(out.find(id) != std::string::npos);
  CHECK(out.find("alertname=\"AmtoolAlert\"") != std::string::npos);
  out = Run(base + " alert query -s", &rc);
  CHECK(out.find("AmtoolAlert") != std::string::npos);
  Run(base + " silence expire " + id, &rc);
  CHECK(rc == 0);
  out = Run(base + " silence query", &rc);
  CHECK(out.find(id) == std::string::npos);
  out = Run(base + " silence query --expired", &rc);
  CHECK(out.find(id) != std::string::npos);
}

std::string PrometheusConfig(const std::string& am_hostport, const std::string& rules) {
  return absl::StrCat("global:\n  evaluation_interval: 1s\nrule_files: [", rules,
                      "]\nalerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['", am_hostport, "']\n");
}

TEST_CASE("real Prometheus delivers an alert through the alerter", "[e2e][alerter][compat]") {
  if (!Exists("/usr/bin/prometheus")) {
    WARN("skipped: /usr/bin/prometheus not installed");
    return;
  }
  WebhookSink sink;
  AlerterProc am(Config(sink.url()));
  REQUIRE(am.Start());
  std::string dir = MakeTempDir("alerter-prom-");
  WriteFile(dir + "/rules.yml",
            "groups:\n- name: g\n  rules:\n  - alert: AlwaysFiring\n    expr: vector(1)\n    labels:\n      severity: page\n"
            "    annotations:\n      summary: always\n");
  WriteFile(dir + "/prometheus.yml", PrometheusConfig(am.url().substr(7), dir + "/rules.yml"));
  Daemon prom("/usr/bin/prometheus",
              {"--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
               "--web.listen-address=127.0.0.1:" + std::to_string(FreePort()),
               // Prometheus only learns the alertmanagers ~5s after start; resend soon after.
               "--rules.alert.resend-delay=1s"});
  prom.Start();
  json::JsonValue p = sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "AlwaysFiring"); },
                                   absl::Seconds(30));
  REQUIRE(p.IsObject());
  const auto& a = p.Find("alerts")->AsArray()[0];
  CHECK(a.Find("labels")->GetString("severity") == "page");
  CHECK(a.Find("annotations")->GetString("summary") == "always");
  CHECK(a.GetString("generatorURL").find("/graph?g0.expr=vector") != std::string::npos);
}

TEST_CASE("webhook payloads match the real Alertmanager's", "[e2e][alerter][compat]") {
  if (!Exists(kAlertmanagerBinary)) {
    WARN("skipped: " << kAlertmanagerBinary << " not installed");
    return;
  }
  WebhookSink ours, theirs;
  AlerterProc am(Config(ours.url()));
  REQUIRE(am.Start());
  RealAlertmanager real(Config(theirs.url()));
  REQUIRE(real.Start());
  const std::string& real_url = real.url();
  std::string starts = absl::FormatTime(absl::RFC3339_full, absl::Now() - absl::Minutes(1), absl::UTCTimeZone());
  std::string body = "[" +
                     AlertJson(R"("alertname":"Cmp","instance":"b","job":"j")",
                               ",\"annotations\":{\"summary\":\"s\"},\"generatorURL\":\"http://prom/g\",\"startsAt\":\"" +
                                   starts + "\"") +
                     "," + AlertJson(R"("alertname":"Cmp","instance":"a","job":"j")", ",\"startsAt\":\"" + starts + "\"") +
                     "]";
  REQUIRE(PostJson(am.url() + "/api/v2/alerts", body).status == 200);
  REQUIRE(PostJson(real_url + "/api/v2/alerts", body).status == 200);
  auto pred = [](const json::JsonValue& p) { return HasAlert(p, "Cmp"); };
  json::JsonValue a = ours.WaitFor(pred), b = theirs.WaitFor(pred);
  REQUIRE(a.IsObject());
  REQUIRE(b.IsObject());
  CHECK(Normalized(a) == Normalized(b));
  // Resolving one alert: both send the same resolved notification.
  std::string now = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  std::string resolve = "[" + AlertJson(R"("alertname":"Cmp","instance":"a","job":"j")",
                                        ",\"startsAt\":\"" + starts + "\",\"endsAt\":\"" + now + "\"") + "]";
  REQUIRE(PostJson(am.url() + "/api/v2/alerts", resolve).status == 200);
  REQUIRE(PostJson(real_url + "/api/v2/alerts", resolve).status == 200);
  auto resolved = [](const json::JsonValue& p) { return HasAlert(p, "Cmp", "resolved"); };
  json::JsonValue ra2 = ours.WaitFor(resolved), rb2 = theirs.WaitFor(resolved);
  REQUIRE(ra2.IsObject());
  REQUIRE(rb2.IsObject());
  CHECK(Normalized(ra2) == Normalized(rb2));
  // The API's view of the alerts agrees too (apart from times and receivers' order).
  json::JsonValue oa = GetJson(am.url() + "/api/v2/alerts"), ra = GetJson(real_url + "/api/v2/alerts");
  REQUIRE(oa.IsArray());
  REQUIRE(ra.IsArray());
  REQUIRE(oa.AsArray().size() == ra.AsArray().size());
  for (size_t i = 0; i < oa.AsArray().size(); ++i) {
    CHECK(oa.AsArray()[i].GetString("fingerprint") == ra.AsArray()[i].GetString("fingerprint"));
    CHECK(oa.AsArray()[i].Find("labels")->Serialize() == ra.AsArray()[i].Find("labels")->Serialize());
  }
}

}  // namespace
}  // namespace omni::e2e

namespace omni::e2e {
namespace {

TEST_CASE("omniscopectl alert and silence verbs against the alerter", "[e2e][alerter]") {
  WebhookSink sink;
  AlerterProc am(Config(sink.url()));
  REQUIRE(am.Start());
  REQUIRE(PostJson(am.url() + "/api/v2/alerts",
                   "[" + AlertJson(R"("alertname":"CtlAlert")", ",\"annotations\":{\"summary\":\"hello\"}") + "]")
              .status == 200);
  std::string ctl = BinaryPath("omniscopectl") + " ";
  std::string flag = " --alertmanager.url=" + am.url();
  int rc = -1;
  std::string out = Run(ctl + "alert query" + flag, &rc);
  CHECK(rc == 0);
  CHECK(out.find("Alertname  Starts At") == 0);
  CHECK(out.find("CtlAlert") != std::string::npos);
  CHECK(out.find("hello") != std::string::npos);
  std::string id = Run(ctl + "silence add CtlAlert -c why -d 2h" + flag, &rc);
  REQUIRE(rc == 0);
  id = std::string(absl::StripAsciiWhitespace(id));
  CHECK(id.size() == 36);
  out = Run(ctl + "silence query" + flag, &rc);
  CHECK(out.find(id) != std::string::npos);
  CHECK(out.find("alertname=\"CtlAlert\"") != std::string::npos);
  CHECK(Run(ctl + "alert query" + flag).find("CtlAlert") == std::string::npos);  // now silenced
  CHECK(Run(ctl + "alert query -s" + flag).find("CtlAlert") != std::string::npos);
  Run(ctl + "silence expire " + id + flag, &rc);
  CHECK(rc == 0);
  CHECK(Run(ctl + "silence query -q --expired" + flag) == id + "\n");
  if (Exists(kAmtoolBinary)) {
    // Same rendering as amtool for the same server state.
    std::string ours = Run(ctl + "silence query --expired" + flag);
    std::string theirs = Run("/usr/bin/amtool silence query --expired" + flag);
    CHECK(ours == theirs);
  }
}

}  // namespace
}  // namespace omni::e2e

#include <grpcpp/grpcpp.h>

#include "omniscope/v1/alerter.grpc.pb.h"

namespace omni::e2e {
namespace {

TEST_CASE("alerter gRPC API: push, list, silences, explain", "[e2e][alerter]") {
  WebhookSink sink;
  AlerterProc am(absl::StrCat("route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n"
                              "  routes:\n  - matchers: [team=db]\n    receiver: db\n    group_by: [alertname, team]\n"
                              "    repeat_interval: 2h\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: ",
                              sink.url(), "\n- name: db\n"));
  REQUIRE(am.Start());
  std::string addr = am.daemon().ListenAddress("grpc");
  REQUIRE(!addr.empty());
  auto stub = omniscope::v1::AlerterService::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));

  omniscope::v1::PushAlertsRequest push;
  auto* al = push.add_alerts();
  auto* l = al->add_labels();
  l->set_name("alertname");
  l->set_value("GrpcAlert");
  l = al->add_labels();
  l->set_name("team");
  l->set_value("db");
  l = al->add_labels();  // an empty label value: dropped
  l->set_name("empty");
  auto* an = al->add_annotations();  // an empty annotation value: kept
  an->set_name("runbook");
  push.add_alerts();  // invalid: no labels
  omniscope::v1::PushAlertsResponse pushed;
  {
    grpc::ClientContext ctx;
    grpc::Status st = stub->PushAlerts(&ctx, push, &pushed);
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(st.error_message() == "at least one label pair required");
  }
  {
    grpc::ClientContext ctx;
    omniscope::v1::ListAlertsResponse list;
    REQUIRE(stub->ListAlerts(&ctx, omniscope::v1::ListAlertsRequest(), &list).ok());
    REQUIRE(list.alerts_size() == 1);
    CHECK(list.alerts(0).receivers(0) == "db");
    CHECK(list.alerts(0).alert().labels_size() == 2);
    REQUIRE(list.alerts(0).alert().annotations_size() == 1);
    CHECK(list.alerts(0).alert().annotations(0).name() == "runbook");
    CHECK(list.alerts(0).alert().annotations(0).value().empty());
  }
  std::string silence_id;
  {
    grpc::ClientContext ctx;
    omniscope::v1::CreateSilenceRequest req;
    auto* m = req.mutable_silence()->add_matchers();
    m->set_name("team");
    m->set_value("db");
    req.mutable_silence()->set_ends_at_ms(absl::ToUnixMillis(absl::Now() + absl::Hours(1)));
    req.mutable_silence()->set_created_by("e2e");
    req.mutable_silence()->set_comment("grpc");
    omniscope::v1::CreateSilenceResponse resp;
    REQUIRE(stub->CreateSilence(&ctx, req, &resp).ok());
    silence_id = resp.silence_id();
  }
  {
    grpc::ClientContext ctx;
    omniscope::v1::ExplainRequest req;
    auto* x = req.add_labels();
    x->set_name("alertname");
    x->set_value("Other");
    x = req.add_labels();
    x->set_name("team");
    x->set_value("db");
    omniscope::v1::ExplainResponse resp;
    REQUIRE(stub->Explain(&ctx, req, &resp).ok());
    REQUIRE(resp.routes_size() == 1);
    CHECK(resp.routes(0).receiver() == "db");
    CHECK(resp.routes(0).route_id() == "{}/{team=\"db\"}/0");
    CHECK(resp.routes(0).group_key() == "{}/{team=\"db\"}:{alertname=\"Other\", team=\"db\"}");
    CHECK(resp.routes(0).group_wait_ms() == 1000);
    CHECK(resp.routes(0).repeat_interval_ms() == 2 * 3600 * 1000);
    REQUIRE(resp.silences_size() == 1);
    CHECK(resp.silences(0).id() == silence_id);
    CHECK(resp.muted());
  }
  {
    grpc::ClientContext ctx;
    omniscope::v1::ExpireSilenceRequest req;
    req.set_id(silence_id);
    omniscope::v1::ExpireSilenceResponse resp;
    CHECK(stub->ExpireSilence(&ctx, req, &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    omniscope::v1::StatusResponse resp;
    REQUIRE(stub->Status(&ctx, omniscope::v1::StatusRequest(), &resp).ok());
    CHECK(resp.receivers_size() == 2);
  }
}

}  // namespace
}  // namespace omni::e2e

namespace omni::e2e {
namespace {

TEST_CASE("alerter reload: a bad config keeps the old one, a good one keeps state", "[e2e][alerter]") {
  WebhookSink sink;
  AlerterProc am(Config(sink.url()));
  REQUIRE(am.Start());
  REQUIRE(PostJson(am.url() + "/api/v2/alerts", "[" + AlertJson(R"("alertname":"Before")") + "]").status == 200);
  REQUIRE(sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "Before"); }).IsObject());

  WriteFile(am.dir() + "/alertmanager.yml", "route:\n  receiver: nope\n");
  HttpResponse bad = HttpPost(am.url() + "/-/reload", "");
  CHECK(bad.status == 500);
  CHECK(bad.body.find("undefined receiver") != std::string::npos);
  CHECK(HttpGet(am.url() + "/metrics").body.find("alertmanager_config_last_reload_successful 0") != std::string::npos);
  CHECK(GetJson(am.url() + "/api/v2/receivers").AsArray().size() == 1);

  WriteFile(am.dir() + "/alertmanager.yml", Config(sink.url(), "- name: extra\n"));
  CHECK(HttpPost(am.url() + "/-/reload", "").status == 200);
  CHECK(GetJson(am.url() + "/api/v2/receivers").AsArray().size() == 2);
  CHECK(HttpGet(am.url() + "/metrics").body.find("alertmanager_config_last_reload_successful 1") != std::string::npos);
  // The rebuilt dispatcher re-groups the stored alert; the nflog prevents a
  // second notification. A new alert still goes out.
  REQUIRE(GetJson(am.url() + "/api/v2/alerts").AsArray().size() == 1);
  REQUIRE(PostJson(am.url() + "/api/v2/alerts", "[" + AlertJson(R"("alertname":"After")") + "]").status == 200);
  REQUIRE(sink.WaitFor([](const json::JsonValue& p) { return HasAlert(p, "After"); }).IsObject());
  CHECK(sink.Count([](const json::JsonValue& p) { return HasAlert(p, "Before"); }) == 1);

  // SIGHUP reloads too.
  WriteFile(am.dir() + "/alertmanager.yml", Config(sink.url()));
  am.daemon().Signal(SIGHUP);
  CHECK(Eventually([&] { return GetJson(am.url() + "/api/v2/receivers").AsArray().size() == 1; }));
}

}  // namespace
}  // namespace omni::e2e

namespace omni::e2e {
namespace {

TEST_CASE("Slack and PagerDuty payloads match the real Alertmanager's", "[e2e][alerter][compat]") {
  if (!Exists(kAlertmanagerBinary)) {
    WARN("skipped: " << kAlertmanagerBinary << " not installed");
    return;
  }
  WebhookSink ours, theirs;
  auto config = [](const std::string& sink) {
    return absl::StrCat("route:\n  receiver: multi\n  group_by: [alertname]\n  group_wait: 1s\nreceivers:\n"
                        "- name: multi\n  slack_configs:\n  - api_url: ", sink, "\n    channel: '#ops'\n"
                        "  pagerduty_configs:\n  - routing_key: rk\n    url: ", sink, "\n");
  };
  AlerterProc am(config(ours.url()));
  REQUIRE(am.Start({"--web.external-url=http://ext:9093"}));
  RealAlertmanager real(config(theirs.url()));
  REQUIRE(real.Start({"--web.external-url=http://ext:9093"}));
  const std::string& real_url = real.url();
  std::string body = "[" +
                     AlertJson(R"("alertname":"Multi","instance":"i1","job":"j")",
                               ",\"annotations\":{\"summary\":\"sum\"},\"generatorURL\":\"http://g\"") +
                     "," + AlertJson(R"("alertname":"Multi","instance":"i2","job":"j")") + "]";
  REQUIRE(PostJson(am.url() + "/api/v2/alerts", body).status == 200);
  REQUIRE(PostJson(real_url + "/api/v2/alerts", body).status == 200);
  auto slack = [](const json::JsonValue& p) { return p.Find("attachments") != nullptr; };
  auto pd = [](const json::JsonValue& p) { return p.Find("routing_key") != nullptr; };
  json::JsonValue os = ours.WaitFor(slack), ts = theirs.WaitFor(slack);
  json::JsonValue op = ours.WaitFor(pd), tp = theirs.WaitFor(pd);
  REQUIRE(os.IsObject());
  REQUIRE(ts.IsObject());
  CHECK(os.Serialize() == ts.Serialize());
  REQUIRE(op.IsObject());
  REQUIRE(tp.IsObject());
  CHECK(op.Serialize() == tp.Serialize());
}

}  // namespace
}  // namespace omni::e2e
