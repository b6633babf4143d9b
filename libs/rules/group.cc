#include "libs/rules/group.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/model/sample.h"

namespace omni::rules {

namespace {

// FNV-1a, 64 bit: what Prometheus hashes "name;file" with to place a group
// in its interval; the same function keeps our groups on the same offsets.
uint64_t Fnv64a(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Identifies a rule across reloads (Prometheus's nameAndLabels).
std::string RuleKey(const Rule& r) {
  std::string key = absl::StrCat(r.spec().is_alert() ? "alert:" : "record:", r.name());
  for (const model::Label& l : r.spec().labels) absl::StrAppend(&key, "\xff", l.name, "\xff", l.value);
  return key;
}

model::Timestamp ToMillis(absl::Time t) { return absl::ToUnixMillis(t); }

}  // namespace

RuleSnapshot SnapshotRule(const Rule& rule) {
  const RuleSpec& spec = rule.spec();
  RuleSnapshot s;
  s.alerting = spec.is_alert();
  s.name = rule.name();
  s.query = rule.query();
  s.for_duration = spec.for_duration;
  s.keep_firing_for = spec.keep_firing_for;
  s.labels = spec.labels;
  s.annotations = spec.annotations;
  s.status = rule.status();
  if (const auto* ar = dynamic_cast<const AlertingRule*>(&rule); ar != nullptr) {
    s.state = ar->State();
    for (ActiveAlert& a : ar->ActiveAlerts()) {
      if (a.state != AlertState::kInactive) s.alerts.push_back(std::move(a));
    }
  }
  return s;
}

// One group: its rules, the series each rule wrote last time (for stale
// markers), and its schedule. Evaluated by one thread at a time.
class RuleGroup {
 public:
  RuleGroup(std::string file, const RuleGroupSpec& spec, absl::Duration default_interval)
      : file_(std::move(file)),
        name_(spec.name),
        interval_(spec.interval > absl::ZeroDuration() ? spec.interval : default_interval),
        limit_(spec.limit) {
    for (const RuleSpec& r : spec.rules) rules_.push_back(NewRule(r));
    previous_series_.resize(rules_.size());
  }

  std::string Key() const { return absl::StrCat(file_, ";", name_); }
  absl::Duration interval() const { return interval_; }

  // The latest aligned evaluation time not after `now` (Prometheus's EvalTimestamp).
  absl::Time AlignedAtOrBefore(absl::Time now) const {
    const int64_t interval_ns = absl::ToInt64Nanoseconds(interval_);
    const int64_t offset = static_cast<int64_t>(Fnv64a(absl::StrCat(name_, ";", file_)) %
                                                static_cast<uint64_t>(interval_ns));
    const int64_t adjusted = absl::ToUnixNanos(now) - offset;
    int64_t base = adjusted - adjusted % interval_ns;
    if (adjusted % interval_ns < 0) base -= interval_ns;
    return absl::FromUnixNanos(base + offset);
  }

  // Takes over alerts and last-evaluation series from the group it replaces.
  // Series of old rules without a successor are marked stale at the next evaluation.
  // Neither group may be evaluating.
  void CopyState(RuleGroup& old) {
    last_evaluation_ = old.last_evaluation_;
    evaluation_time_ = old.evaluation_time_;
    absl::flat_hash_map<std::string, std::deque<size_t>> old_by_key;
    for (size_t i = 0; i < old.rules_.size(); ++i) old_by_key[RuleKey(*old.rules_[i])].push_back(i);
    std::vector<bool> taken(old.rules_.size(), false);
    for (size_t i = 0; i < rules_.size(); ++i) {
      auto it = old_by_key.find(RuleKey(*rules_[i]));
      if (it == old_by_key.end() || it->second.empty()) continue;
      size_t j = it->second.front();
      it->second.pop_front();
      taken[j] = true;
      previous_series_[i] = std::move(old.previous_series_[j]);
      rules_[i]->SetStatus(old.rules_[j]->status());
      auto* ar = dynamic_cast<AlertingRule*>(rules_[i].get());
      auto* old_ar = dynamic_cast<AlertingRule*>(old.rules_[j].get());
      if (ar != nullptr && old_ar != nullptr) ar->CopyStateFrom(*old_ar);
    }
    for (size_t j = 0; j < old.rules_.size(); ++j) {
      if (taken[j]) continue;
      for (auto& [k, labels] : old.previous_series_[j]) stale_series_.push_back(std::move(labels));
    }
    for (auto& labels : old.stale_series_) stale_series_.push_back(std::move(labels));
  }

  // Restore the `for` state of this group's alerting rules after its second
  // evaluation (Prometheus waits one more evaluation so that recording rules
  // and scrapes have caught up after the start).
  void ScheduleForStateRestore() {
    restore_after_evaluations_ = 2;
    for (auto& r : rules_) {
      if (auto* ar = dynamic_cast<AlertingRule*>(r.get()); ar != nullptr) ar->SetRestored(false);
    }
  }

  // Everything this group wrote last time: to be marked stale because the
  // group is gone. The group may not be evaluating.
  std::vector<model::Labels> TakeAllSeries() {
    std::vector<model::Labels> out = std::move(stale_series_);
    stale_series_.clear();
    for (auto& series : previous_series_) {
      for (auto& [k, labels] : series) out.push_back(std::move(labels));
      series.clear();
    }
    return out;
  }

  struct EvalResult {
    int64_t samples = 0;
    int failures = 0;
    absl::Duration duration;
  };

  // One thread at a time (the scheduler marks the group running).
  EvalResult Eval(absl::Time ts, const RuleManagerOptions& opts) {
    EvalResult result;
    const absl::Time group_start = opts.clock->Now();
    for (size_t i = 0; i < rules_.size(); ++i) {
      Rule& rule = *rules_[i];
      const absl::Time rule_start = opts.clock->Now();
      EvalContext ctx{.ts = ts,
                      .query = opts.query,
                      .limit = limit_,
                      .external_labels = opts.external_labels,
                      .external_url = opts.external_url};
      absl::StatusOr<promql::Vector> out = rule.Eval(ctx);
      RuleStatus status;
      status.last_evaluation = ts;
      if (!out.ok()) {
        ++result.failures;
        status.health = RuleHealth::kBad;
        status.last_error = std::string(out.status().message());
        status.evaluation_time = opts.clock->Now() - rule_start;
        rule.SetStatus(std::move(status));
        OMNI_LOG(kWarn, "rules")
            .Msg("Evaluating rule failed")
            .Kv("group", name_)
            .Kv("file", file_)
            .Kv("rule", rule.name())
            .Kv("err", out.status().message());
        continue;
      }
      if (auto* ar = dynamic_cast<AlertingRule*>(&rule); ar != nullptr && opts.notify) {
        std::vector<alerting::Alert> alerts =
            ar->AlertsToSend(ts, opts.resend_delay, interval_, opts.external_url);
        if (!alerts.empty()) {
          for (alerting::Alert& a : alerts) AddExternalLabels(opts.external_labels, &a.labels);
          opts.notify(std::move(alerts));
        }
      }
      absl::Status written = WriteRuleOutput(i, *out, ts, opts, &result.samples);
      status.health = written.ok() ? RuleHealth::kGood : RuleHealth::kBad;
      if (!written.ok()) {
        ++result.failures;
        status.last_error = absl::StrCat("writing results: ", written.message());
        OMNI_LOG(kWarn, "rules")
            .Msg("Writing rule results failed")
            .Kv("group", name_)
            .Kv("rule", rule.name())
            .Kv("err", written.message());
      }
      status.evaluation_time = opts.clock->Now() - rule_start;
      rule.SetStatus(std::move(status));
    }
    WriteStale(&stale_series_, ts, opts);
    if (restore_after_evaluations_ > 0 && --restore_after_evaluations_ == 0) RestoreForState(opts);
    result.duration = opts.clock->Now() - group_start;
    std::lock_guard<std::mutex> lock(mu_);
    last_evaluation_ = ts;
    evaluation_time_ = result.duration;
    return result;
  }

  void MarkStale(std::vector<model::Labels> series, absl::Time ts, const RuleManagerOptions& opts) {
    WriteStale(&series, ts, opts);
  }

  GroupSnapshot Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    GroupSnapshot s;
    s.name = name_;
    s.file = file_;
    s.interval = interval_;
    s.limit = limit_;
    s.last_evaluation = last_evaluation_;
    s.evaluation_time = evaluation_time_;
    s.rules.reserve(rules_.size());
    for (const auto& r : rules_) s.rules.push_back(SnapshotRule(*r));
    return s;
  }

  size_t rule_count() const { return rules_.size(); }

  // Scheduler state, guarded by the manager's mutex.
  absl::Time next_eval = absl::InfiniteFuture();
  bool running = false;

 private:
  static void AddExternalLabels(const model::Labels& external, model::Labels* labels) {
    if (external.empty()) return;
    model::LabelsBuilder b(*labels);
    bool changed = false;
    for (const model::Label& l : external) {
      if (!labels->Get(l.name).empty()) continue;
      b.Set(l.name, l.value);
      changed = true;
    }
    if (changed) *labels = b.Build();
  }

  // Appends a rule's samples plus stale markers for the series it returned
  // last time but not now, and commits them (later rules of the group may
  // read them, as in Prometheus).
  absl::Status WriteRuleOutput(size_t i, const promql::Vector& out, absl::Time ts, const RuleManagerOptions& opts,
                               int64_t* samples) {
    absl::flat_hash_map<std::string, model::Labels> returned;
    returned.reserve(out.size());
    for (const promql::VectorSample& s : out) returned.emplace(s.metric.ToString(), s.metric);
    std::vector<model::Labels> gone;
    for (auto& [key, labels] : previous_series_[i]) {
      if (!returned.contains(key)) gone.push_back(labels);
    }
    if (opts.appendable == nullptr || (out.empty() && gone.empty())) {
      previous_series_[i] = std::move(returned);
      return absl::OkStatus();
    }
    std::unique_ptr<storage::Appender> app = opts.appendable->NewAppender();
    for (const promql::VectorSample& s : out) {
      absl::StatusOr<storage::SeriesRef> r = app->Append(0, s.metric, s.t, s.v);
      if (!r.ok() && storage::GetAppendError(r.status()) == storage::AppendError::kNone) {
        app->Rollback();
        return r.status();
      }
      if (r.ok()) ++*samples;
    }
    const model::Timestamp ts_ms = ToMillis(ts);
    for (const model::Labels& labels : gone) {
      // Out-of-order or duplicate here means the series already moved on.
      (void)app->Append(0, labels, ts_ms, model::StaleNaN());
    }
    absl::Status committed = app->Commit();
    // Remember what was returned even if the write failed: the next
    // evaluation writes these series again anyway.
    previous_series_[i] = std::move(returned);
    return committed;
  }

  void RestoreForState(const RuleManagerOptions& opts) {
    const absl::Time now = opts.clock->Now();
    storage::SelectHints hints;
    hints.start = ToMillis(now - opts.for_outage_tolerance);
    hints.end = ToMillis(now);
    absl::StatusOr<std::unique_ptr<storage::Querier>> querier =
        opts.for_state_queryable->NewQuerier(hints.start, hints.end);
    if (!querier.ok()) {
      OMNI_LOG(kWarn, "rules").Msg("Restoring alert state failed").Kv("group", name_).Kv("err", querier.status());
    }
    auto lookup = [&](const model::Labels& series) -> std::optional<model::Sample> {
      std::vector<model::Matcher> matchers;
      for (const model::Label& l : series) {
        absl::StatusOr<model::Matcher> m = model::Matcher::Create(model::MatchType::kEqual, l.name, l.value);
        if (m.ok()) matchers.push_back(*std::move(m));
      }
      std::unique_ptr<storage::SeriesSet> set = (*querier)->Select(false, hints, matchers);
      std::optional<model::Sample> last;
      while (set->Next()) {
        if (!(set->At().labels() == series)) continue;
        std::unique_ptr<storage::SampleIterator> it = set->At().Iterator();
        while (it->Next()) last = it->At();
        if (!it->status().ok()) return std::nullopt;
      }
      if (!set->status().ok()) {
        OMNI_LOG(kWarn, "rules").Msg("Restoring alert state failed").Kv("group", name_).Kv("err", set->status());
        return std::nullopt;
      }
      return last;
    };
    for (auto& r : rules_) {
      auto* ar = dynamic_cast<AlertingRule*>(r.get());
      if (ar == nullptr) continue;
      if (!querier.ok()) {
        ar->SetRestored(true);
        continue;
      }
      ar->RestoreForState(now, opts.for_grace_period, lookup);
    }
  }

  void WriteStale(std::vector<model::Labels>* series, absl::Time ts, const RuleManagerOptions& opts) {
    if (series->empty() || opts.appendable == nullptr) {
      series->clear();
      return;
    }
    std::unique_ptr<storage::Appender> app = opts.appendable->NewAppender();
    const model::Timestamp ts_ms = ToMillis(ts);
    for (const model::Labels& labels : *series) (void)app->Append(0, labels, ts_ms, model::StaleNaN());
    absl::Status s = app->Commit();
    if (!s.ok()) {
      OMNI_LOG(kWarn, "rules").Msg("Writing stale markers failed").Kv("group", name_).Kv("err", s.message());
    }
    series->clear();
  }

  const std::string file_;
  const std::string name_;
  const absl::Duration interval_;
  const int64_t limit_;
  std::vector<std::unique_ptr<Rule>> rules_;

  // Touched only by the evaluating thread (or while the group is not running).
  // Per rule: series written at the last successful evaluation, by labels string.
  std::vector<absl::flat_hash_map<std::string, model::Labels>> previous_series_;
  // Series of rules removed by a reload, marked stale at the next evaluation.
  std::vector<model::Labels> stale_series_;
  // Evaluations left before the `for` state is restored (0: nothing to restore).
  int restore_after_evaluations_ = 0;

  mutable std::mutex mu_;  // guards the figures below, read by Snapshot()
  absl::Time last_evaluation_ = absl::InfinitePast();
  absl::Duration evaluation_time_ = absl::ZeroDuration();
};

struct RuleManager::Metrics {
  explicit Metrics(selfmetrics::Registry* r)
      : evaluations(r->AddCounterVec("prometheus_rule_evaluations_total",
                                     "The total number of rule evaluations.", {"rule_group"})),
        failures(r->AddCounterVec("prometheus_rule_evaluation_failures_total",
                                  "The total number of rule evaluation failures.", {"rule_group"})),
        iterations(r->AddCounterVec("prometheus_rule_group_iterations_total",
                                    "The total number of scheduled rule group evaluations, whether executed or "
                                    "missed.",
                                    {"rule_group"})),
        missed(r->AddCounterVec("prometheus_rule_group_iterations_missed_total",
                                "The total number of rule group evaluations missed due to slow rule group "
                                "evaluation.",
                                {"rule_group"})),
        interval(r->AddGaugeVec("prometheus_rule_group_interval_seconds",
                                "The interval of a rule group.", {"rule_group"})),
        last_duration(r->AddGaugeVec("prometheus_rule_group_last_duration_seconds",
                                     "The duration of the last rule group evaluation.", {"rule_group"})),
        last_timestamp(r->AddGaugeVec("prometheus_rule_group_last_evaluation_timestamp_seconds",
                                      "The timestamp of the last rule group evaluation in seconds.",
                                      {"rule_group"})),
        last_samples(r->AddGaugeVec("prometheus_rule_group_last_evaluation_samples",
                                    "The number of samples returned during the last rule group evaluation.",
                                    {"rule_group"})),
        rules(r->AddGaugeVec("prometheus_rule_group_rules", "The number of rules.", {"rule_group"})) {}

  void Forget(const std::string& key) {
    for (auto* vec : {evaluations, failures, iterations, missed}) vec->Remove({key});
    for (auto* vec : {interval, last_duration, last_timestamp, last_samples, rules}) vec->Remove({key});
  }

  selfmetrics::CounterVec* evaluations;
  selfmetrics::CounterVec* failures;
  selfmetrics::CounterVec* iterations;
  selfmetrics::CounterVec* missed;
  selfmetrics::GaugeVec* interval;
  selfmetrics::GaugeVec* last_duration;
  selfmetrics::GaugeVec* last_timestamp;
  selfmetrics::GaugeVec* last_samples;
  selfmetrics::GaugeVec* rules;
};

RuleManager::RuleManager(RuleManagerOptions options) : options_(std::move(options)) {
  if (options_.metrics != nullptr) metrics_ = std::make_unique<Metrics>(options_.metrics);
  if (options_.clock == nullptr) options_.clock = &common::Clock::Real();
}

RuleManager::~RuleManager() { Stop(); }

absl::Status RuleManager::Update(const std::vector<RuleFile>& files, absl::Duration default_interval) {
  if (default_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("rule evaluation interval must be positive");
  }
  std::vector<std::shared_ptr<RuleGroup>> fresh;
  for (const RuleFile& f : files) {
    for (const RuleGroupSpec& g : f.groups) fresh.push_back(std::make_shared<RuleGroup>(f.path, g, default_interval));
  }
  const absl::Time now = options_.clock->Now();
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return absl::FailedPreconditionError("rule manager stopped");
    absl::flat_hash_map<std::string, std::shared_ptr<RuleGroup>> old_by_key;
    for (auto& g : groups_) old_by_key[g->Key()] = g;
    for (auto& g : fresh) {
      auto it = old_by_key.find(g->Key());
      if (it != old_by_key.end()) {
        // Wait for a running evaluation of the old group, so its state is final.
        cv_.wait(lock, [&] { return !it->second->running; });
        g->CopyState(*it->second);
        old_by_key.erase(it);
      } else if (!loaded_once_ && options_.for_state_queryable != nullptr) {
        g->ScheduleForStateRestore();
      }
      g->next_eval = g->AlignedAtOrBefore(now) + g->interval();
      if (metrics_ != nullptr) {
        metrics_->interval->WithLabelValues({g->Key()})->Set(absl::ToDoubleSeconds(g->interval()));
        metrics_->rules->WithLabelValues({g->Key()})->Set(static_cast<double>(g->rule_count()));
      }
    }
    for (auto& [key, g] : old_by_key) {
      retired_groups_.push_back(g);
      if (metrics_ != nullptr) metrics_->Forget(key);
    }
    groups_ = std::move(fresh);
    loaded_once_ = true;
    if (options_.start_scheduler && !scheduler_.joinable()) {
      pool_ = std::make_unique<common::ThreadPool>(
          common::ThreadPool::Options{.max_threads = std::max(1, options_.max_concurrent_groups)});
      scheduler_ = std::thread([this] { SchedulerLoop(); });
    }
  }
  cv_.notify_all();
  return absl::OkStatus();
}

void RuleManager::Stop() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return running_ == 0; });
  lock.unlock();
  pool_.reset();
}

std::vector<GroupSnapshot> RuleManager::Groups() const {
  std::vector<std::shared_ptr<RuleGroup>> groups;
  {
    std::lock_guard<std::mutex> lock(mu_);
    groups = groups_;
  }
  std::vector<GroupSnapshot> out;
  out.reserve(groups.size());
  for (const auto& g : groups) out.push_back(g->Snapshot());
  // Prometheus's order (Manager.RuleGroups): by file, then by group name.
  std::sort(out.begin(), out.end(), [](const GroupSnapshot& a, const GroupSnapshot& b) {
    return a.file != b.file ? a.file < b.file : a.name < b.name;
  });
  return out;
}

std::vector<RuleManager::DueGroup> RuleManager::TakeDue(absl::Time now, absl::Time* next) {
  std::vector<DueGroup> due;
  *next = absl::InfiniteFuture();
  for (auto& g : groups_) {
    if (!g->running && g->next_eval <= now) {
      // Evaluate at the latest slot not after now; slots in between were missed.
      const int64_t behind = (now - g->next_eval) / g->interval();
      const absl::Time ts = g->next_eval + behind * g->interval();
      if (metrics_ != nullptr && behind > 0) {
        metrics_->missed->WithLabelValues({g->Key()})->Add(static_cast<double>(behind));
        metrics_->iterations->WithLabelValues({g->Key()})->Add(static_cast<double>(behind));
      }
      g->next_eval = ts + g->interval();
      g->running = true;
      ++running_;
      due.push_back({g, ts});
    }
    if (!g->running) *next = std::min(*next, g->next_eval);
  }
  // Removed groups: their series go stale now (a group with the same key in
  // the new set took its series over and is not retired). One still
  // evaluating is handled when it has finished.
  for (auto it = retired_groups_.begin(); it != retired_groups_.end();) {
    if ((*it)->running) {
      ++it;
      continue;
    }
    (*it)->running = true;
    ++running_;
    due.push_back({*it, absl::InfinitePast()});
    it = retired_groups_.erase(it);
  }
  return due;
}

void RuleManager::Evaluate(const DueGroup& due) {
  if (due.ts == absl::InfinitePast()) {
    due.group->MarkStale(due.group->TakeAllSeries(), options_.clock->Now(), options_);
  } else {
    RuleGroup::EvalResult r = due.group->Eval(due.ts, options_);
    if (metrics_ != nullptr) {
      const std::string key = due.group->Key();
      metrics_->iterations->WithLabelValues({key})->Inc();
      metrics_->evaluations->WithLabelValues({key})->Add(static_cast<double>(due.group->rule_count()));
      if (r.failures > 0) metrics_->failures->WithLabelValues({key})->Add(r.failures);
      metrics_->last_duration->WithLabelValues({key})->Set(absl::ToDoubleSeconds(r.duration));
      metrics_->last_timestamp->WithLabelValues({key})->Set(absl::ToDoubleSeconds(due.ts - absl::UnixEpoch()));
      metrics_->last_samples->WithLabelValues({key})->Set(static_cast<double>(r.samples));
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    due.group->running = false;
    --running_;
  }
  cv_.notify_all();
}

absl::Time RuleManager::RunDue(absl::Time now) {
  std::vector<DueGroup> due;
  absl::Time next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    due = TakeDue(now, &next);
  }
  for (const DueGroup& d : due) Evaluate(d);
  std::lock_guard<std::mutex> lock(mu_);
  next = absl::InfiniteFuture();
  for (auto& g : groups_) next = std::min(next, g->next_eval);
  return next;
}

void RuleManager::SchedulerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    absl::Time next;
    std::vector<DueGroup> due = TakeDue(options_.clock->Now(), &next);
    for (DueGroup& d : due) {
      pool_->Submit([this, d] { Evaluate(d); });
    }
    if (!due.empty()) continue;  // recompute `next` with the groups now running excluded
    if (next == absl::InfiniteFuture()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, absl::ToChronoTime(next));
    }
  }
}

}  // namespace omni::rules
