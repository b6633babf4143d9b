// Rule evaluation tests. Expected values follow Prometheus 2.42's own tests
// (rules/alerting_test.go, rules/recording_test.go, rules/manager_test.go,
// cmd/prometheus/main_test.go) where they exist; the rest walks the state
// machine of rules/alerting.go step by step.
#include "libs/rules/rule.h"

#include <atomic>
#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "libs/promql/engine.h"
#include "libs/promql/parser.h"
#include "libs/promql/testing/mem_storage.h"

namespace omni::rules {
namespace {

using model::Labels;

RuleSpec Spec(std::string name, bool alert, std::string_view expr, Labels labels = {},
              std::vector<std::pair<std::string, std::string>> annotations = {}) {
  RuleSpec s;
  (alert ? s.alert : s.record) = std::move(name);
  s.expr_text = std::string(expr);
  auto e = promql::ParseExpr(expr);
  REQUIRE(e.ok());
  s.expr = std::shared_ptr<const promql::Expr>(std::move(*e));
  s.labels = labels.items();
  s.annotations = std::move(annotations);
  return s;
}

RuleSpec AlertSpec(std::string name, std::string_view expr, absl::Duration for_d = absl::ZeroDuration(),
                   absl::Duration keep = absl::ZeroDuration(), Labels labels = {},
                   std::vector<std::pair<std::string, std::string>> annotations = {}) {
  RuleSpec s = Spec(std::move(name), true, expr, std::move(labels), std::move(annotations));
  s.for_duration = for_d;
  s.keep_firing_for = keep;
  return s;
}

// A fake QueryFunc: the rule's expression returns the vector registered for
// the evaluation time (empty otherwise); other expressions (from templates)
// are looked up by their text.
struct FakeQuery {
  std::map<absl::Time, promql::Vector> by_time;
  std::map<std::string, promql::Vector> by_expr;
  std::string rule_expr;
  int calls = 0;

  QueryFunc Func() {
    return [this](const promql::Expr& e, absl::Time ts) -> absl::StatusOr<promql::Vector> {
      ++calls;
      std::string s = promql::ExprToString(e);
      if (s != rule_expr) {
        auto it = by_expr.find(s);
        if (it == by_expr.end()) return absl::InvalidArgumentError("unknown query " + s);
        return it->second;
      }
      auto it = by_time.find(ts);
      if (it == by_time.end()) return promql::Vector{};
      promql::Vector v = it->second;
      for (auto& smp : v) smp.t = absl::ToUnixMillis(ts);
      return v;
    };
  }
};

promql::VectorSample S(std::initializer_list<std::pair<std::string_view, std::string_view>> l, double v) {
  return promql::VectorSample{Labels::FromPairs(l), 0, v};
}

// "labels value@t" per sample, in output order.
std::vector<std::string> Dump(const promql::Vector& v, std::string_view only_metric = "") {
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!only_metric.empty() && s.metric.MetricName() != only_metric) continue;
    char buf[64];
    snprintf(buf, sizeof(buf), " %.15g@%lld", s.v, static_cast<long long>(s.t));
    out.push_back(s.metric.ToString() + buf);
  }
  return out;
}

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
absl::Time At(int minutes) { return kT0 + absl::Minutes(minutes); }
std::string Ms(absl::Time t) { return std::to_string(absl::ToUnixMillis(t)); }

// ---------------------------------------------------------------------------
// Basics

TEST_CASE("rules: health and state strings, NewRule, query()", "[rules][rule]") {
  CHECK(std::string(RuleHealthString(RuleHealth::kUnknown)) == "unknown");
  CHECK(std::string(RuleHealthString(RuleHealth::kGood)) == "ok");
  CHECK(std::string(RuleHealthString(RuleHealth::kBad)) == "err");
  CHECK(std::string(AlertStateString(AlertState::kInactive)) == "inactive");
  CHECK(std::string(AlertStateString(AlertState::kPending)) == "pending");
  CHECK(std::string(AlertStateString(AlertState::kFiring)) == "firing");

  auto rec = NewRule(Spec("job:up:sum", false, "sum(up)by(job)"));
  CHECK(dynamic_cast<RecordingRule*>(rec.get()) != nullptr);
  CHECK(rec->query() == "sum by (job) (up)");
  CHECK(rec->name() == "job:up:sum");
  auto al = NewRule(AlertSpec("Down", "up==0"));
  CHECK(dynamic_cast<AlertingRule*>(al.get()) != nullptr);
  CHECK(al->query() == "up == 0");

  CHECK(rec->status().health == RuleHealth::kUnknown);
  CHECK(rec->status().last_evaluation == absl::InfinitePast());
  rec->SetStatus({RuleHealth::kBad, "boom", kT0, absl::Seconds(1)});
  CHECK(rec->status().health == RuleHealth::kBad);
  CHECK(rec->status().last_error == "boom");
}

// ---------------------------------------------------------------------------
// Recording rules (recording_test.go)

TEST_CASE("rules: recording rule renames, applies labels, stamps ts", "[rules][rule][recording]") {
  FakeQuery q;
  RecordingRule r(Spec("job:x:sum", false, "x", Labels::FromPairs({{"team", "infra"}})));
  q.rule_expr = "x";
  q.by_time[kT0] = {S({{"__name__", "x"}, {"job", "a"}, {"team", "old"}}, 1),
                    S({{"__name__", "x"}, {"job", "b"}}, 2)};
  EvalContext ctx{.ts = kT0, .query = q.Func()};
  auto out = r.Eval(ctx);
  REQUIRE(out.ok());
  CHECK(Dump(*out) == std::vector<std::string>{
                          "{__name__=\"job:x:sum\", job=\"a\", team=\"infra\"} 1@" + Ms(kT0),
                          "{__name__=\"job:x:sum\", job=\"b\", team=\"infra\"} 2@" + Ms(kT0)});

  SECTION("duplicates after applying the rule labels") {
    RecordingRule r2(Spec("rec", false, "x", Labels::FromPairs({{"job", "fixed"}, {"team", "t"}})));
    auto out2 = r2.Eval(ctx);
    REQUIRE_FALSE(out2.ok());
    CHECK(out2.status().message() == "vector contains metrics with the same labelset after applying rule labels");
  }
}

TEST_CASE("rules: recording rule over the engine (scalar, labels, duplicates, limit)", "[rules][rule][recording]") {
  promql::testing::MemStorage st;
  st.Add(Labels::FromPairs({{"__name__", "metric"}, {"label_a", "1"}, {"label_b", "3"}}), 0, 1);
  st.Add(Labels::FromPairs({{"__name__", "metric"}, {"label_a", "2"}, {"label_b", "4"}}), 0, 10);
  promql::Engine engine;
  EvalContext ctx{.ts = absl::UnixEpoch(), .query = EngineQueryFunc(engine, st)};

  SECTION("scalar result: one series with only the record name") {
    RecordingRule r(Spec("test_rule", false, "1"));
    auto out = r.Eval(ctx);
    REQUIRE(out.ok());
    CHECK(Dump(*out) == std::vector<std::string>{"{__name__=\"test_rule\"} 1@0"});
  }
  SECTION("labels added and overridden, metric name replaced") {
    RecordingRule r(Spec("test_rule", false, "metric", Labels::FromPairs({{"label_a", "from_rule"}, {"extra", "x"}})));
    auto out = r.Eval(ctx);
    REQUIRE(out.ok());
    CHECK(Dump(*out) == std::vector<std::string>{
                            "{__name__=\"test_rule\", extra=\"x\", label_a=\"from_rule\", label_b=\"3\"} 1@0",
                            "{__name__=\"test_rule\", extra=\"x\", label_a=\"from_rule\", label_b=\"4\"} 10@0"});
  }
  SECTION("duplicate label sets after applying rule labels") {
    RecordingRule r(Spec("foo", false, "vector(0) or label_replace(vector(0),\"test\",\"x\",\"\",\"\")",
                         Labels::FromPairs({{"test", "test"}})));
    auto out = r.Eval(ctx);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().message() == "vector contains metrics with the same labelset after applying rule labels");
  }
  SECTION("limit") {
    RecordingRule r(Spec("foo", false, "metric > 0"));
    for (auto [limit, err] : std::vector<std::pair<int64_t, std::string>>{
             {0, ""}, {-1, ""}, {1, "exceeded limit of 1 with 2 series"}, {2, ""}}) {
      ctx.limit = limit;
      auto out = r.Eval(ctx);
      INFO("limit " << limit);
      if (err.empty()) {
        REQUIRE(out.ok());
        CHECK(out->size() == 2);
      } else {
        REQUIRE_FALSE(out.ok());
        CHECK(out.status().message() == err);
      }
    }
  }
  SECTION("query errors pass through") {
    RecordingRule r(Spec("foo", false, "\"a string\""));
    auto out = r.Eval(ctx);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().message() == "rule result is not a vector or scalar");
  }
}

// ---------------------------------------------------------------------------
// Alerting rules over the engine (manager_test.go / alerting_test.go data)

// Loads `values` for one series at `step` intervals starting at 0 (NaN: no sample).
void Load(promql::testing::MemStorage& st, const Labels& l, absl::Duration step, std::vector<double> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    st.Add(l, absl::ToInt64Milliseconds(step * static_cast<int64_t>(i)), values[i]);
  }
}

TEST_CASE("rules: alerting rule transitions (TestAlertingRule)", "[rules][rule][alerting]") {
  promql::testing::MemStorage st;
  Load(st, Labels::FromPairs({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "0"},
                              {"group", "canary"}, {"severity", "overwrite-me"}}),
       absl::Minutes(5), {75, 85, 95, 105, 105, 95, 85});
  Load(st, Labels::FromPairs({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "1"},
                              {"group", "canary"}, {"severity", "overwrite-me"}}),
       absl::Minutes(5), {80, 90, 100, 110, 120, 130, 140});
  promql::Engine engine;
  AlertingRule rule(AlertSpec("HTTPRequestRateLow", "http_requests{group=\"canary\", job=\"app-server\"} < 100",
                              absl::Minutes(1), absl::ZeroDuration(),
                              Labels::FromPairs({{"severity", "{{\"c\"}}ritical"}})));
  auto alerts = [](const std::string& inst, const std::string& state) {
    return absl::StrCat("{__name__=\"ALERTS\", alertname=\"HTTPRequestRateLow\", alertstate=\"", state,
                        "\", group=\"canary\", instance=\"", inst, "\", job=\"app-server\", severity=\"critical\"}");
  };
  struct Step {
    int minute;
    std::vector<std::string> alerts;
  };
  const std::vector<Step> steps = {
      {0, {alerts("0", "pending"), alerts("1", "pending")}},
      {5, {alerts("0", "firing"), alerts("1", "firing")}},
      {10, {alerts("0", "firing")}},
      {15, {}},
      {20, {}},
      {25, {alerts("0", "pending")}},
      {30, {alerts("0", "firing")}},
  };
  for (const Step& step : steps) {
    const absl::Time ts = absl::UnixEpoch() + absl::Minutes(step.minute);
    INFO("minute " << step.minute);
    EvalContext ctx{.ts = ts, .query = EngineQueryFunc(engine, st)};
    auto out = rule.Eval(ctx);
    REQUIRE(out.ok());
    std::vector<std::string> want;
    for (const auto& a : step.alerts) want.push_back(a + " 1@" + Ms(ts));
    CHECK(Dump(*out, "ALERTS") == want);
    // One ALERTS_FOR_STATE per ALERTS sample, valued active_at in seconds.
    CHECK(Dump(*out, "ALERTS_FOR_STATE").size() == step.alerts.size());
  }
  // At 30m instance 0 has been active since 25m.
  auto out = rule.Eval(EvalContext{.ts = absl::UnixEpoch() + absl::Minutes(30), .query = EngineQueryFunc(engine, st)});
  REQUIRE(out.ok());
  CHECK(Dump(*out, "ALERTS_FOR_STATE") ==
        std::vector<std::string>{"{__name__=\"ALERTS_FOR_STATE\", alertname=\"HTTPRequestRateLow\", group=\"canary\", "
                                 "instance=\"0\", job=\"app-server\", severity=\"critical\"} 1500@1800000"});
}

TEST_CASE("rules: label templates re-key the alert (TestAlertingRuleLabelsUpdate)", "[rules][rule][alerting]") {
  promql::testing::MemStorage st;
  Load(st, Labels::FromPairs({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "0"}}),
       absl::Minutes(1), {75, 85, 70, 70});
  promql::Engine engine;
  AlertingRule rule(AlertSpec("HTTPRequestRateLow", "http_requests < 100", absl::Minutes(1), absl::ZeroDuration(),
                              Labels::FromPairs({{"severity", "{{ if lt $value 80.0 }}critical{{ else }}warning{{ end }}"}})));
  auto alerts = [](const std::string& state, const std::string& sev) {
    return absl::StrCat("{__name__=\"ALERTS\", alertname=\"HTTPRequestRateLow\", alertstate=\"", state,
                        "\", instance=\"0\", job=\"app-server\", severity=\"", sev, "\"}");
  };
  const std::vector<std::string> want = {alerts("pending", "critical"), alerts("pending", "warning"),
                                         alerts("pending", "critical"), alerts("firing", "critical")};
  for (int i = 0; i < 4; ++i) {
    const absl::Time ts = absl::UnixEpoch() + absl::Minutes(i);
    auto out = rule.Eval(EvalContext{.ts = ts, .query = EngineQueryFunc(engine, st)});
    REQUIRE(out.ok());
    INFO("minute " << i);
    CHECK(Dump(*out, "ALERTS") == std::vector<std::string>{want[i] + " 1@" + Ms(ts)});
  }
  // The series ends (lookback 5m): at 10m the firing alert resolves.
  auto out = rule.Eval(EvalContext{.ts = absl::UnixEpoch() + absl::Minutes(10), .query = EngineQueryFunc(engine, st)});
  REQUIRE(out.ok());
  CHECK(out->empty());
  auto active = rule.ActiveAlerts();
  REQUIRE(active.size() == 1);
  CHECK(active[0].state == AlertState::kInactive);
  CHECK(active[0].resolved_at == absl::UnixEpoch() + absl::Minutes(10));
}

TEST_CASE("rules: keep_firing_for (TestKeepFiringFor, TestPendingAndKeepFiringFor)", "[rules][rule][alerting]") {
  promql::testing::MemStorage st;
  promql::Engine engine;
  auto alerts = [](const std::string& state) {
    return absl::StrCat("{__name__=\"ALERTS\", alertname=\"HTTPRequestRateHigh\", alertstate=\"", state,
                        "\", instance=\"0\", job=\"app-server\"}");
  };
  SECTION("a firing alert keeps firing for keep_firing_for after it disappears") {
    Load(st, Labels::FromPairs({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "0"}}),
         absl::Minutes(1), {75, 85, 70, 70, 10, 10, 10, 10, 10, 10});
    AlertingRule rule(AlertSpec("HTTPRequestRateHigh", "http_requests > 50", absl::Minutes(1), absl::Minutes(1)));
    const std::vector<std::string> want = {alerts("pending"), alerts("firing"), alerts("firing"), alerts("firing"),
                                           alerts("firing")};
    for (int i = 0; i < 5; ++i) {
      const absl::Time ts = absl::UnixEpoch() + absl::Minutes(i);
      auto out = rule.Eval(EvalContext{.ts = ts, .query = EngineQueryFunc(engine, st)});
      REQUIRE(out.ok());
      INFO("minute " << i);
      CHECK(Dump(*out, "ALERTS") == std::vector<std::string>{want[i] + " 1@" + Ms(ts)});
    }
    auto active = rule.ActiveAlerts();
    REQUIRE(active.size() == 1);
    CHECK(active[0].keep_firing_since == absl::UnixEpoch() + absl::Minutes(4));
    CHECK(active[0].fired_at == absl::UnixEpoch() + absl::Minutes(1));
    auto out = rule.Eval(EvalContext{.ts = absl::UnixEpoch() + absl::Minutes(5), .query = EngineQueryFunc(engine, st)});
    REQUIRE(out.ok());
    CHECK(out->empty());
    CHECK(rule.State() == AlertState::kInactive);
    CHECK(rule.ActiveAlerts().at(0).resolved_at == absl::UnixEpoch() + absl::Minutes(5));
  }
  SECTION("a pending alert is dropped at once whatever keep_firing_for says") {
    Load(st, Labels::FromPairs({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "0"}}),
         absl::Minutes(1), {75, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10});
    AlertingRule rule(AlertSpec("HTTPRequestRateHigh", "http_requests > 50", absl::Minutes(1), absl::Minutes(1)));
    auto out = rule.Eval(EvalContext{.ts = absl::UnixEpoch(), .query = EngineQueryFunc(engine, st)});
    REQUIRE(out.ok());
    CHECK(Dump(*out, "ALERTS") == std::vector<std::string>{alerts("pending") + " 1@0"});
    out = rule.Eval(EvalContext{.ts = absl::UnixEpoch() + absl::Minutes(1), .query = EngineQueryFunc(engine, st)});
    REQUIRE(out.ok());
    CHECK(out->empty());
    CHECK(rule.ActiveAlerts().empty());
  }
}

TEST_CASE("rules: keep_firing_for restarts when the alert comes back", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "x > 0";
  AlertingRule rule(AlertSpec("X", "x > 0", absl::ZeroDuration(), absl::Minutes(3)));
  const auto present = promql::Vector{S({{"__name__", "x"}, {"i", "1"}}, 1)};
  // present at 0,1; absent 2,3; present 4; absent 5..8
  for (int m : {0, 1, 4}) q.by_time[At(m)] = present;
  std::vector<AlertState> states;
  for (int m = 0; m <= 8; ++m) {
    auto out = rule.Eval(EvalContext{.ts = At(m), .query = q.Func()});
    REQUIRE(out.ok());
    states.push_back(rule.State());
    if (m == 3) CHECK(rule.ActiveAlerts().at(0).keep_firing_since == At(2));
    if (m == 4) CHECK(rule.ActiveAlerts().at(0).keep_firing_since == absl::InfinitePast());
  }
  using A = AlertState;
  // Absent from 5: kept at 5, 6, 7 (< 3m since 5), resolved at 8.
  CHECK(states == std::vector<A>{A::kFiring, A::kFiring, A::kFiring, A::kFiring, A::kFiring, A::kFiring, A::kFiring,
                                 A::kFiring, A::kInactive});
  CHECK(rule.ActiveAlerts().at(0).resolved_at == At(8));
  CHECK(rule.ActiveAlerts().at(0).fired_at == At(0));
}

// ---------------------------------------------------------------------------
// State machine details with a fake query

TEST_CASE("rules: pending needs `for`; resolved alerts are kept 15m then dropped; re-firing", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "up == 0";
  AlertingRule rule(AlertSpec("Down", "up == 0", absl::Minutes(2)));
  const auto down = promql::Vector{S({{"__name__", "up"}, {"job", "a"}}, 0)};
  for (int m : {0, 1, 2, 3, 40, 41, 42}) q.by_time[At(m)] = down;
  auto eval = [&](int m) {
    auto out = rule.Eval(EvalContext{.ts = At(m), .query = q.Func()});
    REQUIRE(out.ok());
    return *out;
  };
  CHECK(rule.State() == AlertState::kInactive);
  auto out = eval(0);
  CHECK(Dump(out) ==
        std::vector<std::string>{
            "{__name__=\"ALERTS\", alertname=\"Down\", alertstate=\"pending\", job=\"a\"} 1@" + Ms(At(0)),
            "{__name__=\"ALERTS_FOR_STATE\", alertname=\"Down\", job=\"a\"} 1700000000@" + Ms(At(0))});
  CHECK(rule.State() == AlertState::kPending);
  eval(1);
  CHECK(rule.State() == AlertState::kPending);
  out = eval(2);  // 2m - 0 >= for
  CHECK(rule.State() == AlertState::kFiring);
  CHECK(Dump(out, "ALERTS_FOR_STATE") ==
        std::vector<std::string>{"{__name__=\"ALERTS_FOR_STATE\", alertname=\"Down\", job=\"a\"} 1700000000@" +
                                 Ms(At(2))});
  eval(3);
  out = eval(4);  // gone: resolved
  CHECK(out.empty());
  auto a = rule.ActiveAlerts();
  REQUIRE(a.size() == 1);
  CHECK(a[0].state == AlertState::kInactive);
  CHECK(a[0].active_at == At(0));
  CHECK(a[0].fired_at == At(2));
  CHECK(a[0].resolved_at == At(4));
  CHECK(a[0].labels == Labels::FromPairs({{"alertname", "Down"}, {"job", "a"}}));
  CHECK(rule.State() == AlertState::kInactive);
  eval(19);  // 15m after resolution: still kept (retention is "more than 15m")
  CHECK(rule.ActiveAlerts().size() == 1);
  eval(20);
  CHECK(rule.ActiveAlerts().empty());

  SECTION("a resolved alert that comes back starts over as pending") {
    AlertingRule r2(AlertSpec("Down", "up == 0", absl::Minutes(2)));
    FakeQuery q2;
    q2.rule_expr = "up == 0";
    for (int m : {0, 2, 5}) q2.by_time[At(m)] = down;
    for (int m : {0, 2, 3}) REQUIRE(r2.Eval(EvalContext{.ts = At(m), .query = q2.Func()}).ok());
    REQUIRE(r2.ActiveAlerts().at(0).state == AlertState::kInactive);
    auto o = r2.Eval(EvalContext{.ts = At(5), .query = q2.Func()});
    REQUIRE(o.ok());
    auto al = r2.ActiveAlerts();
    REQUIRE(al.size() == 1);
    CHECK(al[0].state == AlertState::kPending);
    CHECK(al[0].active_at == At(5));
    CHECK(al[0].resolved_at == absl::InfinitePast());
    CHECK(al[0].fired_at == absl::InfinitePast());
  }
}

TEST_CASE("rules: value and annotations follow the latest evaluation", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "load > 1";
  AlertingRule rule(AlertSpec("High", "load > 1", absl::Minutes(5), absl::ZeroDuration(), {},
                              {{"summary", "load is {{ $value }}"}}));
  q.by_time[At(0)] = {S({{"__name__", "load"}, {"host", "h"}}, 2)};
  q.by_time[At(1)] = {S({{"__name__", "load"}, {"host", "h"}}, 3.5)};
  REQUIRE(rule.Eval(EvalContext{.ts = At(0), .query = q.Func()}).ok());
  REQUIRE(rule.Eval(EvalContext{.ts = At(1), .query = q.Func()}).ok());
  auto a = rule.ActiveAlerts();
  REQUIRE(a.size() == 1);
  CHECK(a[0].value == 3.5);
  CHECK(a[0].active_at == At(0));
  CHECK(a[0].annotations == std::vector<std::pair<std::string, std::string>>{{"summary", "load is 3.5"}});
}

TEST_CASE("rules: templates see $labels, $value, $externalLabels, $externalURL and query", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "up == 0";
  q.by_expr["count(up)"] = {S({}, 7)};
  q.by_time[kT0] = {S({{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}}, 0)};
  AlertingRule rule(AlertSpec(
      "InstanceDown", "up == 0", absl::ZeroDuration(), absl::ZeroDuration(),
      Labels::FromPairs({{"instance", "{{ $labels.instance }}-x"},
                         {"templated_label", "There are {{ len $externalLabels }} external Labels, of which foo is "
                                             "{{ $externalLabels.foo }}."},
                         {"empty", "{{ if eq 1 0 }}never{{ end }}"}}),
      {{"bad", "{{ humanize \"abc\" }}"},
       {"metric", "{{ $labels.__name__ }}"},
       {"runbook", ""},
       {"summary", "{{ $labels.instance }} of {{ $labels.job }} is down ({{ $value }}) of {{ query \"count(up)\" | "
                   "first | value }}; see {{ $externalURL }}"}}));
  EvalContext ctx{.ts = kT0, .query = q.Func(), .external_labels = Labels::FromPairs({{"foo", "bar"}, {"dings", "bums"}}),
                  .external_url = "http://localhost:1234"};
  auto out = rule.Eval(ctx);
  REQUIRE(out.ok());
  auto a = rule.ActiveAlerts();
  REQUIRE(a.size() == 1);
  CHECK(a[0].labels == Labels::FromPairs({{"alertname", "InstanceDown"},
                                          {"instance", "a:9100-x"},
                                          {"job", "node"},
                                          {"templated_label", "There are 2 external Labels, of which foo is bar."}}));
  REQUIRE(a[0].annotations.size() == 4);
  CHECK(a[0].annotations[0].first == "bad");
  CHECK(a[0].annotations[0].second ==
        "<error expanding template: error executing template __alert_InstanceDown: template: __alert_InstanceDown:1:115: "
        "executing \"__alert_InstanceDown\" at <humanize \"abc\">: error calling humanize: strconv.ParseFloat: parsing "
        "\"abc\": invalid syntax>");
  // As in Prometheus, $labels still holds the metric name of the result.
  CHECK(a[0].annotations[1] == std::pair<std::string, std::string>{"metric", "up"});
  CHECK(a[0].annotations[2] == std::pair<std::string, std::string>{"runbook", ""});
  // Templates see the result's labels, not the expanded alert labels.
  CHECK(a[0].annotations[3].second == "a:9100 of node is down (0) of 7; see http://localhost:1234");
  // A label template expanding to "" drops the label from the alert; the
  // ALERTS series starts from the rule's raw labels, as Prometheus's does.
  CHECK(Dump(*out, "ALERTS") ==
        std::vector<std::string>{"{__name__=\"ALERTS\", alertname=\"InstanceDown\", alertstate=\"firing\", "
                                 "empty=\"{{ if eq 1 0 }}never{{ end }}\", instance=\"a:9100-x\", job=\"node\", "
                                 "templated_label=\"There are 2 external Labels, of which foo is bar.\"} 1@" +
                                 Ms(kT0)});
}

TEST_CASE("rules: a failing template query is an expansion error, not an Eval error", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "vector(1)";
  q.by_time[kT0] = {S({}, 1)};
  AlertingRule rule(AlertSpec("Q", "vector(1)", absl::ZeroDuration(), absl::ZeroDuration(), {},
                              {{"a", "{{ query \"nope\" }}"}, {"b", "{{ query \"up{\" }}"}}));
  auto out = rule.Eval(EvalContext{.ts = kT0, .query = q.Func()});
  REQUIRE(out.ok());
  auto a = rule.ActiveAlerts();
  REQUIRE(a.size() == 1);
  CHECK(a[0].labels == Labels::FromPairs({{"alertname", "Q"}}));
  CHECK(a[0].annotations[0].second.rfind("<error expanding template: ", 0) == 0);
  CHECK(a[0].annotations[0].second.find("error calling query: unknown query nope") != std::string::npos);
  CHECK(a[0].annotations[1].second.find("error calling query: 1:4: parse error") != std::string::npos);
}

TEST_CASE("rules: alerting duplicates, limit and query errors", "[rules][rule][alerting]") {
  promql::testing::MemStorage st;
  st.Add(Labels::FromPairs({{"__name__", "metric"}, {"label", "1"}}), 0, 1);
  st.Add(Labels::FromPairs({{"__name__", "metric"}, {"label", "2"}}), 0, 1);
  promql::Engine engine;
  EvalContext ctx{.ts = absl::UnixEpoch(), .query = EngineQueryFunc(engine, st)};

  SECTION("duplicate label sets after applying alert labels (TestAlertingRuleDuplicate)") {
    AlertingRule rule(AlertSpec("foo", "vector(0) or label_replace(vector(0),\"test\",\"x\",\"\",\"\")",
                                absl::Minutes(1), absl::ZeroDuration(), Labels::FromPairs({{"test", "test"}})));
    auto out = rule.Eval(ctx);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().message() == "vector contains metrics with the same labelset after applying alert labels");
    CHECK(rule.ActiveAlerts().empty());
  }
  SECTION("metric name is dropped before keying: two metrics, one alert label set") {
    FakeQuery q;
    q.rule_expr = "a or b";
    q.by_time[kT0] = {S({{"__name__", "a"}, {"x", "1"}}, 1), S({{"__name__", "b"}, {"x", "1"}}, 1)};
    AlertingRule rule(AlertSpec("foo", "a or b"));
    auto out = rule.Eval(EvalContext{.ts = kT0, .query = q.Func()});
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().message() == "vector contains metrics with the same labelset after applying alert labels");
  }
  SECTION("limit (TestAlertingRuleLimit)") {
    AlertingRule rule(AlertSpec("foo", "metric > 0", absl::Minutes(1)));
    for (auto [limit, err] : std::vector<std::pair<int64_t, std::string>>{
             {0, ""}, {-1, ""}, {1, "exceeded limit of 1 with 2 alerts"}, {2, ""}}) {
      ctx.limit = limit;
      auto out = rule.Eval(ctx);
      INFO("limit " << limit);
      if (err.empty()) {
        REQUIRE(out.ok());
        CHECK(Dump(*out, "ALERTS").size() == 2);
        CHECK(rule.ActiveAlerts().size() == 2);
      } else {
        REQUIRE_FALSE(out.ok());
        CHECK(out.status().message() == err);
        CHECK(rule.ActiveAlerts().empty());  // Prometheus drops all alerts of the rule
      }
    }
  }
  SECTION("a query error leaves the alerts alone") {
    AlertingRule rule(AlertSpec("foo", "metric > 0"));
    REQUIRE(rule.Eval(ctx).ok());
    QueryFunc failing = [](const promql::Expr&, absl::Time) -> absl::StatusOr<promql::Vector> {
      return absl::UnavailableError("collector down");
    };
    auto out = rule.Eval(EvalContext{.ts = absl::UnixEpoch() + absl::Minutes(1), .query = failing});
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().message() == "collector down");
    CHECK(rule.ActiveAlerts().size() == 2);
    CHECK(rule.State() == AlertState::kFiring);
  }
  SECTION("scalar result: one alert labelled only with alertname") {
    AlertingRule rule(AlertSpec("Always", "1"));
    auto out = rule.Eval(ctx);
    REQUIRE(out.ok());
    CHECK(Dump(*out) == std::vector<std::string>{
                            "{__name__=\"ALERTS\", alertname=\"Always\", alertstate=\"firing\"} 1@0",
                            "{__name__=\"ALERTS_FOR_STATE\", alertname=\"Always\"} 0@0"});
  }
}

// ---------------------------------------------------------------------------
// Sending (needsSending / sendAlerts / main.go's conversion)

TEST_CASE("rules: AlertsToSend timing, resolution and generator URL", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "rate(x[5m]) > 0";
  AlertingRule rule(AlertSpec("X", "rate(x[5m]) > 0", absl::Minutes(1), absl::ZeroDuration(),
                              Labels::FromPairs({{"severity", "page"}}), {{"summary", "s"}, {"runbook", ""}}));
  const auto present = promql::Vector{S({{"job", "j"}}, 1)};
  for (int m = 0; m <= 3; ++m) {
    q.by_time[At(m)] = present;
    q.by_time[At(m) + absl::Seconds(30)] = present;
  }
  const absl::Duration resend = absl::Minutes(1), interval = absl::Seconds(30);
  auto step = [&](absl::Time ts) {
    REQUIRE(rule.Eval(EvalContext{.ts = ts, .query = q.Func()}).ok());
    return rule.AlertsToSend(ts, resend, interval, "http://prom:9090");
  };

  CHECK(step(At(0)).empty());  // pending is never sent
  auto sent = step(At(1));     // fires
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].labels == Labels::FromPairs({{"alertname", "X"}, {"job", "j"}, {"severity", "page"}}));
  CHECK(sent[0].annotations == alerting::Annotations::FromPairs({{"summary", "s"}, {"runbook", ""}}));
  CHECK(sent[0].starts_at == At(1));
  CHECK(sent[0].ends_at == At(1) + absl::Minutes(4));  // 4 × max(resend 1m, interval 30s)
  CHECK(sent[0].generator_url == "http://prom:9090/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=1");
  CHECK(rule.ActiveAlerts().at(0).last_sent_at == At(1));
  CHECK(rule.ActiveAlerts().at(0).valid_until == At(5));

  CHECK(step(At(1) + absl::Seconds(30)).empty());
  CHECK(step(At(2)).empty());  // exactly resend_delay later: not yet (strictly after)
  sent = step(At(2) + absl::Seconds(30));
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].ends_at == At(2) + absl::Seconds(30) + absl::Minutes(4));
  CHECK(sent[0].starts_at == At(1));

  // Resolved at 4m: sent at once with ends_at = resolved_at, even though the
  // last send was under resend_delay ago.
  REQUIRE(step(At(3)).empty());
  sent = step(At(4));
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].ends_at == At(4));
  CHECK(sent[0].starts_at == At(1));
  CHECK(step(At(4) + absl::Seconds(30)).empty());
  CHECK(step(At(5)).empty());
  sent = step(At(5) + absl::Seconds(30));  // then again every resend_delay
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].ends_at == At(4));
  // Until it is dropped after the retention (more than 15m after resolution).
  CHECK(step(At(19)).size() == 1);
  CHECK(step(At(20)).empty());
  CHECK(rule.ActiveAlerts().empty());
}

TEST_CASE("rules: send, hold back, resend, resolve (TestNotify)", "[rules][rule][alerting]") {
  promql::testing::MemStorage st;
  const Labels a = Labels::FromPairs({{"__name__", "a"}});
  st.Add(a, 1000, 2);
  st.Add(a, 2000, 3);
  st.Add(a, 5000, 3);
  st.Add(a, 6000, 0);
  promql::Engine engine;
  AlertingRule rule(AlertSpec("aTooHigh", "a > 1"));
  auto step = [&](int sec) {
    const absl::Time ts = absl::FromUnixSeconds(sec);
    REQUIRE(rule.Eval(EvalContext{.ts = ts, .query = EngineQueryFunc(engine, st)}).ok());
    return rule.AlertsToSend(ts, absl::Seconds(2), absl::Seconds(1), "");
  };
  auto sent = step(1);  // sent right away
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].ends_at == absl::FromUnixSeconds(9));  // valid_until: 1s + 4 × 2s
  CHECK(step(2).empty());  // not sent 1s later
  sent = step(5);  // resent
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].starts_at == absl::FromUnixSeconds(1));
  sent = step(6);  // resolution sent right away
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].ends_at == absl::FromUnixSeconds(6));
}

TEST_CASE("rules: AlertsToSend uses the larger of interval and resend delay", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "up";
  q.by_time[kT0] = {S({{"__name__", "up"}}, 1)};
  AlertingRule rule(AlertSpec("Up", "up"));
  REQUIRE(rule.Eval(EvalContext{.ts = kT0, .query = q.Func()}).ok());
  auto sent = rule.AlertsToSend(kT0, absl::Minutes(1), absl::Minutes(5), "");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].ends_at == kT0 + absl::Minutes(20));
  CHECK(sent[0].generator_url == "/graph?g0.expr=up&g0.tab=1");
}

TEST_CASE("rules: CopyStateFrom keeps alerts across a reload", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "up == 0";
  for (int m : {0, 1, 2, 3}) q.by_time[At(m)] = {S({{"__name__", "up"}, {"job", "a"}}, 0)};
  AlertingRule old_rule(AlertSpec("Down", "up == 0", absl::Minutes(2)));
  for (int m : {0, 1}) REQUIRE(old_rule.Eval(EvalContext{.ts = At(m), .query = q.Func()}).ok());
  AlertingRule new_rule(AlertSpec("Down", "up == 0", absl::Minutes(2)));
  new_rule.CopyStateFrom(old_rule);
  REQUIRE(new_rule.Eval(EvalContext{.ts = At(2), .query = q.Func()}).ok());
  auto a = new_rule.ActiveAlerts();
  REQUIRE(a.size() == 1);
  CHECK(a[0].state == AlertState::kFiring);  // active since 0, not since the reload
  CHECK(a[0].active_at == At(0));
  CHECK(old_rule.State() == AlertState::kPending);  // the old rule is untouched
}

TEST_CASE("rules: readers run concurrently with Eval", "[rules][rule][alerting]") {
  FakeQuery q;
  q.rule_expr = "x";
  promql::Vector v;
  for (int i = 0; i < 50; ++i) v.push_back(S({{"__name__", "x"}, {"i", std::to_string(i)}}, i));
  for (int m = 0; m < 200; ++m) q.by_time[At(m)] = m % 3 == 2 ? promql::Vector{} : v;
  AlertingRule rule(AlertSpec("X", "x", absl::Minutes(1), absl::ZeroDuration(), {}, {{"s", "{{ $value }}"}}));
  std::atomic<bool> done{false};
  std::atomic<size_t> max_seen{0};
  std::thread reader([&] {  // no Catch2 assertions off the main thread
    while (!done.load()) {
      auto a = rule.ActiveAlerts();
      if (a.size() > max_seen.load()) max_seen = a.size();
      (void)rule.State();
      (void)rule.status();
    }
  });
  for (int m = 0; m < 200; ++m) {
    REQUIRE(rule.Eval(EvalContext{.ts = At(m), .query = q.Func()}).ok());
    rule.AlertsToSend(At(m), absl::Minutes(1), absl::Minutes(1), "");
  }
  done = true;
  reader.join();
  CHECK(max_seen.load() <= 50);
  CHECK(rule.ActiveAlerts().size() == 50);
}

}  // namespace
}  // namespace omni::rules
