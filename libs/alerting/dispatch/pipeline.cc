#include "libs/alerting/dispatch/pipeline.h"

#include "absl/strings/str_cat.h"
#include "libs/common/hash.h"
#include "libs/common/logging.h"

namespace omni::alerting {

absl::StatusOr<std::vector<Alert>> MultiStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  for (const StagePtr& s : stages_) {
    if (alerts.empty()) return alerts;
    auto next = s->Exec(ctx, std::move(alerts));
    if (!next.ok()) return next.status();
    alerts = *std::move(next);
  }
  return alerts;
}

absl::StatusOr<std::vector<Alert>> FanoutStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  absl::Status first_error;
  int errors = 0;
  for (size_t i = 0; i < stages_.size(); ++i) {
    NotifyContext copy = ctx;
    // Each integration gets its own alerts; the last one can take these.
    auto r = i + 1 < stages_.size() ? stages_[i]->Exec(copy, alerts) : stages_[i]->Exec(copy, std::move(alerts));
    if (!r.ok()) {
      if (errors++ == 0) first_error = r.status();
    }
  }
  if (errors > 0) {
    return absl::Status(first_error.code(), absl::StrCat(errors, " error(s) occurred: ", first_error.message()));
  }
  // What passes a fan-out is not used further (the integrations' own
  // stages record what they sent): an empty success.
  return std::vector<Alert>{};
}

absl::StatusOr<std::vector<Alert>> RoutingStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  auto it = stages_.find(ctx.receiver_name);
  if (it == stages_.end()) return absl::NotFoundError(absl::StrCat("stage for receiver missing: ", ctx.receiver_name));
  return it->second->Exec(ctx, std::move(alerts));
}

absl::StatusOr<std::vector<Alert>> MuteStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  std::vector<Alert> out;
  for (Alert& a : alerts) {
    if (!muter_.Mutes(a.labels)) out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<std::vector<Alert>> TimeMuteStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  if (ctx.mute_time_intervals.empty()) return alerts;
  auto muted = iv_.Mutes(ctx.mute_time_intervals, ctx.now);
  if (!muted.ok()) return muted.status();
  if (*muted) return std::vector<Alert>{};
  return alerts;
}

absl::StatusOr<std::vector<Alert>> TimeActiveStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  if (ctx.active_time_intervals.empty()) return alerts;
  auto active = iv_.Mutes(ctx.active_time_intervals, ctx.now);
  if (!active.ok()) return active.status();
  if (!*active) return std::vector<Alert>{};
  return alerts;
}

uint64_t AlertHash(const Alert& a) {
  std::string buf;
  for (const model::Label& l : a.labels) {
    buf += l.name;
    buf.push_back('\xff');
    buf += l.value;
    buf.push_back('\xff');
  }
  return common::Hash64(buf);
}

bool DedupStage::NeedsUpdate(const NflogEntry* entry, const absl::flat_hash_set<uint64_t>& firing,
                             const absl::flat_hash_set<uint64_t>& resolved, absl::Duration repeat) const {
  // Never notified for this group: notify unless there are only resolved alerts.
  if (entry == nullptr) return !firing.empty();
  if (!entry->IsFiringSubset(firing)) return true;
  // All resolved: notify (irrespective of send_resolved, so that the log's
  // firing set is cleared) only when the receiver knew about firing alerts.
  if (firing.empty()) return !entry->firing_alerts.empty();
  if (send_resolved_ && !entry->IsResolvedSubset(resolved)) return true;
  // Nothing changed: only notify once the repeat interval has passed.
  return entry->timestamp < clock_.Now() - repeat;
}

absl::StatusOr<std::vector<Alert>> DedupStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  absl::flat_hash_set<uint64_t> firing_set, resolved_set;
  ctx.firing_alerts.clear();
  ctx.resolved_alerts.clear();
  for (const Alert& a : alerts) {
    uint64_t h = AlertHash(a);
    if (a.ResolvedAt(ctx.now)) {
      ctx.resolved_alerts.push_back(h);
      resolved_set.insert(h);
    } else {
      ctx.firing_alerts.push_back(h);
      firing_set.insert(h);
    }
  }
  std::optional<NflogEntry> entry = nflog_.Query(ctx.group_key, recv_);
  if (NeedsUpdate(entry ? &*entry : nullptr, firing_set, resolved_set, ctx.repeat_interval)) return alerts;
  return std::vector<Alert>{};
}

absl::Duration RetryBackoff(int failed_attempts) {
  absl::Duration d = absl::Milliseconds(500);
  for (int i = 1; i < failed_attempts && d < absl::Seconds(60); ++i) d = d * 1.5;
  return std::min(d, absl::Seconds(60));
}

absl::StatusOr<std::vector<Alert>> RetryStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  // Without send_resolved only the firing alerts go out (a copy); otherwise
  // all of them, as they are.
  std::vector<Alert> firing_only;
  if (!integ_.send_resolved) {
    // Only resolved alerts: report success without sending, so that the
    // nflog still records them for the next dedup decision.
    if (ctx.firing_alerts.empty()) return alerts;
    for (const Alert& a : alerts) {
      if (!a.ResolvedAt(ctx.now)) firing_only.push_back(a);
    }
  }
  const std::vector<Alert>& sent = integ_.send_resolved ? alerts : firing_only;
  const std::string who = absl::StrCat(ctx.receiver_name, "/", integ_.name, "[", integ_.index, "]");
  absl::Status last;
  for (int attempt = 1;; ++attempt) {
    bool retry = false;
    last = integ_.notifier->Notify(ctx, sent, retry);
    if (last.ok()) return alerts;
    if (!retry) {
      return absl::Status(last.code(), absl::StrCat(who, ": notify retry canceled due to unrecoverable error after ",
                                                    attempt, " attempts: ", last.message()));
    }
    absl::Duration wait = RetryBackoff(attempt);
    bool can_retry = waiter_ != nullptr && clock_ != nullptr && clock_->Now() + wait <= ctx.deadline;
    OMNI_LOG(kWarn, "notify")
        .Msg(can_retry ? "Notify attempt failed, will retry later" : "Notify attempt failed")
        .Kv("integration", who)
        .Kv("attempts", attempt)
        .Kv("err", last);
    if (!can_retry || !waiter_->Wait(wait)) {
      return absl::Status(last.code(),
                          absl::StrCat(who, ": notify retry canceled after ", attempt, " attempts: ", last.message()));
    }
  }
}

absl::StatusOr<std::vector<Alert>> SetNotifiesStage::Exec(NotifyContext& ctx, std::vector<Alert> alerts) {
  absl::Status st = nflog_.Log(recv_, ctx.group_key, ctx.firing_alerts, ctx.resolved_alerts);
  if (!st.ok()) return st;
  return alerts;
}

std::unique_ptr<RoutingStage> PipelineBuilder::Build() const {
  auto routing = std::make_unique<RoutingStage>();
  for (const auto& [name, integrations] : receivers_) {
    std::vector<StagePtr> fanout;
    for (const Integration& integ : integrations) {
      NflogReceiver recv{name, integ.name, integ.index};
      std::vector<StagePtr> chain;
      chain.push_back(std::make_unique<DedupStage>(*nflog_, recv, integ.send_resolved, *clock_));
      chain.push_back(std::make_unique<RetryStage>(integ, clock_, waiter_));
      chain.push_back(std::make_unique<SetNotifiesStage>(*nflog_, recv));
      fanout.push_back(std::make_unique<MultiStage>(std::move(chain)));
    }
    std::vector<StagePtr> stages;
    if (inhibitor_) stages.push_back(std::make_unique<MuteStage>(*inhibitor_));
    if (intervener_) {
      stages.push_back(std::make_unique<TimeActiveStage>(*intervener_));
      stages.push_back(std::make_unique<TimeMuteStage>(*intervener_));
    }
    if (silencer_) stages.push_back(std::make_unique<MuteStage>(*silencer_));
    stages.push_back(std::make_unique<FanoutStage>(std::move(fanout)));
    routing->Add(name, std::make_unique<MultiStage>(std::move(stages)));
  }
  return routing;
}

}  // namespace omni::alerting
