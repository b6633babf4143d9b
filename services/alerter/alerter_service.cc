#include "services/alerter/alerter_service.h"

#include "absl/strings/str_join.h"
#include "libs/alerting/dispatch/dispatcher.h"
#include "libs/rpc/convert.h"
#include "libs/rules/rules_proto.h"
#include "re2/re2.h"
#include "services/alerter/alerter.h"

namespace omni::alerter {
namespace {

namespace pb = omniscope::v1;
using alerting::Alert;

int64_t ToMs(absl::Time t) { return alerting::IsZeroTime(t) ? 0 : absl::ToUnixMillis(t); }
absl::Time FromMs(int64_t ms) { return ms == 0 ? alerting::kZeroTime : absl::FromUnixMillis(ms); }

// The pairs as sent, empty values included (labels drop them, annotations keep them).
std::vector<model::Label> PairsFromProto(const google::protobuf::RepeatedPtrField<pb::Label>& in) {
  std::vector<model::Label> out;
  out.reserve(in.size());
  for (const pb::Label& l : in) out.push_back({l.name(), l.value()});
  return out;
}

void AnnotationsToProto(const alerting::Annotations& in, google::protobuf::RepeatedPtrField<pb::Label>* out) {
  for (const model::Label& l : in) {
    pb::Label* p = out->Add();
    p->set_name(l.name);
    p->set_value(l.value);
  }
}

absl::StatusOr<alerting::Matcher> MatcherFromProto(const pb::LabelMatcher& m) {
  alerting::MatchType t = alerting::MatchType::kEqual;
  switch (m.type()) {
    case pb::LabelMatcher::NOT_EQUAL: t = alerting::MatchType::kNotEqual; break;
    case pb::LabelMatcher::REGEX_MATCH: t = alerting::MatchType::kRegexp; break;
    case pb::LabelMatcher::REGEX_NO_MATCH: t = alerting::MatchType::kNotRegexp; break;
    default: break;
  }
  return alerting::Matcher::Create(t, m.name(), m.value());
}

void MatcherToProto(const alerting::Matcher& m, pb::LabelMatcher* out) {
  out->set_name(m.name());
  out->set_value(m.value());
  switch (m.type()) {
    case alerting::MatchType::kNotEqual: out->set_type(pb::LabelMatcher::NOT_EQUAL); break;
    case alerting::MatchType::kRegexp: out->set_type(pb::LabelMatcher::REGEX_MATCH); break;
    case alerting::MatchType::kNotRegexp: out->set_type(pb::LabelMatcher::REGEX_NO_MATCH); break;
    default: out->set_type(pb::LabelMatcher::EQUAL); break;
  }
}

void SilenceToProto(const alerting::Silence& s, absl::Time now, pb::Silence* out) {
  out->set_id(s.id);
  for (const auto& m : s.matchers) MatcherToProto(m, out->add_matchers());
  out->set_starts_at_ms(ToMs(s.starts_at));
  out->set_ends_at_ms(ToMs(s.ends_at));
  out->set_updated_at_ms(ToMs(s.updated_at));
  out->set_created_by(s.created_by);
  out->set_comment(s.comment);
  out->set_state(std::string(alerting::SilenceStateString(alerting::GetSilenceState(s, now))));
}

void AlertToProto(const Alert& a, const alerting::AlertStatus& st, const alerting::Route* route,
                  pb::GettableAlert* out) {
  rpc::LabelsToProto(a.labels, out->mutable_alert()->mutable_labels());
  AnnotationsToProto(a.annotations, out->mutable_alert()->mutable_annotations());
  out->mutable_alert()->set_starts_at_ms(ToMs(a.starts_at));
  out->mutable_alert()->set_ends_at_ms(ToMs(a.ends_at));
  out->mutable_alert()->set_generator_url(a.generator_url);
  out->set_fingerprint(alerting::FingerprintString(a.GetFingerprint()));
  out->set_updated_at_ms(ToMs(a.updated_at));
  out->mutable_status()->set_state(std::string(alerting::AlertStateString(st.state)));
  for (const auto& s : st.silenced_by) out->mutable_status()->add_silenced_by(s);
  for (const auto& s : st.inhibited_by) out->mutable_status()->add_inhibited_by(s);
  if (route != nullptr)
    for (const alerting::Route* r : route->Match(a.labels)) out->add_receivers(r->opts().receiver);
}

}  // namespace

grpc::Status AlerterServiceImpl::PushAlerts(grpc::ServerContext*, const pb::PushAlertsRequest* req,
                                            pb::PushAlertsResponse* resp) {
  std::vector<Alert> alerts;
  alerts.reserve(req->alerts_size());
  for (const pb::Alert& in : req->alerts()) {
    Alert a;
    a.labels = model::Labels::FromUnsorted(PairsFromProto(in.labels()));
    a.annotations = alerting::Annotations::FromUnsorted(PairsFromProto(in.annotations()));
    a.starts_at = FromMs(in.starts_at_ms());
    a.ends_at = FromMs(in.ends_at_ms());
    a.generator_url = in.generator_url();
    alerts.push_back(std::move(a));
  }
  const size_t received = alerts.size();
  std::vector<std::string> errs = a_->ReceiveAlerts(std::move(alerts));
  resp->set_accepted(static_cast<int32_t>(received - errs.size()));
  if (!errs.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, absl::StrJoin(errs, "; "));
  return grpc::Status::OK;
}

grpc::Status AlerterServiceImpl::ListAlerts(grpc::ServerContext*, const pb::ListAlertsRequest* req,
                                            pb::ListAlertsResponse* resp) {
  alerting::Matchers ms;
  for (const auto& m : req->matchers()) {
    auto mm = MatcherFromProto(m);
    if (!mm.ok()) return rpc::ToGrpcStatus(mm.status());
    ms.Add(*mm);
  }
  std::unique_ptr<RE2> recv;
  if (!req->receiver_regex().empty()) {
    recv = std::make_unique<RE2>("^(?:" + req->receiver_regex() + ")$");
    if (!recv->ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, recv->error());
  }
  auto cs = a_->CurrentConfig();
  absl::Time now = a_->clock().Now();
  std::vector<Alert> alerts = a_->Alerts();
  alerting::SortAlerts(alerts);
  for (const Alert& a : alerts) {
    if (a.ResolvedAt(now) || !ms.Matches(a.labels)) continue;
    alerting::AlertStatus st = a_->marker().Status(a.GetFingerprint());
    if (req->exclude_unprocessed() && st.state == alerting::AlertState::kUnprocessed) continue;
    if (req->exclude_active() && st.state == alerting::AlertState::kActive) continue;
    if (req->exclude_silenced() && !st.silenced_by.empty()) continue;
    if (req->exclude_inhibited() && !st.inhibited_by.empty()) continue;
    pb::GettableAlert ga;
    AlertToProto(a, st, cs.route.get(), &ga);
    if (recv != nullptr) {
      bool any = false;
      for (const auto& r : ga.receivers()) any |= RE2::FullMatch(r, *recv);
      if (!any) continue;
    }
    *resp->add_alerts() = std::move(ga);
  }
  return grpc::Status::OK;
}

grpc::Status AlerterServiceImpl::ListRules(grpc::ServerContext*, const pb::ListRulesRequest*,
                                           pb::ListRulesResponse* resp) {
  rules::RuleGroupsToProto(a_->RuleGroups(), resp);
  return grpc::Status::OK;
}

grpc::Status AlerterServiceImpl::ListGroups(grpc::ServerContext*, const pb::ListGroupsRequest*,
                                            pb::ListGroupsResponse* resp) {
  auto cs = a_->CurrentConfig();
  for (const auto& g : a_->Groups()) {
    pb::AlertGroup* out = resp->add_groups();
    rpc::LabelsToProto(g.labels, out->mutable_labels());
    out->set_receiver(g.receiver);
    out->set_group_key(g.group_key);
    for (const Alert& a : g.alerts)
      AlertToProto(a, a_->marker().Status(a.GetFingerprint()), cs.route.get(), out->add_alerts());
  }
  return grpc::Status::OK;
}

grpc::Status AlerterServiceImpl::GetSilences(grpc::ServerContext*, const pb::GetSilencesRequest* req,
                                             pb::GetSilencesResponse* resp) {
  alerting::SilenceQuery q;
  for (const auto& id : req->ids()) q.ids.push_back(id);
  absl::Time now = a_->clock().Now();
  for (const auto& s : a_->silences().Query(q)) SilenceToProto(s, now, resp->add_silences());
  return grpc::Status::OK;
}

grpc::Status AlerterServiceImpl::CreateSilence(grpc::ServerContext*, const pb::CreateSilenceRequest* req,
                                               pb::CreateSilenceResponse* resp) {
  const pb::Silence& in = req->silence();
  alerting::Silence s;
  s.id = in.id();
  for (const auto& m : in.matchers()) {
    auto mm = MatcherFromProto(m);
    if (!mm.ok()) return rpc::ToGrpcStatus(mm.status());
    s.matchers.Add(*mm);
  }
  s.starts_at = FromMs(in.starts_at_ms());
  s.ends_at = FromMs(in.ends_at_ms());
  s.created_by = in.created_by();
  s.comment = in.comment();
  if (alerting::IsZeroTime(s.starts_at)) s.starts_at = a_->clock().Now();
  auto id = a_->silences().Set(s);
  if (!id.ok()) return rpc::ToGrpcStatus(id.status());
  resp->set_silence_id(*id);
  return grpc::Status::OK;
}

grpc::Status AlerterServiceImpl::ExpireSilence(grpc::ServerContext*, const pb::ExpireSilenceRequest* req,
                                               pb::ExpireSilenceResponse*) {
  return rpc::ToGrpcStatus(a_->silences().Expire(req->id()));
}

grpc::Status AlerterServiceImpl::Status(grpc::ServerContext*, const pb::StatusRequest*, pb::StatusResponse* resp) {
  auto cs = a_->CurrentConfig();
  resp->set_version("0.1.0");
  resp->set_start_time_ms(absl::ToUnixMillis(a_->start_time()));
  resp->set_config_yaml(cs.config->RedactedYaml());
  for (const auto& r : cs.config->receivers) resp->add_receivers(r.name);
  resp->set_alerts(static_cast<int64_t>(a_->Alerts().size()));
  resp->set_silences(static_cast<int64_t>(a_->silences().Size()));
  return grpc::Status::OK;
}

grpc::Status AlerterServiceImpl::Explain(grpc::ServerContext*, const pb::ExplainRequest* req,
                                         pb::ExplainResponse* resp) {
  model::Labels labels = rpc::LabelsFromProto(req->labels());
  auto cs = a_->CurrentConfig();
  Alert probe;
  probe.labels = labels;
  for (const alerting::Route* r : cs.route->Match(labels)) {
    pb::ExplainRoute* out = resp->add_routes();
    const alerting::RouteOpts& o = r->opts();
    model::Labels gl = alerting::Dispatcher::GroupLabels(probe, *r);
    out->set_route_id(r->ID());
    out->set_receiver(o.receiver);
    out->set_group_key(alerting::Dispatcher::GroupKey(*r, gl));
    rpc::LabelsToProto(gl, out->mutable_group_labels());
    out->set_group_wait_ms(absl::ToInt64Milliseconds(o.group_wait));
    out->set_group_interval_ms(absl::ToInt64Milliseconds(o.group_interval));
    out->set_repeat_interval_ms(absl::ToInt64Milliseconds(o.repeat_interval));
    for (const auto& n : o.mute_time_intervals) out->add_mute_time_intervals(n);
    for (const auto& n : o.active_time_intervals) out->add_active_time_intervals(n);
  }
  alerting::SilenceQuery q;
  q.states = {alerting::SilenceState::kActive};
  q.matches = labels;
  absl::Time now = a_->clock().Now();
  for (const auto& s : a_->silences().Query(q)) SilenceToProto(s, now, resp->add_silences());
  for (const auto& fp : a_->InhibitedBy(labels)) resp->add_inhibited_by(fp);
  resp->set_muted(resp->silences_size() > 0 || resp->inhibited_by_size() > 0);
  return grpc::Status::OK;
}

}  // namespace omni::alerter
