// Differential end-to-end tests: omniscope-alerter and the real Alertmanager
// 0.25 (/usr/bin/prometheus-alertmanager) run with the same alertmanager.yml
// (only the sink addresses differ), receive the same alerts over
// /api/v2/alerts, and must deliver the same notifications to their own sinks:
// grouping and routing, dedup and repeat, resolve, inhibition, silences, time
// intervals and the default email template.
//
// Webhook notifications are compared whole, per (receiver, group key) in
// arrival order: both daemons get the same explicit startsAt/endsAt and the
// same --web.external-url, so nothing needs normalizing. Absence ("X is never
// delivered") is only asserted after a later notification of the same group
// (or of a group flushed in the same cycle) proves that the flush happened.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/json/json_value.h"
#include "tests/e2e/alerter_testing.h"
#include "tests/e2e/harness.h"

namespace omni::e2e {
namespace {

constexpr char kExternalUrl[] = "http://ext:9093";
// Placeholders in the shared config text.
constexpr char kHook[] = "HOOK_URL";
constexpr char kSmarthost[] = "SMARTHOST";

// Common timers of the scenarios (repeat scenarios override repeat_interval).
constexpr char kTimers[] = "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n";

// An RFC 3339 time with milliseconds, as Prometheus sends them.
std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// `"k":"v",...` from {{k, v}, ...}.
std::string LabelsJson(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(absl::StrCat("\"", k, "\":\"", v, "\""));
  return absl::StrJoin(parts, ",");
}

// One alert of a push: labels, optional annotation summary and times.
struct TestAlert {
  std::vector<std::pair<std::string, std::string>> labels;
  std::string starts_at;
  std::string ends_at;  // "" = firing
  std::string summary;
  // Annotations as {{k, v}, ...}, instead of `summary` when not empty.
  std::vector<std::pair<std::string, std::string>> annotations;
  std::string Json() const {
    std::string extra = absl::StrCat(",\"startsAt\":\"", starts_at, "\",\"generatorURL\":\"http://prom/graph\"");
    if (!ends_at.empty()) absl::StrAppend(&extra, ",\"endsAt\":\"", ends_at, "\"");
    if (!annotations.empty()) {
      absl::StrAppend(&extra, ",\"annotations\":{", LabelsJson(annotations), "}");
    } else if (!summary.empty()) {
      absl::StrAppend(&extra, ",\"annotations\":{\"summary\":\"", summary, "\"}");
    }
    return AlertJson(LabelsJson(labels), extra);
  }
};

std::string Batch(const std::vector<TestAlert>& alerts) {
  std::vector<std::string> parts;
  for (const TestAlert& a : alerts) parts.push_back(a.Json());
  return "[" + absl::StrJoin(parts, ",") + "]";
}

// Notifications by "receiver groupKey", each in arrival order.
using Deliveries = std::map<std::string, std::vector<std::string>>;

std::string DeliveryKey(const json::JsonValue& p) {
  return absl::StrCat(p.GetString("receiver"), " ", p.GetString("groupKey"));
}

Deliveries Collect(WebhookSink& sink) {
  Deliveries out;
  for (const json::JsonValue& p : sink.Payloads()) out[DeliveryKey(p)].push_back(p.Serialize());
  return out;
}

std::string Dump(const Deliveries& d) {
  std::string out;
  for (const auto& [k, v] : d) {
    absl::StrAppend(&out, k, ": ", v.size(), "\n");
    for (const std::string& p : v) absl::StrAppend(&out, "  ", p, "\n");
  }
  return out;
}

// The alerter and Alertmanager with the same configuration, each delivering
// webhooks to its own sink and email to its own SMTP sink.
class Pair {
 public:
  // `config` uses HOOK_URL and SMARTHOST for the sinks' addresses.
  explicit Pair(const std::string& config)
      : ours_(Substitute(config, ours_hook_, ours_smtp_)), theirs_(Substitute(config, theirs_hook_, theirs_smtp_)) {}

  bool Start() {
    return ours_.Start({std::string("--web.external-url=") + kExternalUrl}) &&
           theirs_.Start({std::string("--web.external-url=") + kExternalUrl});
  }
  // Sends the same body to both daemons' endpoint (e.g. "/api/v2/alerts").
  void Post(const std::string& path, const std::string& body) {
    HttpResponse a = PostJson(ours_.url() + path, body);
    HttpResponse b = PostJson(theirs_.url() + path, body);
    INFO(a.body << " / " << b.body);
    REQUIRE(a.status == 200);
    REQUIRE(b.status == 200);
  }
  void Push(const std::vector<TestAlert>& alerts) { Post("/api/v2/alerts", Batch(alerts)); }

  // Waits until both sinks hold at least `n` notifications for `key`
  // ("receiver groupKey", or a receiver name for all its groups); false on timeout.
  bool WaitDelivered(const std::string& key, size_t n, absl::Duration timeout = absl::Seconds(20)) {
    auto count = [&](WebhookSink& sink) {
      return sink.Count(
          [&](const json::JsonValue& p) { return DeliveryKey(p) == key || p.GetString("receiver") == key; });
    };
    if (Eventually([&] { return count(ours_hook_) >= n && count(theirs_hook_) >= n; }, timeout)) return true;
    UNSCOPED_INFO("waiting for " << n << " x " << key << "\n" << State());
    return false;
  }
  // Waits until both sinks hold at least `n` notifications in total.
  bool WaitTotal(size_t n, absl::Duration timeout = absl::Seconds(20)) {
    if (Eventually([&] { return ours_hook_.Payloads().size() >= n && theirs_hook_.Payloads().size() >= n; },
                   timeout))
      return true;
    UNSCOPED_INFO("waiting for " << n << " notifications\n" << State());
    return false;
  }
  // Both sinks' notifications, for failure messages.
  std::string State() {
    return "ours:\n" + Dump(Collect(ours_hook_)) + "alertmanager:\n" + Dump(Collect(theirs_hook_));
  }
  // Checks that both delivered the same notifications so far.
  void CheckSameDeliveries() {
    Deliveries a = Collect(ours_hook_), b = Collect(theirs_hook_);
    INFO(State());
    CHECK(a == b);
  }

  AlerterProc& ours() { return ours_; }
  RealAlertmanager& theirs() { return theirs_; }
  WebhookSink& ours_hook() { return ours_hook_; }
  WebhookSink& theirs_hook() { return theirs_hook_; }
  SmtpSink& ours_smtp() { return ours_smtp_; }
  SmtpSink& theirs_smtp() { return theirs_smtp_; }

 private:
  static std::string Substitute(const std::string& config, WebhookSink& hook, SmtpSink& smtp) {
    return absl::StrReplaceAll(config, {{kHook, hook.url()}, {kSmarthost, smtp.address()}});
  }

  // Sinks first: they outlive the daemons.
  WebhookSink ours_hook_, theirs_hook_;
  SmtpSink ours_smtp_, theirs_smtp_;
  AlerterProc ours_;
  RealAlertmanager theirs_;
};

// Webhook receivers named `names`, all posting to the sink.
std::string WebhookReceivers(const std::vector<std::string>& names, const std::string& extra = "") {
  std::string out = "receivers:\n";
  for (const std::string& n : names)
    absl::StrAppend(&out, "- name: ", n, "\n  webhook_configs:\n  - url: ", kHook, "\n", extra);
  return out;
}

// The API's view of every alert, one sorted line each: labels, state,
// inhibitedBy, silencedBy (silence ids replaced by `silence_names`) and receivers.
std::vector<std::string> AlertStatuses(const std::string& url,
                                       const std::map<std::string, std::string>& silence_names = {}) {
  std::vector<std::string> out;
  json::JsonValue alerts = GetJson(url + "/api/v2/alerts");
  for (const json::JsonValue& a : alerts.AsArray()) {
    const json::JsonValue* status = a.Find("status");
    auto strings = [&](const json::JsonValue* arr, bool map_silences) {
      std::vector<std::string> v;
      if (arr != nullptr)
        for (const json::JsonValue& s : arr->AsArray()) {
          std::string x = s.IsObject() ? s.GetString("name") : s.AsString();
          if (map_silences) {
            auto it = silence_names.find(x);
            if (it != silence_names.end()) x = it->second;
          }
          v.push_back(x);
        }
      std::sort(v.begin(), v.end());
      return absl::StrJoin(v, ",");
    };
    out.push_back(absl::StrCat(a.Find("labels")->Serialize(), " ", status->GetString("state"), " inhibitedBy=[",
                               strings(status->Find("inhibitedBy"), false), "] silencedBy=[",
                               strings(status->Find("silencedBy"), true), "] receivers=[",
                               strings(a.Find("receivers"), false), "]"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// /api/v2/alerts/groups as sorted "receiver labels [fingerprints]" lines.
std::vector<std::string> GroupsDigest(const std::string& url) {
  std::vector<std::string> out;
  const json::JsonValue groups = GetJson(url + "/api/v2/alerts/groups");
  for (const json::JsonValue& g : groups.AsArray()) {
    std::vector<std::string> fps;
    const json::JsonValue *alerts = g.Find("alerts"), *receiver = g.Find("receiver"), *labels = g.Find("labels");
    if (alerts == nullptr || receiver == nullptr || labels == nullptr) {
      out.push_back("malformed group: " + g.Serialize());
      continue;
    }
    for (const json::JsonValue& a : alerts->AsArray()) fps.push_back(a.GetString("fingerprint"));
    std::sort(fps.begin(), fps.end());
    out.push_back(
        absl::StrCat(receiver->GetString("name"), " ", labels->Serialize(), " [", absl::StrJoin(fps, ","), "]"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

#define SKIP_WITHOUT_ALERTMANAGER()                                                               \
  if (!Exists(kAlertmanagerBinary)) {                                                             \
    WARN("skipped: " << kAlertmanagerBinary << " not installed (Debian prometheus-alertmanager)"); \
    return;                                                                                       \
  }

TEST_CASE("compat: grouping over a route tree with continue and matchers", "[e2e][alerter][compat]") {
  SKIP_WITHOUT_ALERTMANAGER();
  Pair pair(absl::StrCat("route:\n  receiver: default\n  group_by: [alertname, cluster]\n", kTimers,
                         "  routes:\n"
                         "  - matchers: [alertname=Other, 'env!~\"prod|staging\"']\n    receiver: nonprod\n"
                         "    group_by: []\n    continue: true\n"
                         "  - matchers: [team=\"db\"]\n    receiver: db\n    continue: true\n"
                         "  - matchers: ['team=~\"db|web\"', severity=critical]\n    receiver: pager\n"
                         "    group_by: [cluster]\n"
                         "  - match: {team: web}\n    receiver: web\n    group_by: ['...']\n"
                         "    routes:\n    - match_re: {env: 'de.'}\n      receiver: dev\n"
                         "      group_by: [alertname]\n",
                         WebhookReceivers({"default", "nonprod", "db", "pager", "web"}),
                         "- name: dev\n  webhook_configs:\n  - url: ", kHook, "\n    max_alerts: 1\n"));
  REQUIRE(pair.Start());
  std::string now = Rfc3339(absl::Now());
  std::vector<TestAlert> alerts = {
      {{{"alertname", "DbDown"}, {"team", "db"}, {"cluster", "c1"}, {"severity", "critical"}, {"instance", "i1"}}, now},
      {{{"alertname", "DbDown"}, {"team", "db"}, {"cluster", "c1"}, {"severity", "warning"}, {"instance", "i2"}},
       now, "", "disk"},
      {{{"alertname", "DbDown"}, {"team", "db"}, {"cluster", "c2"}, {"severity", "critical"}}, now},
      {{{"alertname", "WebSlow"}, {"team", "web"}, {"cluster", "c1"}, {"instance", "w1"}}, now},
      {{{"alertname", "WebSlow"}, {"team", "web"}, {"cluster", "c1"}, {"instance", "w2"}, {"env", "dev"}}, now},
      {{{"alertname", "WebSlow"}, {"team", "web"}, {"cluster", "c1"}, {"instance", "w3"}, {"env", "dev"}},
       now, "", "slow"},
      {{{"alertname", "WebCrit"}, {"team", "web"}, {"cluster", "c2"}, {"severity", "critical"}}, now},
      {{{"alertname", "Other"}, {"cluster", "c3"}}, now},
      {{{"alertname", "Other"}, {"cluster", "c3"}, {"instance", "x"}}, now},
      {{{"alertname", "Other"}}, now},
      // Quotes, tabs and UTF-8 in a group label value (group key quoting).
      {{{"alertname", "Other"}, {"env", "prod"}, {"cluster", "c\\\"4 \u00e9\\t"}}, now},
  };
  pair.Push(alerts);
  // nonprod (an empty group_by inherits the parent's): Other/c3, Other;
  // db: DbDown/c1, DbDown/c2; pager: c1, c2 (with WebCrit); web: w1;
  // dev: WebSlow; default: only Other/c"4 (the others matched nonprod).
  REQUIRE(pair.WaitTotal(9));
  pair.CheckSameDeliveries();
  Deliveries d = Collect(pair.ours_hook());
  CHECK(d.size() == 9);
  std::map<std::string, int> per_receiver;
  for (const auto& [key, notifications] : d) per_receiver[key.substr(0, key.find(' '))] += notifications.size();
  CHECK(per_receiver == std::map<std::string, int>{
                            {"nonprod", 2}, {"db", 2}, {"pager", 2}, {"web", 1}, {"dev", 1}, {"default", 1}});
  // max_alerts: 1 truncates dev's group of two.
  REQUIRE(d.count("dev {}/{team=\"web\"}/{env=~\"^(?:de.)$\"}:{alertname=\"WebSlow\"}") == 1);
  CHECK(absl::StrContains(d["dev {}/{team=\"web\"}/{env=~\"^(?:de.)$\"}:{alertname=\"WebSlow\"}"][0],
                          "\"truncatedAlerts\":1"));
  // The API's groups and alerts (with the receivers of every matching route) agree too.
  CHECK(GroupsDigest(pair.ours().url()) == GroupsDigest(pair.theirs().url()));
  CHECK(AlertStatuses(pair.ours().url()) == AlertStatuses(pair.theirs().url()));
}

TEST_CASE("compat: re-pushed alerts are deduplicated until repeat_interval", "[e2e][alerter][compat]") {
  SKIP_WITHOUT_ALERTMANAGER();
  const absl::Duration repeat = absl::Seconds(3);
  Pair pair(absl::StrCat("route:\n  receiver: hook\n  group_by: [alertname]\n"
                         "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 3s\n",
                         WebhookReceivers({"hook"})));
  REQUIRE(pair.Start());
  std::string now = Rfc3339(absl::Now());
  std::vector<TestAlert> alerts = {{{{"alertname", "Rep"}, {"instance", "a"}}, now, "", "first"},
                                   {{{"alertname", "Rep"}, {"instance", "b"}}, now}};
  pair.Push(alerts);
  const std::string key = "hook {}:{alertname=\"Rep\"}";
  REQUIRE(pair.WaitDelivered(key, 1));
  // The same alerts again (as Prometheus re-sends them), and an annotation
  // change, which is no reason to notify either (dedup is by labels).
  pair.Push(alerts);
  alerts[0].summary = "second";
  pair.Push(alerts);
  REQUIRE(pair.WaitDelivered(key, 2));
  for (WebhookSink* sink : {&pair.ours_hook(), &pair.theirs_hook()}) {
    std::vector<WebhookSink::Received> got = sink->All();
    REQUIRE(got.size() >= 2);
    // The nflog entry is written after the first delivery arrived, and the
    // repeat happens only once it is older than repeat_interval.
    CHECK(got[1].at - got[0].at >= repeat);
    // The repeat carries the latest annotations.
    CHECK(got[0].payload.Find("alerts")->AsArray()[0].Find("annotations")->GetString("summary") == "first");
    CHECK(got[1].payload.Find("alerts")->AsArray()[0].Find("annotations")->GetString("summary") == "second");
  }
  // Compare the first two of each (a third repeat may already be under way).
  Deliveries a = Collect(pair.ours_hook()), b = Collect(pair.theirs_hook());
  a[key].resize(2);
  b[key].resize(2);
  INFO("ours:\n" << Dump(a) << "alertmanager:\n" << Dump(b));
  CHECK(a == b);
}

// /api/v2/alerts as sorted "labels annotations" lines.
std::vector<std::string> AlertContents(const std::string& url) {
  std::vector<std::string> out;
  json::JsonValue alerts = GetJson(url + "/api/v2/alerts");
  for (const json::JsonValue& a : alerts.AsArray()) {
    const json::JsonValue* annotations = a.Find("annotations");
    out.push_back(absl::StrCat(a.Find("labels")->Serialize(), " ",
                               annotations != nullptr ? annotations->Serialize() : "<none>"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("compat: annotations with empty values are kept, labels with empty values dropped",
          "[e2e][alerter][compat]") {
  SKIP_WITHOUT_ALERTMANAGER();
  Pair pair(absl::StrCat("route:\n  receiver: hook\n  group_by: [alertname]\n", kTimers, WebhookReceivers({"hook"})));
  REQUIRE(pair.Start());
  std::string now = Rfc3339(absl::Now());
  TestAlert a{{{"alertname", "Ann"}, {"instance", "a"}, {"empty", ""}}, now};
  a.annotations = {{"summary", "s"}, {"runbook", ""}};
  TestAlert b{{{"alertname", "Ann"}, {"instance", "b"}}, now};
  b.annotations = {{"summary", "s"}};
  pair.Push({a, b});
  const std::string key = "hook {}:{alertname=\"Ann\"}";
  REQUIRE(pair.WaitDelivered(key, 1));
  pair.CheckSameDeliveries();
  // Spelled out for ours, so that a change on both sides cannot hide: the
  // empty value is in alert a's annotations and, as a Go map lookup of a
  // missing name reads "", in commonAnnotations too.
  json::JsonValue p = pair.ours_hook().Payloads().at(0);
  const auto& alerts = p.Find("alerts")->AsArray();
  REQUIRE(alerts.size() == 2);
  REQUIRE(alerts[0].Find("labels")->GetString("instance") == "a");
  REQUIRE(alerts[0].Find("annotations")->Find("runbook") != nullptr);
  CHECK(alerts[0].Find("annotations")->GetString("runbook").empty());
  CHECK(alerts[0].Find("labels")->Find("empty") == nullptr);
  CHECK(alerts[1].Find("annotations")->Find("runbook") == nullptr);
  CHECK(p.Find("commonAnnotations")->Find("runbook") != nullptr);

  std::vector<std::string> ours = AlertContents(pair.ours().url());
  CHECK(ours == AlertContents(pair.theirs().url()));
  REQUIRE(ours.size() == 2);
  CHECK(absl::StrContains(ours[0], "\"runbook\":\"\""));

  // An invalid annotation name rejects the alert on both, empty value or not.
  std::string bad = Batch({TestAlert{{{"alertname", "Bad"}}, now, "", "", {{"run-book", ""}}}});
  HttpResponse rb = PostJson(pair.ours().url() + "/api/v2/alerts", bad);
  HttpResponse rt = PostJson(pair.theirs().url() + "/api/v2/alerts", bad);
  CHECK(rb.status == 400);
  CHECK(rb.status == rt.status);
  CHECK(rb.body == rt.body);
  CHECK(AlertContents(pair.ours().url()).size() == 2);
}

TEST_CASE("compat: resolved notifications with and without send_resolved", "[e2e][alerter][compat]") {
  SKIP_WITHOUT_ALERTMANAGER();
  Pair pair(absl::StrCat("route:\n  receiver: fallback\n  group_by: [alertname]\n", kTimers,
                         "  routes:\n  - receiver: resolved\n    continue: true\n  - receiver: quiet\n",
                         "receivers:\n- name: fallback\n"
                         "- name: resolved\n  webhook_configs:\n  - url: ", kHook, "\n    send_resolved: true\n"
                         "- name: quiet\n  webhook_configs:\n  - url: ", kHook, "\n    send_resolved: false\n"));
  REQUIRE(pair.Start());
  std::string starts = Rfc3339(absl::Now());
  TestAlert a{{{"alertname", "Res"}, {"instance", "a"}}, starts, "", "A"};
  TestAlert b{{{"alertname", "Res"}, {"instance", "b"}}, starts};
  const std::string resolved = "resolved", quiet = "quiet";
  pair.Push({a, b});
  REQUIRE(pair.WaitDelivered(resolved, 1));
  REQUIRE(pair.WaitDelivered(quiet, 1));
  // Resolve one: only the send_resolved receiver hears of it.
  a.ends_at = Rfc3339(absl::Now());
  pair.Push({a});
  REQUIRE(pair.WaitDelivered(resolved, 2));
  // Resolve the other: the group is resolved.
  b.ends_at = Rfc3339(absl::Now());
  pair.Push({b});
  REQUIRE(pair.WaitDelivered(resolved, 3));
  // A new alert in the same group: the quiet receiver's next notification
  // proves its earlier flushes happened without sending anything.
  TestAlert c{{{"alertname", "Res"}, {"instance", "c"}}, Rfc3339(absl::Now())};
  pair.Push({c});
  REQUIRE(pair.WaitDelivered(resolved, 4));
  REQUIRE(pair.WaitDelivered(quiet, 2));
  pair.CheckSameDeliveries();
  std::vector<std::string> to_resolved, to_quiet;
  for (const json::JsonValue& p : pair.ours_hook().Payloads())
    (p.GetString("receiver") == resolved ? to_resolved : to_quiet).push_back(p.GetString("status"));
  CHECK(to_resolved == std::vector<std::string>{"firing", "firing", "resolved", "firing"});
  CHECK(to_quiet == std::vector<std::string>{"firing", "firing"});
}

TEST_CASE("compat: inhibition rules with equal and two-sided matches", "[e2e][alerter][compat]") {
  SKIP_WITHOUT_ALERTMANAGER();
  Pair pair(absl::StrCat("route:\n  receiver: hook\n  group_by: [cluster]\n", kTimers, WebhookReceivers({"hook"}),
                         "inhibit_rules:\n"
                         "- source_matchers: [severity=critical]\n  target_matchers: [severity=warning]\n"
                         "  equal: [cluster]\n"
                         "- source_match: {alertname: Outage}\n  target_match_re: {region: 'eu.*'}\n"));
  REQUIRE(pair.Start());
  std::string now = Rfc3339(absl::Now());
  TestAlert crit1{{{"alertname", "Disk"}, {"severity", "critical"}, {"cluster", "c1"}}, now};
  std::vector<TestAlert> alerts = {
      crit1,
      {{{"alertname", "Disk"}, {"severity", "warning"}, {"cluster", "c1"}}, now},  // inhibited by crit1
      {{{"alertname", "Disk"}, {"severity", "warning"}, {"cluster", "c2"}}, now},  // no critical in c2
      {{{"alertname", "Cpu"}, {"severity", "info"}, {"cluster", "c2"}}, now},
      // Source and target at once: does not inhibit itself.
      {{{"alertname", "Outage"}, {"region", "eu-1"}, {"cluster", "c3"}}, now},
      {{{"alertname", "Api"}, {"region", "eu-2"}, {"cluster", "c3"}}, now},  // inhibited by Outage
      {{{"alertname", "Api"}, {"region", "us"}, {"cluster", "c3"}}, now},
      // `equal` on a label both lack: they are equal.
      {{{"alertname", "Mem"}, {"severity", "critical"}}, now},
      {{{"alertname", "Swap"}, {"severity", "warning"}}, now},  // inhibited by Mem
  };
  pair.Push(alerts);
  // Every group has a visible alert, so its notification proves the flush.
  const std::string c1 = "hook {}:{cluster=\"c1\"}";
  REQUIRE(pair.WaitDelivered(c1, 1));
  REQUIRE(pair.WaitDelivered("hook {}:{cluster=\"c2\"}", 1));
  REQUIRE(pair.WaitDelivered("hook {}:{cluster=\"c3\"}", 1));
  REQUIRE(pair.WaitDelivered("hook {}:{}", 1));
  pair.CheckSameDeliveries();
  for (const json::JsonValue& p : pair.ours_hook().Payloads()) {
    CHECK(!HasAlert(p, "Swap"));
    for (const json::JsonValue& a : p.Find("alerts")->AsArray())
      CHECK(a.Find("labels")->GetString("region") != "eu-2");
  }
  auto ours = AlertStatuses(pair.ours().url()), theirs = AlertStatuses(pair.theirs().url());
  CHECK(ours == theirs);
  auto suppressed = [](const std::string& line) { return absl::StrContains(line, "} suppressed "); };
  CHECK(std::count_if(ours.begin(), ours.end(), suppressed) == 3);
  // The source resolves: its target is delivered with it.
  crit1.ends_at = Rfc3339(absl::Now());
  pair.Push({crit1});
  REQUIRE(pair.WaitDelivered(c1, 2));
  pair.CheckSameDeliveries();
  CHECK(HasAlert(json::Parse(Collect(pair.ours_hook())[c1][1]).value(), "Disk", "resolved"));
  CHECK(AlertStatuses(pair.ours().url()) == AlertStatuses(pair.theirs().url()));
}

TEST_CASE("compat: silences mute alerts until they are expired", "[e2e][alerter][compat]") {
  SKIP_WITHOUT_ALERTMANAGER();
  Pair pair(absl::StrCat("route:\n  receiver: hook\n  group_by: [alertname]\n", kTimers, WebhookReceivers({"hook"}),
                         "inhibit_rules:\n- source_matchers: [alertname=Src]\n"
                         "  target_matchers: [severity=warning]\n"));
  REQUIRE(pair.Start());
  auto silence = [](const std::string& matchers, absl::Duration starts_in) {
    absl::Time starts = absl::Now() + starts_in;
    return absl::StrCat(R"({"matchers":)", matchers, R"(,"startsAt":")", Rfc3339(starts), R"(","endsAt":")",
                        Rfc3339(starts + absl::Hours(1)), R"(","createdBy":"compat","comment":"test"})");
  };
  // The same silences on both; ids differ, so the API comparison maps them to names.
  std::map<std::string, std::string> names;
  std::map<std::string, std::pair<std::string, std::string>> ids;  // name -> (ours, theirs)
  for (const auto& [name, matchers] : std::vector<std::pair<std::string, std::string>>{
           {"S1", R"([{"name":"instance","value":"a|b","isRegex":true}])"},
           {"S2", R"([{"name":"alertname","value":"Quiet","isRegex":false,"isEqual":true}])"},
           {"S3", R"([{"name":"alertname","value":"Src","isRegex":false}])"},
           // Pending (starts in an hour): silences nothing yet.
           {"S4", R"([{"name":"instance","value":"c","isRegex":false}])"}}) {
    absl::Duration starts_in = name == "S4" ? absl::Hours(1) : absl::ZeroDuration();
    HttpResponse a = PostJson(pair.ours().url() + "/api/v2/silences", silence(matchers, starts_in));
    HttpResponse b = PostJson(pair.theirs().url() + "/api/v2/silences", silence(matchers, starts_in));
    REQUIRE(a.status == 200);
    REQUIRE(b.status == 200);
    ids[name] = {json::Parse(a.body)->GetString("silenceID"), json::Parse(b.body)->GetString("silenceID")};
    names[ids[name].first] = name;
    names[ids[name].second] = name;
  }
  std::string now = Rfc3339(absl::Now());
  pair.Push({{{{"alertname", "Svc"}, {"instance", "a"}}, now},
             {{{"alertname", "Svc"}, {"instance", "b"}}, now},
             {{{"alertname", "Svc"}, {"instance", "c"}}, now},
             {{{"alertname", "Svc"}, {"instance", "ab"}}, now},  // regex matchers are anchored
             {{{"alertname", "Quiet"}, {"instance", "q"}}, now},
             // A silenced alert still inhibits.
             {{{"alertname", "Src"}}, now},
             {{{"alertname", "Svc"}, {"instance", "t"}, {"severity", "warning"}}, now}});
  const std::string svc = "hook {}:{alertname=\"Svc\"}", quiet = "hook {}:{alertname=\"Quiet\"}";
  REQUIRE(pair.WaitDelivered(svc, 1));
  CHECK(AlertStatuses(pair.ours().url(), names) == AlertStatuses(pair.theirs().url(), names));
  auto expire = [&](const std::string& name) {
    REQUIRE(HttpDelete(pair.ours().url() + "/api/v2/silence/" + ids[name].first).status == 200);
    REQUIRE(HttpDelete(pair.theirs().url() + "/api/v2/silence/" + ids[name].second).status == 200);
  };
  expire("S1");
  REQUIRE(pair.WaitDelivered(svc, 2));
  // Quiet's first notification, after its silence ends, proves that none
  // was sent while it was silenced (it would come first).
  expire("S2");
  REQUIRE(pair.WaitDelivered(quiet, 1));
  pair.CheckSameDeliveries();
  Deliveries d = Collect(pair.ours_hook());
  REQUIRE(d[svc].size() == 2);
  CHECK(json::Parse(d[svc][0])->Find("alerts")->AsArray().size() == 2);
  CHECK(json::Parse(d[svc][1])->Find("alerts")->AsArray().size() == 4);
  CHECK(d[quiet].size() == 1);
  CHECK(AlertStatuses(pair.ours().url(), names) == AlertStatuses(pair.theirs().url(), names));
}

// The hours around now (previous, current, next) in `zone` as time ranges,
// for an interval that is active now only when evaluated in that zone.
std::string HoursAroundNow(const std::string& zone) {
  absl::TimeZone tz;
  REQUIRE(absl::LoadTimeZone(zone, &tz));
  int h = absl::ToCivilHour(absl::Now(), tz).hour();
  std::vector<std::string> ranges;
  for (int d : {-1, 0, 1}) {
    int start = (h + d + 24) % 24;
    ranges.push_back(absl::StrFormat("{start_time: '%02d:00', end_time: '%02d:00'}", start, start + 1));
  }
  return "[" + absl::StrJoin(ranges, ", ") + "]";
}

TEST_CASE("compat: mute and active time intervals", "[e2e][alerter][compat]") {
  SKIP_WITHOUT_ALERTMANAGER();
  // UTC+14: the same clock hours in UTC are 10 to 14 hours away, so an
  // implementation that ignored `location` would disagree with Alertmanager.
  const std::string zone = "Pacific/Kiritimati";
  Pair pair(absl::StrCat("time_intervals:\n"
                         "- name: always\n  time_intervals:\n  - times: [{start_time: '00:00', end_time: '24:00'}]\n"
                         "- name: never\n  time_intervals:\n  - years: ['2001']\n"
                         "- name: now-there\n  time_intervals:\n  - times: ", HoursAroundNow(zone),
                         "\n    location: ", zone, "\n",
                         "route:\n  receiver: mute-active\n  group_by: [alertname]\n", kTimers,
                         "  routes:\n"
                         "  - receiver: mute-active\n    mute_time_intervals: [always]\n    continue: true\n"
                         "  - receiver: active-inactive\n    active_time_intervals: [never]\n    continue: true\n"
                         "  - receiver: mute-there\n    mute_time_intervals: [never, now-there]\n    continue: true\n"
                         "  - receiver: mute-inactive\n    mute_time_intervals: [never]\n    continue: true\n"
                         "  - receiver: active-there\n    active_time_intervals: [now-there]\n    continue: true\n"
                         "  - receiver: active-active\n    active_time_intervals: [always]\n",
                         WebhookReceivers({"mute-active", "active-inactive", "mute-there", "mute-inactive",
                                           "active-there", "active-active"})));
  REQUIRE(pair.Start());
  pair.Push({{{{"alertname", "T"}, {"instance", "1"}}, Rfc3339(absl::Now())}});
  const std::vector<std::string> open = {"mute-inactive", "active-there", "active-active"};
  for (const std::string& r : open) REQUIRE(pair.WaitDelivered(r, 1));
  // One more flush cycle for every group (all were created together): after
  // the open routes deliver it, the muted routes have flushed twice.
  pair.Push({{{{"alertname", "T"}, {"instance", "2"}}, Rfc3339(absl::Now())}});
  for (const std::string& r : open) REQUIRE(pair.WaitDelivered(r, 2));
  pair.CheckSameDeliveries();
  CHECK(Collect(pair.ours_hook()).size() == 3);
}

// --- email ---

std::string DecodeQuotedPrintable(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out.push_back(in[i]);
      continue;
    }
    if (in.compare(i + 1, 2, "\r\n") == 0) {  // soft line break
      i += 2;
      continue;
    }
    if (i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) && absl::ascii_isxdigit(in[i + 2])) {
      out.push_back(static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16)));
      i += 2;
      continue;
    }
    out.push_back(in[i]);
  }
  return out;
}

// Header lines (unfolded) and body of a MIME entity.
struct Entity {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (absl::EqualsIgnoreCase(k, name)) return v;
    return "";
  }
};

Entity ParseEntity(const std::string& text) {
  Entity e;
  size_t end = text.find("\r\n\r\n");
  std::string head = text.substr(0, end);
  e.body = end == std::string::npos ? "" : text.substr(end + 4);
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(head, "\r\n"))) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !e.headers.empty()) {
      absl::StrAppend(&e.headers.back().second, " ", absl::StripAsciiWhitespace(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    e.headers.emplace_back(line.substr(0, colon), std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return e;
}

// The visible text (whitespace collapsed) and the link targets of an HTML
// document. email.default.html is our own markup, not Alertmanager's
// inlined-CSS layout (docs/templates.md), so only what a reader sees and can
// click is compared.
std::string HtmlDigest(std::string html) {
  size_t head = html.find("<head>"), head_end = html.find("</head>");
  if (head != std::string::npos && head_end != std::string::npos) html.erase(head, head_end + 7 - head);
  std::vector<std::string> links;
  std::string text;
  for (size_t i = 0; i < html.size();) {
    if (html[i] != '<') {
      text.push_back(html[i++]);
      continue;
    }
    size_t end = html.find('>', i);
    if (end == std::string::npos) break;
    std::string tag = html.substr(i, end + 1 - i);
    size_t href = tag.find("href=\"");
    if (href != std::string::npos) links.push_back(tag.substr(href + 6, tag.find('"', href + 6) - href - 6));
    text.push_back(' ');
    i = end + 1;
  }
  text = absl::StrReplaceAll(text, {{"&lt;", "<"}, {"&gt;", ">"}, {"&#34;", "\""}, {"&quot;", "\""}, {"&#39;", "'"}});
  text = absl::StrReplaceAll(text, {{"&amp;", "&"}});
  std::vector<std::string> words = absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  return absl::StrCat(absl::StrJoin(words, " "), "\nlinks: ", absl::StrJoin(links, " "));
}

// What must agree between two deliveries of the same email: headers that do
// not depend on time or randomness (sorted; Content-Type without the
// boundary), and each part's headers and decoded body.
std::string EmailDigest(const std::string& message) {
  Entity m = ParseEntity(message);
  std::vector<std::string> lines;
  std::string boundary;
  for (const auto& [k, v] : m.headers) {
    if (absl::EqualsIgnoreCase(k, "Date") || absl::EqualsIgnoreCase(k, "Message-Id")) continue;
    std::string value = v;
    size_t b = value.find("boundary=");
    if (absl::EqualsIgnoreCase(k, "Content-Type") && b != std::string::npos) {
      boundary = value.substr(b + 9);
      value = value.substr(0, b);
    }
    lines.push_back(absl::StrCat(k, ": ", value));
  }
  std::sort(lines.begin(), lines.end());
  std::string out = absl::StrJoin(lines, "\n");
  if (boundary.empty()) return absl::StrCat(out, "\n\n", m.body);
  std::vector<std::string> parts = absl::StrSplit(m.body, absl::StrCat("--", boundary));
  for (size_t i = 1; i < parts.size(); ++i) {
    if (absl::StartsWith(parts[i], "--")) break;  // closing delimiter
    std::string p = parts[i];
    if (absl::StartsWith(p, "\r\n")) p.erase(0, 2);
    Entity part = ParseEntity(p);
    std::vector<std::string> ph;
    for (const auto& [k, v] : part.headers) ph.push_back(absl::StrCat(k, ": ", v));
    std::sort(ph.begin(), ph.end());
    std::string body = part.body;
    if (absl::EndsWith(body, "\r\n")) body.resize(body.size() - 2);  // belongs to the delimiter
    if (absl::EqualsIgnoreCase(part.Header("Content-Transfer-Encoding"), "quoted-printable"))
      body = DecodeQuotedPrintable(body);
    if (absl::StartsWith(part.Header("Content-Type"), "text/html")) body = HtmlDigest(body);
    absl::StrAppend(&out, "\n--- part\n", absl::StrJoin(ph, "\n"), "\n\n", body);
  }
  return out;
}

TEST_CASE("compat: default email template and headers", "[e2e][alerter][compat]") {
  SKIP_WITHOUT_ALERTMANAGER();
  Pair pair(absl::StrCat("global:\n  smtp_smarthost: ", kSmarthost,
                         "\n  smtp_from: 'Alertmanager <am@example.org>'\n  smtp_require_tls: false\n"
                         "route:\n  receiver: mail\n  group_by: [alertname]\n", kTimers,
                         "  routes:\n  - matchers: [team=ops]\n    receiver: mail-text\n"
                         "receivers:\n"
                         "- name: mail\n  email_configs:\n  - to: ops@example.org\n    send_resolved: true\n"
                         "- name: mail-text\n  email_configs:\n  - to: 'Ops Team <ops@example.org>, dev@example.org'\n"
                         "    text: '{{ template \"email.default.subject\" . }}: {{ .CommonAnnotations.summary }}'\n"
                         "    headers:\n      Subject: 'Ops: {{ .GroupLabels.alertname }}'\n      X-Team: ops\n"));
  REQUIRE(pair.Start());
  std::string now = Rfc3339(absl::Now());
  TestAlert a{{{"alertname", "Mail"}, {"instance", "a"}, {"job", "j"}}, now, "", "disk full <90%> = bad"};
  TestAlert b{{{"alertname", "Mail"}, {"instance", "b"}, {"job", "j"}}, now};
  TestAlert c{{{"alertname", "OpsMail"}, {"team", "ops"}}, now, "", std::string(120, 'x') + " long line"};
  pair.Push({a, b, c});
  auto wait_mails = [&](size_t n) {
    return Eventually([&] {
      return pair.ours_smtp().Messages().size() >= n && pair.theirs_smtp().Messages().size() >= n;
    });
  };
  REQUIRE(wait_mails(2));
  // Resolve one alert: a third mail for the send_resolved receiver.
  a.ends_at = Rfc3339(absl::Now());
  pair.Push({a});
  REQUIRE(wait_mails(3));
  auto digests = [](SmtpSink& sink) {
    std::vector<std::string> out;
    for (const std::string& m : sink.Messages()) out.push_back(EmailDigest(m));
    // Mails of different groups may arrive in either order.
    std::sort(out.begin(), out.end());
    return out;
  };
  // The SMTP conversations (EHLO name, MAIL FROM, RCPT TO for each address).
  auto envelope = [](SmtpSink& sink) {
    std::vector<std::string> out;
    for (const std::string& c : sink.Commands())
      if (!absl::StartsWith(c, "QUIT")) out.push_back(c);  // may still be on its way
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(envelope(pair.ours_smtp()) == envelope(pair.theirs_smtp()));
  std::vector<std::string> ours = digests(pair.ours_smtp()), theirs = digests(pair.theirs_smtp());
  REQUIRE(ours.size() == 3);
  REQUIRE(theirs.size() == 3);
  for (size_t i = 0; i < ours.size(); ++i) {
    INFO("ours:\n" << ours[i] << "\n\nalertmanager:\n" << theirs[i]);
    CHECK(ours[i] == theirs[i]);
  }
}

}  // namespace
}  // namespace omni::e2e
