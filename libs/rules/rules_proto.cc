#include "libs/rules/rules_proto.h"

#include <utility>

#include "libs/rpc/convert.h"

namespace omni::rules {
namespace {

namespace pb = omniscope::v1;

int64_t ToNanos(absl::Time t) { return t == absl::InfinitePast() ? 0 : absl::ToUnixNanos(t); }
absl::Time FromNanos(int64_t ns) { return ns == 0 ? absl::InfinitePast() : absl::FromUnixNanos(ns); }

template <typename Pairs>
void PairsToProto(const Pairs& in, google::protobuf::RepeatedPtrField<pb::Label>* out) {
  for (const auto& [name, value] : in) {
    pb::Label* l = out->Add();
    l->set_name(name);
    l->set_value(value);
  }
}

std::vector<std::pair<std::string, std::string>> PairsFromProto(const google::protobuf::RepeatedPtrField<pb::Label>& in) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(in.size());
  for (const pb::Label& l : in) out.emplace_back(l.name(), l.value());
  return out;
}

// Rule labels as written: unlike model::Labels, they may have empty values.
std::vector<model::Label> RuleLabelsFromProto(const google::protobuf::RepeatedPtrField<pb::Label>& in) {
  std::vector<model::Label> out;
  out.reserve(in.size());
  for (const pb::Label& l : in) out.push_back({l.name(), l.value()});
  return out;
}

AlertState StateFromString(const std::string& s) {
  if (s == AlertStateString(AlertState::kFiring)) return AlertState::kFiring;
  if (s == AlertStateString(AlertState::kPending)) return AlertState::kPending;
  return AlertState::kInactive;
}

RuleHealth HealthFromString(const std::string& s) {
  if (s == RuleHealthString(RuleHealth::kGood)) return RuleHealth::kGood;
  if (s == RuleHealthString(RuleHealth::kBad)) return RuleHealth::kBad;
  return RuleHealth::kUnknown;
}

}  // namespace

void RuleGroupsToProto(const std::vector<GroupSnapshot>& groups, pb::ListRulesResponse* out) {
  for (const GroupSnapshot& g : groups) {
    pb::RuleGroup* pg = out->add_groups();
    pg->set_name(g.name);
    pg->set_file(g.file);
    pg->set_interval_ms(absl::ToInt64Milliseconds(g.interval));
    pg->set_limit(g.limit);
    pg->set_last_evaluation_ns(ToNanos(g.last_evaluation));
    pg->set_evaluation_time_ns(absl::ToInt64Nanoseconds(g.evaluation_time));
    for (const RuleSnapshot& r : g.rules) {
      pb::Rule* pr = pg->add_rules();
      pr->set_name(r.name);
      pr->set_query(r.query);
      pr->set_alerting(r.alerting);
      pr->set_for_ms(absl::ToInt64Milliseconds(r.for_duration));
      pr->set_keep_firing_for_ms(absl::ToInt64Milliseconds(r.keep_firing_for));
      PairsToProto(r.labels, pr->mutable_labels());
      PairsToProto(r.annotations, pr->mutable_annotations());
      pr->set_state(AlertStateString(r.state));
      pr->set_health(RuleHealthString(r.status.health));
      pr->set_last_error(r.status.last_error);
      pr->set_last_evaluation_ns(ToNanos(r.status.last_evaluation));
      pr->set_evaluation_time_ns(absl::ToInt64Nanoseconds(r.status.evaluation_time));
      for (const ActiveAlert& a : r.alerts) {
        pb::RuleAlert* pa = pr->add_alerts();
        rpc::LabelsToProto(a.labels, pa->mutable_labels());
        PairsToProto(a.annotations, pa->mutable_annotations());
        pa->set_state(AlertStateString(a.state));
        pa->set_active_at_ns(ToNanos(a.active_at));
        pa->set_keep_firing_since_ns(ToNanos(a.keep_firing_since));
        pa->set_value(a.value);
      }
    }
  }
}

std::vector<GroupSnapshot> RuleGroupsFromProto(const pb::ListRulesResponse& in) {
  std::vector<GroupSnapshot> out;
  out.reserve(in.groups_size());
  for (const pb::RuleGroup& pg : in.groups()) {
    GroupSnapshot g;
    g.name = pg.name();
    g.file = pg.file();
    g.interval = absl::Milliseconds(pg.interval_ms());
    g.limit = pg.limit();
    g.last_evaluation = FromNanos(pg.last_evaluation_ns());
    g.evaluation_time = absl::Nanoseconds(pg.evaluation_time_ns());
    for (const pb::Rule& pr : pg.rules()) {
      RuleSnapshot r;
      r.alerting = pr.alerting();
      r.name = pr.name();
      r.query = pr.query();
      r.for_duration = absl::Milliseconds(pr.for_ms());
      r.keep_firing_for = absl::Milliseconds(pr.keep_firing_for_ms());
      r.labels = RuleLabelsFromProto(pr.labels());
      r.annotations = PairsFromProto(pr.annotations());
      r.state = StateFromString(pr.state());
      r.status.health = HealthFromString(pr.health());
      r.status.last_error = pr.last_error();
      r.status.last_evaluation = FromNanos(pr.last_evaluation_ns());
      r.status.evaluation_time = absl::Nanoseconds(pr.evaluation_time_ns());
      for (const pb::RuleAlert& pa : pr.alerts()) {
        ActiveAlert a;
        a.labels = rpc::LabelsFromProto(pa.labels());
        a.annotations = PairsFromProto(pa.annotations());
        a.state = StateFromString(pa.state());
        a.active_at = FromNanos(pa.active_at_ns());
        a.keep_firing_since = FromNanos(pa.keep_firing_since_ns());
        a.value = pa.value();
        r.alerts.push_back(std::move(a));
      }
      g.rules.push_back(std::move(r));
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace omni::rules
