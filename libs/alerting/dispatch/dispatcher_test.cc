#include "libs/alerting/dispatch/dispatcher.h"

#include <catch2/catch.hpp>

namespace omni::alerting {
namespace {

using model::Labels;

// Records every notification; can be told to fail.
class RecordingNotifier : public Notifier {
 public:
  absl::Status Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) override {
    if (fail) {
      retry = true;
      return absl::UnavailableError("sink down");
    }
    std::vector<std::string> names;
    for (const Alert& a : alerts) {
      names.push_back(a.labels.Get("instance").empty() ? std::string(a.labels.Get("alertname"))
                                                       : std::string(a.labels.Get("instance")));
      if (a.ResolvedAt(ctx.now)) names.back() += "(resolved)";
    }
    calls.push_back({ctx.now, ctx.group_key, names});
    return absl::OkStatus();
  }
  struct Call {
    absl::Time at;
    std::string group_key;
    std::vector<std::string> alerts;
  };
  std::vector<Call> calls;
  bool fail = false;
};

struct Harness {
  explicit Harness(const char* yaml, bool send_resolved = true) {
    auto cfg = config::LoadConfig(yaml);
    REQUIRE(cfg.ok());
    auto r = Route::Build(*(*cfg)->route);
    REQUIRE(r.ok());
    root = *std::move(r);
    NotificationLog::Options o;
    o.clock = &clock;
    nflog = *NotificationLog::Open(o);
    PipelineBuilder b(nullptr, nullptr, nullptr, nflog.get(), &clock);
    for (const auto& rcv : (*cfg)->receivers) b.AddIntegration(rcv.name, Integration{"webhook", 0, send_resolved, &sink});
    pipeline = b.Build();
    dispatcher = std::make_unique<Dispatcher>(*root, *pipeline, clock);
  }
  Alert MakeAlert(std::string_view instance, absl::Time starts) {
    Alert a;
    a.labels = Labels::FromPairs({{"alertname", "Down"}, {"instance", instance}});
    a.starts_at = starts;
    return a;
  }
  // Advances to `t`, ticking at every deadline on the way (as the daemon's timer would).
  void RunUntil(absl::Time t) {
    while (dispatcher->NextDeadline() <= t) {
      clock.Set(std::max(clock.Now(), dispatcher->NextDeadline()));
      dispatcher->Tick();
    }
    clock.Set(t);
    dispatcher->Tick();
  }
  common::FakeClock clock{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<Route> root;
  std::unique_ptr<NotificationLog> nflog;
  RecordingNotifier sink;
  std::unique_ptr<RoutingStage> pipeline;
  std::unique_ptr<Dispatcher> dispatcher;
};

constexpr char kConfig[] = R"(
route:
  receiver: team
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers: [{name: team}]
)";

TEST_CASE("Group waits group_wait, then group_interval, then repeat_interval", "[alerting][dispatch][unit]") {
  Harness h(kConfig);
  absl::Time t0 = h.clock.Now();
  h.dispatcher->Put(h.MakeAlert("a", t0));
  auto groups = h.dispatcher->Groups();
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].group_key == R"({}:{alertname="Down"})");

  h.RunUntil(t0 + absl::Seconds(29));
  CHECK(h.sink.calls.empty());
  h.RunUntil(t0 + absl::Seconds(30));
  REQUIRE(h.sink.calls.size() == 1);
  CHECK(h.sink.calls[0].alerts == std::vector<std::string>{"a"});

  // A new alert is sent with the next group_interval tick, not earlier.
  h.clock.Set(t0 + absl::Minutes(1));
  h.dispatcher->Put(h.MakeAlert("b", h.clock.Now()));
  h.RunUntil(t0 + absl::Minutes(5) + absl::Seconds(29));
  CHECK(h.sink.calls.size() == 1);
  h.RunUntil(t0 + absl::Minutes(5) + absl::Seconds(30));
  REQUIRE(h.sink.calls.size() == 2);
  CHECK(h.sink.calls[1].alerts == std::vector<std::string>{"a", "b"});

  // Nothing changes: no notification until repeat_interval has passed since the last one.
  absl::Time last = h.sink.calls[1].at;
  h.RunUntil(last + absl::Hours(4) - absl::Seconds(1));
  CHECK(h.sink.calls.size() == 2);
  h.RunUntil(last + absl::Hours(4) + absl::Minutes(5));
  REQUIRE(h.sink.calls.size() == 3);
  CHECK(h.sink.calls[2].at > last + absl::Hours(4));
  CHECK(h.sink.calls[2].at <= last + absl::Hours(4) + absl::Minutes(5));
}

TEST_CASE("Resolved alerts are notified and removed after the flush", "[alerting][dispatch][unit]") {
  Harness h(kConfig, /*send_resolved=*/true);
  absl::Time t0 = h.clock.Now();
  h.dispatcher->Put(h.MakeAlert("a", t0));
  h.dispatcher->Put(h.MakeAlert("b", t0));
  h.RunUntil(t0 + absl::Seconds(30));
  REQUIRE(h.sink.calls.size() == 1);

  h.clock.Set(t0 + absl::Minutes(2));
  Alert resolved = h.MakeAlert("a", t0);
  resolved.ends_at = h.clock.Now();
  h.dispatcher->Put(resolved);
  h.RunUntil(t0 + absl::Minutes(5) + absl::Seconds(30));
  REQUIRE(h.sink.calls.size() == 2);
  CHECK(h.sink.calls[1].alerts == std::vector<std::string>{"a(resolved)", "b"});
  REQUIRE(h.dispatcher->Groups().size() == 1);
  CHECK(h.dispatcher->Groups()[0].alerts.size() == 1);

  // Resolve the last one: the group empties and is removed by maintenance.
  Alert resolved_b = h.MakeAlert("b", t0);
  resolved_b.ends_at = h.clock.Now();
  h.dispatcher->Put(resolved_b);
  h.RunUntil(t0 + absl::Minutes(11));
  REQUIRE(h.sink.calls.size() == 3);
  CHECK(h.sink.calls[2].alerts == std::vector<std::string>{"b(resolved)"});
  CHECK(h.dispatcher->Groups().empty());
}

TEST_CASE("Without send_resolved a partial resolution waits for repeat", "[alerting][dispatch][unit]") {
  Harness h(kConfig, /*send_resolved=*/false);
  absl::Time t0 = h.clock.Now();
  h.dispatcher->Put(h.MakeAlert("a", t0));
  h.dispatcher->Put(h.MakeAlert("b", t0));
  h.RunUntil(t0 + absl::Seconds(30));
  REQUIRE(h.sink.calls.size() == 1);
  Alert resolved = h.MakeAlert("a", t0);
  resolved.ends_at = h.clock.Now();
  h.dispatcher->Put(resolved);
  h.RunUntil(t0 + absl::Minutes(30));
  CHECK(h.sink.calls.size() == 1);
  // All resolved: a final (empty for the receiver) flush clears the log but
  // sends nothing because the integration does not send resolved alerts.
  Alert resolved_b = h.MakeAlert("b", t0);
  resolved_b.ends_at = h.clock.Now();
  h.dispatcher->Put(resolved_b);
  h.RunUntil(t0 + absl::Minutes(40));
  CHECK(h.sink.calls.size() == 1);
  auto entry = h.nflog->Query(R"({}:{alertname="Down"})", NflogReceiver{"team", "webhook", 0});
  REQUIRE(entry);
  CHECK(entry->firing_alerts.empty());
}

TEST_CASE("Old alerts flush immediately; failures keep resolved alerts", "[alerting][dispatch][unit]") {
  Harness h(kConfig);
  absl::Time t0 = h.clock.Now();
  h.dispatcher->Put(h.MakeAlert("old", t0 - absl::Minutes(10)));
  CHECK(h.dispatcher->NextDeadline() == t0);
  h.sink.fail = true;
  h.dispatcher->Tick();
  CHECK(h.sink.calls.empty());
  h.sink.fail = false;
  h.RunUntil(t0 + absl::Minutes(5));
  REQUIRE(h.sink.calls.size() == 1);
  CHECK(h.sink.calls[0].at == t0 + absl::Minutes(5));
}

TEST_CASE("Alerts fan out to every matching route with continue", "[alerting][dispatch][unit]") {
  Harness h(R"(
route:
  receiver: default
  group_by: [alertname]
  routes:
  - matchers: [team="a"]
    receiver: a
    continue: true
  - matchers: [team=~"a|b"]
    receiver: b
    group_by: ['...']
receivers: [{name: default}, {name: a}, {name: b}]
)");
  absl::Time t0 = h.clock.Now();
  Alert x;
  x.labels = Labels::FromPairs({{"alertname", "X"}, {"team", "a"}});
  x.starts_at = t0;
  h.dispatcher->Put(x);
  auto groups = h.dispatcher->Groups();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].group_key == R"({}/{team="a"}:{alertname="X"})");
  CHECK(groups[1].group_key == R"({}/{team=~"a|b"}:{alertname="X", team="a"})");
  h.RunUntil(t0 + absl::Seconds(30));
  CHECK(h.sink.calls.size() == 2);
}

TEST_CASE("Dedup needsUpdate follows Alertmanager", "[alerting][dispatch][dedup][unit]") {
  common::FakeClock clock(absl::FromUnixSeconds(10000));
  NotificationLog::Options o;
  o.clock = &clock;
  auto nflog = *NotificationLog::Open(o);
  DedupStage dedup(*nflog, NflogReceiver{"r", "webhook", 0}, /*send_resolved=*/true, clock);
  using Set = absl::flat_hash_set<uint64_t>;
  CHECK(dedup.NeedsUpdate(nullptr, Set{1}, Set{}, absl::Hours(4)));
  CHECK_FALSE(dedup.NeedsUpdate(nullptr, Set{}, Set{1}, absl::Hours(4)));
  NflogEntry e;
  e.timestamp = clock.Now();
  e.firing_alerts = {1, 2};
  CHECK(dedup.NeedsUpdate(&e, Set{1, 3}, Set{}, absl::Hours(4)));   // new firing alert
  CHECK_FALSE(dedup.NeedsUpdate(&e, Set{1, 2}, Set{}, absl::Hours(4)));
  CHECK(dedup.NeedsUpdate(&e, Set{1}, Set{2}, absl::Hours(4)));      // send_resolved
  CHECK(dedup.NeedsUpdate(&e, Set{}, Set{1, 2}, absl::Hours(4)));    // all resolved
  NflogEntry empty;
  empty.timestamp = clock.Now();
  CHECK_FALSE(dedup.NeedsUpdate(&empty, Set{}, Set{1}, absl::Hours(4)));
  clock.Advance(absl::Hours(4) + absl::Seconds(1));
  CHECK(dedup.NeedsUpdate(&e, Set{1, 2}, Set{}, absl::Hours(4)));    // repeat interval
  DedupStage no_resolved(*nflog, NflogReceiver{"r", "webhook", 0}, false, clock);
  e.timestamp = clock.Now();
  CHECK_FALSE(no_resolved.NeedsUpdate(&e, Set{1}, Set{2}, absl::Hours(4)));
}

}  // namespace
}  // namespace omni::alerting

namespace omni::alerting {
namespace {

class FlakyNotifier : public Notifier {
 public:
  absl::Status Notify(const NotifyContext&, const std::vector<Alert>&, bool& retry) override {
    ++attempts;
    retry = retryable;
    if (failures_left > 0) {
      --failures_left;
      return absl::UnavailableError("503");
    }
    return absl::OkStatus();
  }
  int attempts = 0;
  int failures_left = 0;
  bool retryable = true;
};

class ClockWaiter : public RetryWaiter {
 public:
  explicit ClockWaiter(common::FakeClock& c) : clock(c) {}
  bool Wait(absl::Duration d) override {
    clock.Advance(d);
    waited += d;
    return true;
  }
  common::FakeClock& clock;
  absl::Duration waited;
};

TEST_CASE("RetryStage backs off on the clock until the flush deadline", "[alerting][dispatch][retry][unit]") {
  common::FakeClock clock(absl::FromUnixSeconds(1000));
  ClockWaiter waiter(clock);
  FlakyNotifier n;
  RetryStage stage(Integration{"webhook", 0, true, &n}, &clock, &waiter);
  NotifyContext ctx;
  ctx.now = clock.Now();
  ctx.deadline = clock.Now() + absl::Seconds(10);
  ctx.receiver_name = "team";
  ctx.firing_alerts = {1};
  Alert a;
  a.labels = Labels::FromPairs({{"alertname", "X"}});

  CHECK(RetryBackoff(1) == absl::Milliseconds(500));
  CHECK(RetryBackoff(2) == absl::Milliseconds(750));
  CHECK(RetryBackoff(100) == absl::Seconds(60));

  SECTION("succeeds after transient failures") {
    n.failures_left = 2;
    auto r = stage.Exec(ctx, {a});
    REQUIRE(r.ok());
    CHECK(n.attempts == 3);
    CHECK(waiter.waited == absl::Milliseconds(1250));
  }
  SECTION("permanent errors stop at once") {
    n.failures_left = 5;
    n.retryable = false;
    auto r = stage.Exec(ctx, {a});
    CHECK(n.attempts == 1);
    CHECK(r.status().message() ==
          "team/webhook[0]: notify retry canceled due to unrecoverable error after 1 attempts: 503");
  }
  SECTION("gives up at the deadline") {
    n.failures_left = 1000;
    auto r = stage.Exec(ctx, {a});
    CHECK_FALSE(r.ok());
    CHECK(clock.Now() <= ctx.deadline);
    CHECK(n.attempts == 6);  // waits 0.5+0.75+1.125+1.69+2.53 = 6.6s; the next 3.8s would pass 10s
  }
}

}  // namespace
}  // namespace omni::alerting

namespace omni::alerting {
namespace {

TEST_CASE("Dispatcher executor: a group never flushes concurrently with itself", "[alerting][dispatch][unit]") {
  common::FakeClock clock(absl::FromUnixSeconds(1700000000));
  auto cfg = *config::LoadConfig(R"(
route: {receiver: r, group_by: [alertname], group_wait: 10s, group_interval: 1m}
receivers: [{name: r}]
)");
  auto root = *Route::Build(*cfg->route);
  NotificationLog::Options no;
  no.clock = &clock;
  auto nflog = *NotificationLog::Open(no);
  RecordingNotifier sink;
  PipelineBuilder b(nullptr, nullptr, nullptr, nflog.get(), &clock);
  b.AddIntegration("r", Integration{"webhook", 0, true, &sink});
  auto pipeline = b.Build();
  std::vector<std::function<absl::Time()>> tasks;
  Dispatcher::Options opts;
  opts.executor = [&](std::function<absl::Time()> t) { tasks.push_back(std::move(t)); };
  Dispatcher d(*root, *pipeline, clock, opts);
  Alert a;
  a.labels = Labels::FromPairs({{"alertname", "X"}});
  a.starts_at = clock.Now();
  d.Put(a);
  clock.Advance(absl::Seconds(10));
  CHECK(d.Tick() == 1);
  REQUIRE(tasks.size() == 1);
  clock.Advance(absl::Minutes(1));  // the timer fires while the flush is still running
  CHECK(d.Tick() == 0);
  CHECK(d.NextDeadline() > clock.Now());  // in-flight groups do not spin the timer
  CHECK(tasks[0]() <= clock.Now());       // the task reports the timer that fired
  CHECK(sink.calls.size() == 1);
  CHECK(d.Tick() == 1);  // runs right after the previous flush completed
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[1]() == clock.Now() + absl::Minutes(1));  // next: group_interval after this flush
  CHECK(sink.calls.size() == 1);  // nothing changed: deduplicated
}

}  // namespace
}  // namespace omni::alerting
