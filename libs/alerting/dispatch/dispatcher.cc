#include "libs/alerting/dispatch/dispatcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"

namespace omni::alerting {

Dispatcher::Dispatcher(const Route& root, Stage& pipeline, const common::Clock& clock, Options opts)
    : root_(root), pipeline_(pipeline), clock_(clock), opts_(opts) {
  next_maintenance_ = clock_.Now() + opts_.maintenance_interval;
}

std::string Dispatcher::GroupKey(const Route& route, const model::Labels& group_labels) {
  return absl::StrCat(route.Key(), ":", LabelSetString(group_labels));
}

model::Labels Dispatcher::GroupLabels(const Alert& alert, const Route& route) {
  if (route.opts().group_by_all) return alert.labels;
  std::vector<model::Label> out;
  for (const model::Label& l : alert.labels) {
    if (route.opts().group_by.count(l.name)) out.push_back(l);
  }
  return model::Labels::FromSortedUnchecked(std::move(out));
}

Alert Dispatcher::Put(Alert alert) {
  absl::Time now = clock_.Now();
  if (alert.updated_at == kZeroTime) alert.updated_at = now;
  std::lock_guard<std::mutex> lock(mu_);
  Fingerprint fp = alert.GetFingerprint();
  auto existing = alerts_.find(fp);
  if (existing != alerts_.end()) alert = Alert::Merge(existing->second, alert, now);
  alerts_[fp] = alert;
  for (const Route* route : root_.Match(alert.labels)) {
    model::Labels group_labels = GroupLabels(alert, *route);
    // Groups are kept per route node (ID is unique per node) and group labels.
    std::string id = absl::StrCat(route->ID(), "\x01", FingerprintString(LabelsFingerprint(group_labels)));
    auto& ag = groups_[id];
    if (!ag) {
      ag = std::make_unique<AggrGroup>();
      ag->route = route;
      ag->labels = group_labels;
      ag->key = GroupKey(*route, group_labels);
      ag->next = now + route->opts().group_wait;
      OMNI_LOG(kDebug, "dispatcher").Msg("New aggregation group").Kv("group", ag->key);
    }
    ag->alerts[fp] = alert;
    // Flush immediately when the alert's group_wait is already over.
    if (!ag->has_flushed && alert.starts_at + route->opts().group_wait < now) ag->next = now;
  }
  return alert;
}

std::optional<Dispatcher::PendingFlush> Dispatcher::PrepareFlushLocked(const std::string& group_id, absl::Time now) {
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return std::nullopt;
  AggrGroup& ag = *it->second;
  const RouteOpts& o = ag.route->opts();
  PendingFlush f;
  f.group_id = group_id;
  f.ctx.now = now;
  // Notifications get until the next flush (at least 10s), as AM's timeout.
  f.ctx.deadline = now + std::max(o.group_interval, absl::Seconds(10));
  f.ctx.group_key = ag.key;
  f.ctx.group_labels = ag.labels;
  f.ctx.receiver_name = o.receiver;
  f.ctx.repeat_interval = o.repeat_interval;
  f.ctx.mute_time_intervals = o.mute_time_intervals;
  f.ctx.active_time_intervals = o.active_time_intervals;
  // Wait the group interval before flushing again.
  ag.next = now + o.group_interval;
  ag.has_flushed = true;
  if (ag.alerts.empty()) return std::nullopt;
  for (const auto& [fp, a] : ag.alerts) {
    Alert copy = a;
    // Alerts must not resolve as time moves forward during the pipeline.
    if (!copy.ResolvedAt(now)) copy.ends_at = kZeroTime;
    f.batch.push_back(std::move(copy));
  }
  ag.in_flight = true;
  return f;
}

absl::Time Dispatcher::RunFlush(PendingFlush f) {
  // Sorted here, on the flush's thread, not under the lock on the driver's.
  SortAlerts(f.batch);
  // The pipeline takes the batch; what the cleanup below needs is noted first.
  std::vector<std::pair<Fingerprint, absl::Time>> resolved;
  for (const Alert& a : f.batch) {
    if (a.ResolvedAt(f.ctx.now)) resolved.emplace_back(a.GetFingerprint(), a.updated_at);
  }
  const size_t num_alerts = f.batch.size();
  auto result = pipeline_.Exec(f.ctx, std::move(f.batch));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(f.group_id);
  if (it == groups_.end()) return absl::InfiniteFuture();
  AggrGroup& ag = *it->second;
  ag.in_flight = false;
  if (!result.ok()) {
    OMNI_LOG(kError, "dispatcher").Msg("Notify for alerts failed").Kv("group", f.ctx.group_key).Kv("num_alerts", num_alerts).Kv("err", result.status());
    return ag.next;
  }
  // Delete resolved alerts we just notified about, unless they changed meanwhile.
  for (const auto& [fp, updated_at] : resolved) {
    auto cur = ag.alerts.find(fp);
    if (cur != ag.alerts.end() && cur->second.updated_at == updated_at) ag.alerts.erase(cur);
  }
  return ag.next;
}

int Dispatcher::Tick() {
  absl::Time now = clock_.Now();
  std::vector<PendingFlush> flushes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, ag] : groups_) {
      // A group still in its previous flush fires right after it (as AM's timer).
      if (ag->next <= now && !ag->in_flight) {
        if (auto f = PrepareFlushLocked(id, now)) flushes.push_back(*std::move(f));
      }
    }
    if (next_maintenance_ <= now) {
      next_maintenance_ = now + opts_.maintenance_interval;
      for (auto it = groups_.begin(); it != groups_.end();) {
        if (it->second->alerts.empty() && !it->second->in_flight) {
          it = groups_.erase(it);
        } else {
          ++it;
        }
      }
      // The provider's GC: forget alerts that are resolved and in no group.
      absl::flat_hash_map<Fingerprint, bool> in_group;
      for (const auto& [id, ag] : groups_) {
        for (const auto& [fp, a] : ag->alerts) in_group[fp] = true;
      }
      absl::erase_if(alerts_, [&](const auto& kv) {
        bool drop = kv.second.ResolvedAt(now) && !in_group.count(kv.first);
        if (drop && opts_.marker) opts_.marker->Delete(kv.first);
        return drop;
      });
    }
  }
  int n = static_cast<int>(flushes.size());
  for (PendingFlush& f : flushes) {
    if (opts_.executor) {
      opts_.executor([this, f = std::move(f)]() mutable { return RunFlush(std::move(f)); });
    } else {
      RunFlush(std::move(f));
    }
  }
  return n;
}

absl::Time Dispatcher::NextDeadline() const {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time t = next_maintenance_;
  for (const auto& [id, ag] : groups_) {
    if (!ag->in_flight) t = std::min(t, ag->next);
  }
  return t;
}

std::vector<AlertGroupSnapshot> Dispatcher::Groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AlertGroupSnapshot> out;
  for (const auto& [id, ag] : groups_) {
    if (ag->alerts.empty()) continue;  // as AM's API: groups without alerts are not listed
    AlertGroupSnapshot s;
    s.group_key = ag->key;
    s.labels = ag->labels;
    s.route = ag->route;
    s.receiver = ag->route->opts().receiver;
    for (const auto& [fp, a] : ag->alerts) s.alerts.push_back(a);
    SortAlerts(s.alerts);
    s.next_flush = ag->next;
    s.has_flushed = ag->has_flushed;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const AlertGroupSnapshot& a, const AlertGroupSnapshot& b) { return a.group_key < b.group_key; });
  return out;
}

std::vector<Alert> Dispatcher::Alerts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Alert> out;
  for (const auto& [fp, a] : alerts_) out.push_back(a);
  SortAlerts(out);
  return out;
}

}  // namespace omni::alerting
