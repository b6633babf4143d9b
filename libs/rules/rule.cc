// Recording and alerting rule evaluation with Prometheus 2.42's semantics
// (rules/recording.go, rules/alerting.go, and the notifier conversion of
// cmd/prometheus/main.go's sendAlerts).
#include "libs/rules/rule.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/logging.h"
#include "libs/promql/parser.h"
#include "libs/template/prometheus.h"

namespace omni::rules {
namespace {

constexpr std::string_view kAlertMetricName = "ALERTS";
constexpr std::string_view kAlertForStateMetricName = "ALERTS_FOR_STATE";
constexpr std::string_view kAlertNameLabel = "alertname";
constexpr std::string_view kAlertStateLabel = "alertstate";

std::map<std::string, std::string> LabelsMap(const model::Labels& labels) {
  std::map<std::string, std::string> m;
  for (const model::Label& l : labels) m.emplace(l.name, l.value);
  return m;
}

bool ByLabels(const ActiveAlert& a, const ActiveAlert& b) { return a.labels < b.labels; }

// Alert.needsSending.
bool NeedsSending(const ActiveAlert& a, absl::Time ts, absl::Duration resend_delay) {
  if (a.state == AlertState::kPending) return false;
  // Resolved since it was last sent: send the resolution.
  if (a.resolved_at > a.last_sent_at) return true;
  return a.last_sent_at + resend_delay < ts;
}

}  // namespace

QueryFunc EngineQueryFunc(const promql::Engine& engine, storage::Queryable& storage) {
  return [&engine, &storage](const promql::Expr& expr, absl::Time ts) -> absl::StatusOr<promql::Vector> {
    promql::QueryContext qctx;
    absl::StatusOr<promql::QueryResult> r = engine.InstantQueryExpr(storage, expr, absl::ToUnixMillis(ts), qctx);
    if (!r.ok()) return r.status();
    switch (r->value.type) {
      case promql::ValueType::kVector:
        return std::move(r->value.vector);
      case promql::ValueType::kScalar:
        return promql::Vector{promql::VectorSample{model::Labels(), r->value.scalar.t, r->value.scalar.v}};
      default:
        return absl::FailedPreconditionError("rule result is not a vector or scalar");
    }
  };
}

const char* RuleHealthString(RuleHealth h) {
  switch (h) {
    case RuleHealth::kGood:
      return "ok";
    case RuleHealth::kBad:
      return "err";
    case RuleHealth::kUnknown:
      break;
  }
  return "unknown";
}

const char* AlertStateString(AlertState s) {
  switch (s) {
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kInactive:
      break;
  }
  return "inactive";
}

const std::string& Rule::query() const {
  std::call_once(query_once_, [this] { query_ = spec_.expr ? promql::ExprToString(*spec_.expr) : spec_.expr_text; });
  return query_;
}

RuleStatus Rule::status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

void Rule::SetStatus(RuleStatus s) {
  std::lock_guard<std::mutex> lock(status_mu_);
  status_ = std::move(s);
}

absl::StatusOr<promql::Vector> RecordingRule::Eval(const EvalContext& ctx) {
  if (!spec_.expr) return absl::FailedPreconditionError("rule has no parsed expression");
  absl::StatusOr<promql::Vector> res = ctx.query(*spec_.expr, ctx.ts);
  if (!res.ok()) return res.status();
  promql::Vector vec = *std::move(res);

  const model::Timestamp t = absl::ToUnixMillis(ctx.ts);
  model::LabelsBuilder lb;
  absl::flat_hash_set<uint64_t> seen;
  seen.reserve(vec.size());
  bool duplicate = false;
  for (promql::VectorSample& s : vec) {
    lb.Reset(s.metric);
    lb.Set(model::kMetricName, spec_.record);
    for (const model::Label& l : spec_.labels) lb.Set(l.name, l.value);
    s.metric = lb.Build();
    s.t = t;
    if (!seen.insert(s.metric.Hash()).second) duplicate = true;
  }
  if (duplicate) {
    return absl::FailedPreconditionError("vector contains metrics with the same labelset after applying rule labels");
  }
  if (ctx.limit > 0 && static_cast<int64_t>(vec.size()) > ctx.limit) {
    return absl::FailedPreconditionError(
        absl::StrFormat("exceeded limit of %d with %d series", ctx.limit, vec.size()));
  }
  return vec;
}

absl::StatusOr<promql::Vector> AlertingRule::Eval(const EvalContext& ctx) {
  if (!spec_.expr) return absl::FailedPreconditionError("rule has no parsed expression");
  absl::StatusOr<promql::Vector> res = ctx.query(*spec_.expr, ctx.ts);
  if (!res.ok()) return res.status();

  // Templates see the sample's labels, its value and the external labels/URL;
  // `query` runs an instant query at the evaluation time. Most rules have
  // nothing to expand, so the template machinery is set up only when needed.
  const bool templated = !spec_.labels.empty() || !spec_.annotations.empty();
  std::optional<tmpl::prometheus::Expander> expander;
  tmpl::prometheus::ExpanderData data;
  if (templated) {
    tmpl::prometheus::FuncOptions fopts;
    fopts.external_url = ctx.external_url;
    fopts.query = [&ctx](std::string_view q) -> absl::StatusOr<std::vector<tmpl::prometheus::QuerySample>> {
      absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(q);
      if (!e.ok()) return e.status();
      absl::StatusOr<promql::Vector> v = ctx.query(**e, ctx.ts);
      if (!v.ok()) return v.status();
      std::vector<tmpl::prometheus::QuerySample> out;
      out.reserve(v->size());
      for (const promql::VectorSample& s : *v) out.push_back({LabelsMap(s.metric), s.v});
      return out;
    };
    expander.emplace(tmpl::prometheus::PrometheusFuncs(fopts), "__alert_" + spec_.alert);
    data.external_labels = LabelsMap(ctx.external_labels);
    data.external_url = ctx.external_url;
  }
  auto expand = [&](const std::string& text) {
    absl::StatusOr<std::string> r = expander->Expand(text, data);
    if (r.ok()) return *std::move(r);
    OMNI_LOG(kWarn, "rules").Msg("Expanding alert template failed").Kv("alert", spec_.alert).Kv("err", r.status());
    return absl::StrCat("<error expanding template: ", r.status().message(), ">");
  };

  // The alerts of this evaluation, by hash of their label set, in result order.
  std::vector<std::pair<uint64_t, ActiveAlert>> current;
  absl::flat_hash_set<uint64_t> current_fps;
  current.reserve(res->size());
  model::LabelsBuilder lb;
  for (const promql::VectorSample& s : *res) {
    if (templated) {
      // As in Prometheus, $labels includes __name__ when the result has one.
      data.labels = LabelsMap(s.metric);
      data.value = s.v;
    }

    lb.Reset(s.metric);
    lb.Del(model::kMetricName);
    for (const model::Label& l : spec_.labels) lb.Set(l.name, expand(l.value));
    lb.Set(kAlertNameLabel, spec_.alert);

    ActiveAlert a;
    a.annotations.reserve(spec_.annotations.size());
    for (const auto& [name, text] : spec_.annotations) a.annotations.emplace_back(name, expand(text));
    a.labels = lb.Build();
    a.state = AlertState::kPending;
    a.active_at = ctx.ts;
    a.value = s.v;
    const uint64_t h = a.labels.Hash();
    if (!current_fps.insert(h).second) {
      return absl::FailedPreconditionError(
          "vector contains metrics with the same labelset after applying alert labels");
    }
    current.emplace_back(h, std::move(a));
  }

  const model::Timestamp t = absl::ToUnixMillis(ctx.ts);
  auto series = [&](const ActiveAlert& a, std::string_view metric, bool with_state, double v) {
    return promql::VectorSample{SeriesLabels(a, metric, with_state), t, v};
  };

  promql::Vector out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [h, a] : current) {
    auto it = active_.find(h);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    // New, or a resolved alert that came back: start over as pending.
    active_[h] = std::move(a);
  }

  int64_t num_active = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    ActiveAlert& a = it->second;
    if (!current_fps.contains(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && spec_.keep_firing_for > absl::ZeroDuration()) {
        if (a.keep_firing_since == absl::InfinitePast()) a.keep_firing_since = ctx.ts;
        keep_firing = ctx.ts - a.keep_firing_since < spec_.keep_firing_for;
      }
      if (a.state == AlertState::kPending ||
          (a.resolved_at != absl::InfinitePast() && ctx.ts - a.resolved_at > kResolvedRetention)) {
        active_.erase(it++);
        continue;
      }
      if (!keep_firing) {
        if (a.state != AlertState::kInactive) {
          a.state = AlertState::kInactive;
          a.resolved_at = ctx.ts;
        }
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since = absl::InfinitePast();
    }
    ++num_active;
    if (a.state == AlertState::kPending && ctx.ts - a.active_at >= spec_.for_duration) {
      a.state = AlertState::kFiring;
      a.fired_at = ctx.ts;
    }
    if (restored_) {
      out.push_back(series(a, kAlertMetricName, true, 1));
      out.push_back(
          series(a, kAlertForStateMetricName, false, static_cast<double>(absl::ToUnixSeconds(a.active_at))));
    }
    ++it;
  }

  if (ctx.limit > 0 && num_active > ctx.limit) {
    active_.clear();
    return absl::FailedPreconditionError(
        absl::StrFormat("exceeded limit of %d with %d alerts", ctx.limit, num_active));
  }
  std::sort(out.begin(), out.end(),
            [](const promql::VectorSample& x, const promql::VectorSample& y) { return x.metric < y.metric; });
  return out;
}

model::Labels AlertingRule::SeriesLabels(const ActiveAlert& a, std::string_view metric, bool with_state) const {
  // Prometheus starts from the rule's unexpanded labels, then applies the alert's.
  model::LabelsBuilder b(model::Labels::FromUnsorted(spec_.labels));
  for (const model::Label& l : a.labels) b.Set(l.name, l.value);
  b.Set(model::kMetricName, metric);
  b.Set(kAlertNameLabel, spec_.alert);
  if (with_state) b.Set(kAlertStateLabel, AlertStateString(a.state));
  return b.Build();
}

void AlertingRule::SetRestored(bool restored) {
  std::lock_guard<std::mutex> lock(mu_);
  restored_ = restored;
}

bool AlertingRule::restored() const {
  std::lock_guard<std::mutex> lock(mu_);
  return restored_;
}

void AlertingRule::RestoreForState(absl::Time ts, absl::Duration grace_period, const ForStateLookup& last_for_state) {
  const absl::Duration hold = spec_.for_duration;
  std::lock_guard<std::mutex> lock(mu_);
  restored_ = true;
  // With a `for` shorter than the grace period, waiting it out again is the shorter wait.
  if (hold < grace_period) return;
  for (auto& [h, a] : active_) {
    std::optional<model::Sample> last = last_for_state(SeriesLabels(a, kAlertForStateMetricName, false));
    if (!last.has_value() || model::IsStaleNaN(last->v)) continue;  // not active before the restart
    // Whole seconds, as Prometheus (it writes and reads Unix seconds).
    const absl::Time down_at = absl::FromUnixSeconds(last->t / 1000);
    absl::Time restored_active_at = absl::FromUnixSeconds(static_cast<int64_t>(last->v));
    const absl::Duration remaining = hold - (down_at - restored_active_at);
    if (remaining <= absl::ZeroDuration()) {
      // It was firing at the restart: the next evaluation fires it again if it still holds.
    } else if (remaining < grace_period) {
      restored_active_at = ts + grace_period - hold;
    } else {
      restored_active_at += ts - down_at;
    }
    a.active_at = restored_active_at;
  }
}

std::vector<alerting::Alert> AlertingRule::AlertsToSend(absl::Time ts, absl::Duration resend_delay,
                                                        absl::Duration interval, std::string_view external_url) {
  std::vector<ActiveAlert> to_send;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [h, a] : active_) {
      if (!NeedsSending(a, ts, resend_delay)) continue;
      a.last_sent_at = ts;
      // Valid for four resends, so two failed evaluations or sends do not resolve it.
      a.valid_until = ts + 4 * std::max(interval, resend_delay);
      to_send.push_back(a);
    }
  }
  std::sort(to_send.begin(), to_send.end(), ByLabels);

  const std::string generator_url = std::string(external_url) + tmpl::prometheus::TableLinkForExpression(query());
  std::vector<alerting::Alert> out;
  out.reserve(to_send.size());
  for (ActiveAlert& a : to_send) {
    alerting::Alert n;
    n.labels = std::move(a.labels);
    std::vector<model::Label> anns;
    anns.reserve(a.annotations.size());
    for (auto& [name, value] : a.annotations) anns.push_back({std::move(name), std::move(value)});
    n.annotations = alerting::Annotations::FromUnsorted(std::move(anns));
    n.starts_at = a.fired_at;
    n.ends_at = a.resolved_at != absl::InfinitePast() ? a.resolved_at : a.valid_until;
    n.generator_url = generator_url;
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<ActiveAlert> AlertingRule::ActiveAlerts() const {
  std::vector<ActiveAlert> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.reserve(active_.size());
    for (const auto& [h, a] : active_) out.push_back(a);
  }
  std::sort(out.begin(), out.end(), ByLabels);
  return out;
}

AlertState AlertingRule::State() const {
  std::lock_guard<std::mutex> lock(mu_);
  AlertState max = AlertState::kInactive;
  for (const auto& [h, a] : active_) max = std::max(max, a.state);
  return max;
}

void AlertingRule::CopyStateFrom(const AlertingRule& old) {
  if (&old == this) return;
  std::scoped_lock lock(mu_, old.mu_);
  for (const auto& [h, a] : old.active_) active_[h] = a;
}

std::unique_ptr<Rule> NewRule(RuleSpec spec) {
  if (spec.is_alert()) return std::make_unique<AlertingRule>(std::move(spec));
  return std::make_unique<RecordingRule>(std::move(spec));
}

}  // namespace omni::rules
