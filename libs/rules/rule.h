// Recording and alerting rules: one evaluation of one rule, with the
// semantics of Prometheus 2.42's rules package (pkg rules, AlertingRule and
// RecordingRule). Scheduling, writing the returned samples and staleness
// belong to the group (group.h).
//
// Example (what a group does every interval):
//   EvalContext ctx{.ts = now, .query = query_fn};
//   absl::StatusOr<promql::Vector> out = rule->Eval(ctx);   // samples to append
//   if (auto* ar = dynamic_cast<AlertingRule*>(rule)) notify(ar->AlertsToSend(now, resend, interval));
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/alerting/types/types.h"
#include "libs/model/labels.h"
#include "libs/model/sample.h"
#include "libs/promql/engine.h"
#include "libs/promql/value.h"
#include "libs/rules/rule_file.h"

namespace omni::rules {

// Runs the rule's expression as an instant query at `ts`. A scalar result
// comes back as one sample without labels; a string or range result is the
// error "rule result is not a vector or scalar" (Prometheus's EngineQueryFunc).
using QueryFunc = std::function<absl::StatusOr<promql::Vector>(const promql::Expr& expr, absl::Time ts)>;

// Prometheus's EngineQueryFunc: a QueryFunc running instant queries with
// `engine` over `storage` (both must outlive the function).
QueryFunc EngineQueryFunc(const promql::Engine& engine, storage::Queryable& storage);

struct EvalContext {
  absl::Time ts;
  QueryFunc query;
  // Series (recording) or active alerts (alerting) a rule may produce; 0 = no limit.
  int64_t limit = 0;
  // $externalLabels and $externalURL in templates.
  model::Labels external_labels;
  std::string external_url;
};

enum class RuleHealth { kUnknown, kGood, kBad };
// "unknown", "ok", "err" as in the /api/v1/rules JSON.
const char* RuleHealthString(RuleHealth h);

enum class AlertState { kInactive, kPending, kFiring };
// "inactive", "pending", "firing".
const char* AlertStateString(AlertState s);

// What the group records about a rule's last evaluation. Thread-safe to read
// while the group evaluates.
struct RuleStatus {
  RuleHealth health = RuleHealth::kUnknown;
  std::string last_error;
  absl::Time last_evaluation = absl::InfinitePast();  // InfinitePast: never
  absl::Duration evaluation_time = absl::ZeroDuration();
};

class Rule {
 public:
  explicit Rule(RuleSpec spec) : spec_(std::move(spec)) {}
  virtual ~Rule() = default;
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;

  const RuleSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name(); }
  // The expression as Prometheus prints it (Expr.String()), used in the API
  // and in alert generator URLs.
  const std::string& query() const;

  // Evaluates the rule at ctx.ts and returns the samples to append (the
  // recorded series, or ALERTS / ALERTS_FOR_STATE). Errors are Prometheus's
  // texts (duplicate label sets, "exceeded limit of N with M series", query errors).
  virtual absl::StatusOr<promql::Vector> Eval(const EvalContext& ctx) = 0;

  RuleStatus status() const;
  void SetStatus(RuleStatus s);

 protected:
  RuleSpec spec_;
  mutable std::mutex status_mu_;
  RuleStatus status_;  // GUARDED_BY(status_mu_)
  mutable std::string query_;  // lazily ExprToString(*spec_.expr)
  mutable std::once_flag query_once_;
};

class RecordingRule final : public Rule {
 public:
  explicit RecordingRule(RuleSpec spec) : Rule(std::move(spec)) {}
  absl::StatusOr<promql::Vector> Eval(const EvalContext& ctx) override;
};

// One alert of an alerting rule (Prometheus's rules.Alert).
struct ActiveAlert {
  AlertState state = AlertState::kInactive;
  model::Labels labels;  // alert labels incl. alertname, without __name__
  std::vector<std::pair<std::string, std::string>> annotations;  // sorted by name
  double value = 0;
  absl::Time active_at = absl::InfinitePast();
  absl::Time fired_at = absl::InfinitePast();
  absl::Time resolved_at = absl::InfinitePast();
  absl::Time last_sent_at = absl::InfinitePast();
  absl::Time valid_until = absl::InfinitePast();
  absl::Time keep_firing_since = absl::InfinitePast();
};

class AlertingRule final : public Rule {
 public:
  // How long a resolved alert is still sent to the Alertmanager (Prometheus's resolvedRetention).
  static constexpr absl::Duration kResolvedRetention = absl::Minutes(15);

  explicit AlertingRule(RuleSpec spec) : Rule(std::move(spec)) {}
  absl::StatusOr<promql::Vector> Eval(const EvalContext& ctx) override;

  // Prometheus's sendAlerts: the alerts that need sending at `ts` (not
  // pending; resolved since last sent, or last sent resend_delay ago), marked
  // sent, as Alertmanager alerts: starts_at = fired_at, ends_at = resolved_at
  // or ts + 4 × max(resend_delay, interval), generator_url = external_url +
  // "/graph?g0.expr=<query>&g0.tab=1". Labels are the alert's (external labels
  // are added by the caller, as Prometheus's notifier does).
  std::vector<alerting::Alert> AlertsToSend(absl::Time ts, absl::Duration resend_delay, absl::Duration interval,
                                            std::string_view external_url);

  // Snapshot of the active alerts (pending, firing, and resolved ones kept
  // for kResolvedRetention), sorted by labels. Prometheus's API
  // (AlertingRule.ActiveAlerts) lists only those with resolved_at == InfinitePast().
  std::vector<ActiveAlert> ActiveAlerts() const;
  // The highest state among the active alerts (kInactive when none).
  AlertState State() const;

  // Keeps the alerts of the same rule from before a reload (Prometheus's
  // Group.CopyState for alerting rules).
  void CopyStateFrom(const AlertingRule& old);

  // Prometheus's `restored` flag. Until a rule's `for` state has been
  // restored after a start, Eval computes states but returns no ALERTS /
  // ALERTS_FOR_STATE samples: they would overwrite the state being restored.
  // A new rule counts as restored.
  void SetRestored(bool restored);
  bool restored() const;

  // The last ALERTS_FOR_STATE sample of a series within the outage
  // tolerance, or nullopt.
  using ForStateLookup = std::function<std::optional<model::Sample>(const model::Labels& series)>;
  // Prometheus's RestoreForState for this rule at `ts`: every active alert
  // whose ALERTS_FOR_STATE series was written before the restart gets its
  // active_at back, moved forward by the downtime (so the alert waits its
  // whole `for` again, minus what it had already waited), and at least
  // `grace_period` from `ts` when less than that remained. An alert that had
  // already fired keeps active_at as found. Marks the rule restored. Rules
  // whose `for` is shorter than the grace period are only marked restored.
  void RestoreForState(absl::Time ts, absl::Duration grace_period, const ForStateLookup& last_for_state);

 private:
  // Labels of the ALERTS (with_state) or ALERTS_FOR_STATE series of `a`.
  model::Labels SeriesLabels(const ActiveAlert& a, std::string_view metric, bool with_state) const;

  mutable std::mutex mu_;
  absl::flat_hash_map<uint64_t, ActiveAlert> active_;  // by label hash; GUARDED_BY(mu_)
  bool restored_ = true;                               // GUARDED_BY(mu_)
};

// Creates the rule object for a spec.
std::unique_ptr<Rule> NewRule(RuleSpec spec);

}  // namespace omni::rules
