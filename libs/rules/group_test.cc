#include "libs/rules/group.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "libs/common/go_time.h"
#include "libs/json/json_writer.h"
#include "libs/model/sample.h"
#include "libs/promql/parser.h"
#include "libs/promql/testing/mem_storage.h"
#include "libs/rules/rules_api.h"
#include "libs/selfmetrics/registry.h"

namespace omni::rules {
namespace {

using model::Labels;

RuleSpec Record(std::string name, std::string expr, std::vector<model::Label> labels = {}) {
  RuleSpec r;
  r.record = std::move(name);
  r.expr_text = std::move(expr);
  auto parsed = promql::ParseExpr(r.expr_text);
  REQUIRE(parsed.ok());
  r.expr = std::shared_ptr<const promql::Expr>(std::move(*parsed));
  r.labels = std::move(labels);
  return r;
}

RuleSpec Alert(std::string name, std::string expr, absl::Duration for_duration = absl::ZeroDuration()) {
  RuleSpec r = Record("", std::move(expr));
  r.alert = std::move(name);
  r.for_duration = for_duration;
  return r;
}

RuleFile OneGroup(std::string name, absl::Duration interval, std::vector<RuleSpec> rules,
                  std::string path = "rules.yml") {
  RuleGroupSpec g;
  g.name = std::move(name);
  g.interval = interval;
  g.rules = std::move(rules);
  RuleFile f;
  f.path = std::move(path);
  f.groups.push_back(std::move(g));
  return f;
}

// Value of `series` at exactly `t` in the storage (NaN bits preserved), or nullopt.
std::optional<double> SampleAt(promql::testing::MemStorage& st, const Labels& series, absl::Time t) {
  auto q = st.NewQuerier(absl::ToUnixMillis(t), absl::ToUnixMillis(t));
  REQUIRE(q.ok());
  std::vector<model::Matcher> ms;
  for (const model::Label& l : series) ms.push_back(*model::Matcher::Create(model::MatchType::kEqual, l.name, l.value));
  storage::SelectHints hints;
  hints.start = absl::ToUnixMillis(t);
  hints.end = absl::ToUnixMillis(t);
  auto set = (*q)->Select(true, hints, ms);
  while (set->Next()) {
    if (!(set->At().labels() == series)) continue;
    auto it = set->At().Iterator();
    while (it->Next()) {
      if (it->At().t == absl::ToUnixMillis(t)) return it->At().v;
    }
  }
  return std::nullopt;
}

struct Fixture {
  promql::testing::MemStorage storage;
  promql::Engine engine;
  common::FakeClock clock{absl::FromUnixSeconds(1'700'000'000)};
  std::vector<alerting::Alert> sent;
  selfmetrics::Registry registry;
  std::unique_ptr<RuleManager> manager;

  explicit Fixture(Labels external_labels = {}, bool restore_for_state = false) {
    RuleManagerOptions o;
    if (restore_for_state) o.for_state_queryable = &storage;
    o.query = EngineQueryFunc(engine, storage);
    o.appendable = &storage;
    o.notify = [this](std::vector<alerting::Alert> a) { sent.insert(sent.end(), a.begin(), a.end()); };
    o.external_labels = std::move(external_labels);
    o.external_url = "http://viewer:3000";
    o.start_scheduler = false;
    o.clock = &clock;
    o.metrics = &registry;
    manager = std::make_unique<RuleManager>(std::move(o));
  }

  // Advances the fake clock to the next due time and evaluates; returns the evaluation time.
  absl::Time Step() {
    absl::Time next = manager->RunDue(clock.Now());
    REQUIRE(next != absl::InfiniteFuture());
    clock.Advance(next - clock.Now());
    manager->RunDue(clock.Now());
    return next;
  }
};

TEST_CASE("groups evaluate at aligned times, rules see earlier rules' output of the same evaluation") {
  Fixture f;
  const Labels up_a = Labels::FromPairs({{"__name__", "up"}, {"job", "api"}, {"instance", "a"}});
  const Labels up_b = Labels::FromPairs({{"__name__", "up"}, {"job", "api"}, {"instance", "b"}});
  for (int s = -600; s <= 600; s += 15) {
    const int64_t t = (1'700'000'000LL + s) * 1000;
    f.storage.Add(up_a, t, 1);
    f.storage.Add(up_b, t, 0);
  }
  REQUIRE(f.manager
              ->Update({OneGroup("g", absl::Seconds(30),
                                 {Record("job:up:sum", "sum by (job) (up)"),
                                  Alert("JobPartlyDown", "job:up:sum < 2")})},
                       absl::Minutes(1))
              .ok());

  const absl::Time t1 = f.Step();
  // Aligned: the same offset within the interval at every evaluation.
  const absl::Time t2 = f.Step();
  CHECK(t2 - t1 == absl::Seconds(30));
  CHECK(t1 > absl::FromUnixSeconds(1'700'000'000));
  CHECK(t1 <= absl::FromUnixSeconds(1'700'000'030));

  const Labels recorded = Labels::FromPairs({{"__name__", "job:up:sum"}, {"job", "api"}});
  CHECK(SampleAt(f.storage, recorded, t1) == 1.0);
  // The alert read the recorded series of the same evaluation: it fired at t1
  // (no `for`), so ALERTS is written and the alert was sent with its generator URL.
  const Labels alerts_series =
      Labels::FromPairs({{"__name__", "ALERTS"}, {"alertname", "JobPartlyDown"}, {"alertstate", "firing"}, {"job", "api"}});
  CHECK(SampleAt(f.storage, alerts_series, t1) == 1.0);
  const Labels for_state =
      Labels::FromPairs({{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "JobPartlyDown"}, {"job", "api"}});
  CHECK(SampleAt(f.storage, for_state, t1) == static_cast<double>(absl::ToUnixSeconds(t1)));
  REQUIRE(!f.sent.empty());
  CHECK(f.sent.front().labels.Get("alertname") == "JobPartlyDown");
  CHECK(f.sent.front().generator_url.rfind("http://viewer:3000/graph?g0.expr=", 0) == 0);

  std::vector<GroupSnapshot> groups = f.manager->Groups();
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].last_evaluation == t2);
  CHECK(groups[0].rules[0].status.health == RuleHealth::kGood);

  const std::string metrics = f.registry.ExpositionText();
  CHECK(metrics.find("prometheus_rule_group_iterations_total{rule_group=\"rules.yml;g\"} 2") != std::string::npos);
  CHECK(metrics.find("prometheus_rule_evaluations_total{rule_group=\"rules.yml;g\"} 4") != std::string::npos);
  CHECK(metrics.find("prometheus_rule_group_rules{rule_group=\"rules.yml;g\"} 2") != std::string::npos);
}

TEST_CASE("a series a rule stops returning gets a stale marker") {
  Fixture f;
  const Labels x = Labels::FromPairs({{"__name__", "x"}, {"k", "v"}});
  const absl::Time start = f.clock.Now();
  f.storage.Add(x, absl::ToUnixMillis(start), 5);
  REQUIRE(f.manager->Update({OneGroup("g", absl::Seconds(10), {Record("x:copy", "x")})}, absl::Minutes(1)).ok());
  const absl::Time t1 = f.Step();
  const Labels copy = Labels::FromPairs({{"__name__", "x:copy"}, {"k", "v"}});
  CHECK(SampleAt(f.storage, copy, t1) == 5.0);
  // The input goes stale; the rule returns nothing and its output is marked stale.
  f.storage.Add(x, absl::ToUnixMillis(t1) + 1, model::StaleNaN());
  const absl::Time t2 = f.Step();
  std::optional<double> v = SampleAt(f.storage, copy, t2);
  REQUIRE(v.has_value());
  CHECK(model::IsStaleNaN(*v));
}

TEST_CASE("a failing rule is reported and counted; the others still run") {
  Fixture f;
  f.storage.Add(Labels::FromPairs({{"__name__", "a"}, {"i", "1"}}), absl::ToUnixMillis(f.clock.Now()), 1);
  f.storage.Add(Labels::FromPairs({{"__name__", "a"}, {"i", "2"}}), absl::ToUnixMillis(f.clock.Now()), 2);
  // Dropping the only differing label makes two samples with the same labels.
  REQUIRE(f.manager
              ->Update({OneGroup("g", absl::Seconds(10),
                                 {Record("a:dup", "a", {{"i", ""}}), Record("a:sum", "sum(a)")})},
                       absl::Minutes(1))
              .ok());
  const absl::Time t = f.Step();
  std::vector<GroupSnapshot> groups = f.manager->Groups();
  RuleStatus bad = groups[0].rules[0].status;
  CHECK(bad.health == RuleHealth::kBad);
  CHECK(bad.last_error.find("same labelset") != std::string::npos);
  CHECK(groups[0].rules[1].status.health == RuleHealth::kGood);
  CHECK(SampleAt(f.storage, Labels::FromPairs({{"__name__", "a:sum"}}), t) == 3.0);
  CHECK(f.registry.ExpositionText().find("prometheus_rule_evaluation_failures_total{rule_group=\"rules.yml;g\"} 1") !=
        std::string::npos);
}

TEST_CASE("a reload keeps alert state of unchanged rules and marks removed groups stale") {
  Fixture f(Labels::FromPairs({{"cluster", "eu1"}}));
  f.storage.Add(Labels::FromPairs({{"__name__", "x"}}), absl::ToUnixMillis(f.clock.Now()), 1);
  auto files = [](bool with_second) {
    std::vector<RuleFile> out{OneGroup("alerts", absl::Seconds(10), {Alert("XHigh", "x > 0", absl::Seconds(25))})};
    if (with_second) out.push_back(OneGroup("rec", absl::Seconds(10), {Record("x:copy", "x")}, "other.yml"));
    return out;
  };
  REQUIRE(f.manager->Update(files(true), absl::Minutes(1)).ok());
  const absl::Time first = f.Step();
  f.Step();
  // Reload in the middle of the `for`: the alert keeps its active time.
  f.clock.Advance(absl::Seconds(1));
  REQUIRE(f.manager->Update(files(false), absl::Minutes(1)).ok());
  absl::Time t = first;
  while (t - first < absl::Seconds(40)) t = f.Step();
  std::vector<GroupSnapshot> groups = f.manager->Groups();
  REQUIRE(groups.size() == 1);
  REQUIRE(groups[0].rules[0].alerting);
  const std::vector<ActiveAlert>& active = groups[0].rules[0].alerts;
  REQUIRE(active.size() == 1);
  CHECK(active[0].state == AlertState::kFiring);
  CHECK(active[0].active_at <= first + absl::Seconds(10));
  // Sent alerts carry the external label.
  REQUIRE(!f.sent.empty());
  CHECK(f.sent.back().labels.Get("cluster") == "eu1");
  // The removed group's series went stale once the reload was processed.
  bool stale = false;
  auto q = f.storage.NewQuerier(absl::ToUnixMillis(first), absl::ToUnixMillis(t));
  REQUIRE(q.ok());
  auto set = (*q)->Select(true, storage::SelectHints{},
                          {*model::Matcher::Create(model::MatchType::kEqual, "__name__", "x:copy")});
  while (set->Next()) {
    auto it = set->At().Iterator();
    while (it->Next()) stale = stale || model::IsStaleNaN(it->At().v);
  }
  CHECK(stale);
}

TEST_CASE("after a start, pending alerts get their `for` time back from ALERTS_FOR_STATE") {
  Fixture f({}, /*restore_for_state=*/true);
  const absl::Time start = f.clock.Now();
  f.storage.Add(Labels::FromPairs({{"__name__", "x"}}), absl::ToUnixMillis(start) - 60'000, 1);
  // Written by the previous run: pending since 20 minutes before the start,
  // last written 5 minutes before it (when that run stopped).
  const Labels for_state = Labels::FromPairs({{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "Slow"}});
  const absl::Time active_before = start - absl::Minutes(20);
  f.storage.Add(for_state, absl::ToUnixMillis(start - absl::Minutes(6)), absl::ToUnixSeconds(active_before));
  f.storage.Add(for_state, absl::ToUnixMillis(start - absl::Minutes(5)), absl::ToUnixSeconds(active_before));
  REQUIRE(f.manager->Update({OneGroup("g", absl::Seconds(10), {Alert("Slow", "x > 0", absl::Minutes(30))})},
                            absl::Minutes(1))
              .ok());
  const absl::Time t1 = f.Step();
  // Not restored yet: no ALERTS samples that would overwrite the old state.
  CHECK_FALSE(SampleAt(f.storage, for_state, t1).has_value());
  const absl::Time t2 = f.Step();
  const std::vector<ActiveAlert> active = f.manager->Groups()[0].rules[0].alerts;
  REQUIRE(active.size() == 1);
  // 15 of the 30 minutes were spent before the restart; the downtime is added,
  // so 15 minutes remain from the restore (at t2, the fake clock's time).
  CHECK(active[0].active_at == active_before + (t2 - (start - absl::Minutes(5))));
  CHECK(active[0].state == AlertState::kPending);
  const absl::Time t3 = f.Step();
  CHECK(SampleAt(f.storage, for_state, t3) == static_cast<double>(absl::ToUnixSeconds(active[0].active_at)));
}

TEST_CASE("evaluations that fall behind count missed iterations and run at the latest slot") {
  Fixture f;
  REQUIRE(f.manager->Update({OneGroup("g", absl::Seconds(10), {Record("one", "vector(1)")})}, absl::Minutes(1)).ok());
  const absl::Time t1 = f.Step();
  f.clock.Advance(absl::Seconds(35));  // three slots pass before the scheduler looks again
  f.manager->RunDue(f.clock.Now());
  std::vector<GroupSnapshot> groups = f.manager->Groups();
  CHECK(groups[0].last_evaluation == t1 + absl::Seconds(30));
  CHECK(f.registry.ExpositionText().find("prometheus_rule_group_iterations_missed_total{rule_group=\"rules.yml;g\"} 2") !=
        std::string::npos);
}

TEST_CASE("the rules API writes Prometheus's JSON") {
  Fixture f;
  REQUIRE(f.manager
              ->Update({OneGroup("g", absl::Seconds(10),
                                 {Record("one", "vector(1)", {{"team", "a"}}),
                                  Alert("Always", "vector(1)", absl::Minutes(5))})},
                       absl::Minutes(1))
              .ok());
  std::string before;
  {
    json::JsonWriter w(&before);
    WriteRulesData(w, f.manager->Groups(), RuleTypeFilter::kRecording);
  }
  CHECK(before ==
        "{\"groups\":[{\"name\":\"g\",\"file\":\"rules.yml\",\"rules\":[{\"name\":\"one\",\"query\":\"vector(1)\","
        "\"labels\":{\"team\":\"a\"},\"health\":\"unknown\",\"evaluationTime\":0,"
        "\"lastEvaluation\":\"0001-01-01T00:00:00Z\",\"type\":\"recording\"}],\"interval\":10,\"limit\":0,"
        "\"evaluationTime\":0,\"lastEvaluation\":\"0001-01-01T00:00:00Z\"}]}");
  const absl::Time t = f.Step();
  std::string alerts;
  {
    json::JsonWriter w(&alerts);
    WriteAlertsData(w, f.manager->Groups());
  }
  CHECK(alerts == "{\"alerts\":[{\"labels\":{\"alertname\":\"Always\"},\"annotations\":{},\"state\":\"pending\","
                  "\"activeAt\":\"" +
                      common::FormatRfc3339Nano(t) + "\",\"value\":\"1e+00\"}]}");
  CHECK(FormatAlertValue(0.25) == "2.5e-01");
  CHECK(FormatAlertValue(-1234.5) == "-1.2345e+03");
  CHECK(FormatAlertValue(std::nan("")) == "NaN");
}

}  // namespace
}  // namespace omni::rules
