// Rule groups and the manager that evaluates them on schedule (Prometheus
// 2.42's rules.Group and rules.Manager).
//
// Each group is evaluated every `interval` at timestamps aligned to a
// per-group offset (a hash of file and name, as Prometheus does, so that
// groups spread over the interval and the same group lands on the same
// second after a restart). An evaluation runs the group's rules in order,
// appends what they return to the storage in one batch, writes stale markers
// for series a rule returned last time but not this time, and hands the
// alerts that need sending to `notify`.
//
// Example (the alerter):
//   RuleManager m(RuleManagerOptions{.query = EngineQueryFunc(engine, remote),
//                                    .appendable = &remote_writer,
//                                    .notify = [&](std::vector<alerting::Alert> a) { PutAlerts(a); }});
//   OMNI_RETURN_IF_ERROR(m.Update(files, absl::Minutes(1)));   // starts the evaluation threads
//   ...
//   m.Stop();
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/alerting/types/types.h"
#include "libs/common/clock.h"
#include "libs/common/thread_pool.h"
#include "libs/promql/engine.h"
#include "libs/rules/rule.h"
#include "libs/rules/rule_file.h"
#include "libs/selfmetrics/registry.h"
#include "libs/storage/storage.h"

namespace omni::rules {

// Receives the alerts to send after each evaluation of an alerting rule,
// external labels already added.
using NotifyFunc = std::function<void(std::vector<alerting::Alert>)>;

struct RuleManagerOptions {
  QueryFunc query;
  storage::Appendable* appendable = nullptr;  // where recorded series and ALERTS go
  NotifyFunc notify;
  // Added to sent alerts (unless the alert has the label) and visible in templates.
  model::Labels external_labels;
  std::string external_url;
  // Minimum time between two sends of an unchanged firing alert (--rules.alert.resend-delay).
  absl::Duration resend_delay = absl::Minutes(1);
  // Where ALERTS_FOR_STATE is read back after a start, so that a restart
  // does not reset the `for` of pending alerts (Prometheus's for-state
  // restore, done after a group's second evaluation); null: no restore.
  storage::Queryable* for_state_queryable = nullptr;
  // --rules.alert.for-outage-tolerance and --rules.alert.for-grace-period.
  absl::Duration for_outage_tolerance = absl::Hours(1);
  absl::Duration for_grace_period = absl::Minutes(10);
  // Groups evaluated at once; more wait (and count as missed if a whole interval passes).
  int max_concurrent_groups = 4;
  // False: nothing runs by itself; the caller drives evaluations with
  // RunDue (tests with a FakeClock).
  bool start_scheduler = true;
  common::Clock* clock = &common::Clock::Real();
  selfmetrics::Registry* metrics = nullptr;  // prometheus_rule_* metrics when set
};

// What /api/v1/rules shows of a rule: plain values taken at one moment, so
// they can cross gRPC (the viewer serves the alerter's rules too).
struct RuleSnapshot {
  bool alerting = false;
  std::string name;
  std::string query;  // Prometheus's printed form of the expression
  absl::Duration for_duration = absl::ZeroDuration();
  absl::Duration keep_firing_for = absl::ZeroDuration();
  std::vector<model::Label> labels;  // as written
  std::vector<std::pair<std::string, std::string>> annotations;
  RuleStatus status;
  // Alerting rules: the highest state, and the pending and firing alerts
  // (resolved ones still being re-sent are not listed, as in Prometheus).
  AlertState state = AlertState::kInactive;
  std::vector<ActiveAlert> alerts;
};

// What /api/v1/rules shows of a group.
struct GroupSnapshot {
  std::string name;
  std::string file;
  absl::Duration interval;
  int64_t limit = 0;
  absl::Time last_evaluation = absl::InfinitePast();
  absl::Duration evaluation_time = absl::ZeroDuration();
  std::vector<RuleSnapshot> rules;
};

// The snapshot of one rule.
RuleSnapshot SnapshotRule(const Rule& rule);

class RuleGroup;

class RuleManager {
 public:
  explicit RuleManager(RuleManagerOptions options);
  ~RuleManager();
  RuleManager(const RuleManager&) = delete;
  RuleManager& operator=(const RuleManager&) = delete;

  // Replaces the groups with those of `files`. A group with the same file and
  // name as before keeps its alerts and its series from the last evaluation
  // (so nothing fires again or goes stale); series of removed groups and
  // rules are marked stale at the next evaluation time. Groups without an
  // interval use `default_interval`. Starts the scheduler on first use.
  absl::Status Update(const std::vector<RuleFile>& files, absl::Duration default_interval);

  // Stops evaluating; waits for running evaluations. Series are not marked
  // stale (a restart resumes them), as Prometheus does on shutdown.
  void Stop();

  // Groups sorted by file, then by name (as Prometheus lists them).
  std::vector<GroupSnapshot> Groups() const;

  // Evaluates, on the calling thread, every group due at `now` (and marks
  // the series of removed groups stale); returns the earliest next due time.
  // Only with start_scheduler = false.
  absl::Time RunDue(absl::Time now);

 private:
  // Groups to evaluate now, each with its evaluation timestamp; marks them running.
  struct DueGroup {
    std::shared_ptr<RuleGroup> group;
    absl::Time ts;
  };
  std::vector<DueGroup> TakeDue(absl::Time now, absl::Time* next);  // REQUIRES(mu_)
  void Evaluate(const DueGroup& due);
  void SchedulerLoop();

  RuleManagerOptions options_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<RuleGroup>> groups_;          // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<RuleGroup>> retired_groups_;  // to mark stale; GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  bool loaded_once_ = false;  // the first Update restores `for` state; GUARDED_BY(mu_)
  int running_ = 0;        // evaluations in flight; GUARDED_BY(mu_)
  std::thread scheduler_;
  std::unique_ptr<common::ThreadPool> pool_;
};

}  // namespace omni::rules
