// Dispatcher: routes alerts into aggregation groups (one per route and
// group-label values) and flushes each group through the notification
// pipeline on Alertmanager 0.25's timers:
//   - a new group flushes after group_wait (immediately when an inserted alert
//     started more than group_wait ago and the group has not flushed yet);
//   - afterwards every group_interval (the timer is reset when it fires);
//   - unchanged groups are re-sent after repeat_interval, which the DedupStage
//     decides with the nflog;
//   - after a successful flush, resolved alerts that were not updated during
//     the flush are removed; empty groups are dropped by the maintenance pass
//     (every 30s), so an alert arriving shortly after keeps the running timer.
// There are no threads or sleeps: the owner calls Tick() whenever the clock
// reaches NextDeadline() (the daemon from a timer thread, tests with FakeClock).
//
// Example:
//   Dispatcher d(*root_route, *pipeline, clock);
//   d.Put(alert);                              // merges with the stored alert
//   clock.Advance(absl::Seconds(30));
//   d.Tick();                                  // group_wait elapsed: flush
//   d.NextDeadline();                          // now + group_interval
//
// Group keys look like AM's: {}/{env="prod"}:{alertname="Down"}.
// Thread-safe: flushes run inline on the Tick() thread, or on
// Options::executor, without the dispatcher lock held during the pipeline, so
// Put() may be called concurrently from other threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "libs/alerting/dispatch/pipeline.h"
#include "libs/alerting/dispatch/route.h"
#include "libs/alerting/types/types.h"
#include "libs/common/clock.h"

namespace omni::alerting {

// A read-only view of one aggregation group (for the API's /alerts/groups).
struct AlertGroupSnapshot {
  std::string group_key;
  model::Labels labels;
  const Route* route = nullptr;
  std::string receiver;
  std::vector<Alert> alerts;  // sorted as AM's AlertSlice
  absl::Time next_flush;
  bool has_flushed = false;
};

class Dispatcher {
 public:
  struct Options {
    absl::Duration maintenance_interval = absl::Seconds(30);
    // When set, statuses of garbage-collected (resolved) alerts are deleted.
    Marker* marker = nullptr;
    // When set, Tick hands each flush to it (e.g. a thread pool) instead of
    // running it inline, so that a slow integration does not delay other
    // groups. A group never flushes concurrently with itself. All submitted
    // tasks must finish before the Dispatcher is destroyed. A task returns
    // when its group's timer fires next (InfiniteFuture: the group is gone),
    // which NextDeadline left out while the flush ran.
    std::function<void(std::function<absl::Time()>)> executor;
  };
  Dispatcher(const Route& root, Stage& pipeline, const common::Clock& clock, Options opts);
  Dispatcher(const Route& root, Stage& pipeline, const common::Clock& clock)
      : Dispatcher(root, pipeline, clock, Options()) {}

  // Accepts a new or updated alert: merges it with the stored alert of the
  // same fingerprint (Alert::Merge; updated_at defaults to now) and inserts
  // it into the group of every matching route. Returns the merged alert,
  // which is what the Inhibitor should be fed (as AM's subscription does).
  Alert Put(Alert alert);
  // Runs every group timer that is due at clock.Now() (each at most once per
  // call) and the maintenance pass when due. Returns the number of flushes
  // started (groups without alerts only reset their timer).
  int Tick();
  // The earliest pending timer (group flush or maintenance). Groups with a
  // flush in flight are skipped: with an executor, call Tick() again by the
  // time a completed flush task returns (its timer may have fired meanwhile).
  absl::Time NextDeadline() const;
  // Snapshot of all non-empty groups, sorted by group key.
  std::vector<AlertGroupSnapshot> Groups() const;
  // The stored (merged) alerts, by fingerprint.
  std::vector<Alert> Alerts() const;

  // "%s:%s" of route key and group labels.
  static std::string GroupKey(const Route& route, const model::Labels& group_labels);
  // The labels of `alert` that the route groups by.
  static model::Labels GroupLabels(const Alert& alert, const Route& route);

 private:
  struct AggrGroup {
    const Route* route;
    model::Labels labels;
    std::string key;
    absl::flat_hash_map<Fingerprint, Alert> alerts;
    absl::Time next;
    bool has_flushed = false;
    bool in_flight = false;  // a flush is running in the pipeline
  };
  struct PendingFlush {
    std::string group_id;
    NotifyContext ctx;
    std::vector<Alert> batch;
  };
  // Resets the group's timer and snapshots its alerts; nullopt when empty.
  // REQUIRES: mu_ held.
  std::optional<PendingFlush> PrepareFlushLocked(const std::string& group_id, absl::Time now);
  // Runs the pipeline (without mu_), then removes notified resolved alerts.
  absl::Time RunFlush(PendingFlush f);  // returns the group's next timer

  const Route& root_;
  Stage& pipeline_;
  const common::Clock& clock_;
  Options opts_;
  mutable std::mutex mu_;
  absl::flat_hash_map<Fingerprint, Alert> alerts_;      // GUARDED_BY(mu_)
  std::map<std::string, std::unique_ptr<AggrGroup>> groups_;  // by route ID + group fp; GUARDED_BY(mu_)
  absl::Time next_maintenance_;
};

}  // namespace omni::alerting
