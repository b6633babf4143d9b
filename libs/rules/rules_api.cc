#include "libs/rules/rules_api.h"

#include <charconv>
#include <cmath>

#include "libs/common/go_time.h"
#include "libs/httpapi/api.h"

namespace omni::rules {

namespace {

template <typename LabelList>
void WriteLabelsObject(json::JsonWriter& w, const LabelList& labels) {
  w.BeginObject();
  for (const model::Label& l : labels) w.KeyString(l.name, l.value);
  w.EndObject();
}

void WritePairsObject(json::JsonWriter& w, const std::vector<std::pair<std::string, std::string>>& pairs) {
  w.BeginObject();
  for (const auto& [k, v] : pairs) w.KeyString(k, v);
  w.EndObject();
}

// Go's zero time.Time for rules never evaluated.
std::string FormatEvalTime(absl::Time t) {
  return t == absl::InfinitePast() ? "0001-01-01T00:00:00Z" : common::FormatRfc3339Nano(t);
}

void WriteAlert(json::JsonWriter& w, const ActiveAlert& a) {
  w.BeginObject();
  w.Key("labels");
  WriteLabelsObject(w, a.labels);
  w.Key("annotations");
  WritePairsObject(w, a.annotations);
  w.KeyString("state", AlertStateString(a.state));
  if (a.active_at != absl::InfinitePast()) w.KeyString("activeAt", common::FormatRfc3339Nano(a.active_at));
  if (a.keep_firing_since != absl::InfinitePast()) {
    w.KeyString("keepFiringSince", common::FormatRfc3339Nano(a.keep_firing_since));
  }
  w.KeyString("value", FormatAlertValue(a.value));
  w.EndObject();
}

void WriteStatusFields(json::JsonWriter& w, const RuleStatus& st) {
  w.KeyString("health", RuleHealthString(st.health));
  if (!st.last_error.empty()) w.KeyString("lastError", st.last_error);
  w.Key("evaluationTime");
  w.Double(absl::ToDoubleSeconds(st.evaluation_time));
  w.KeyString("lastEvaluation", FormatEvalTime(st.last_evaluation));
}

void WriteRule(json::JsonWriter& w, const RuleSnapshot& rule) {
  w.BeginObject();
  if (rule.alerting) {
    w.KeyString("state", AlertStateString(rule.state));
    w.KeyString("name", rule.name);
    w.KeyString("query", rule.query);
    w.Key("duration");
    w.Double(absl::ToDoubleSeconds(rule.for_duration));
    w.Key("keepFiringFor");
    w.Double(absl::ToDoubleSeconds(rule.keep_firing_for));
    w.Key("labels");
    WriteLabelsObject(w, rule.labels);
    w.Key("annotations");
    WritePairsObject(w, rule.annotations);
    w.Key("alerts");
    w.BeginArray();
    for (const ActiveAlert& a : rule.alerts) WriteAlert(w, a);
    w.EndArray();
    WriteStatusFields(w, rule.status);
    w.KeyString("type", "alerting");
  } else {
    w.KeyString("name", rule.name);
    w.KeyString("query", rule.query);
    if (!rule.labels.empty()) {
      w.Key("labels");
      WriteLabelsObject(w, rule.labels);
    }
    WriteStatusFields(w, rule.status);
    w.KeyString("type", "recording");
  }
  w.EndObject();
}

}  // namespace

std::string FormatAlertValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  return std::string(buf, r.ptr);
}

void WriteRulesData(json::JsonWriter& w, const std::vector<GroupSnapshot>& groups, RuleTypeFilter filter) {
  w.BeginObject();
  w.Key("groups");
  w.BeginArray();
  for (const GroupSnapshot& g : groups) {
    w.BeginObject();
    w.KeyString("name", g.name);
    w.KeyString("file", g.file);
    w.Key("rules");
    w.BeginArray();
    for (const RuleSnapshot& rule : g.rules) {
      if ((filter == RuleTypeFilter::kAlerting && !rule.alerting) ||
          (filter == RuleTypeFilter::kRecording && rule.alerting)) {
        continue;
      }
      WriteRule(w, rule);
    }
    w.EndArray();
    w.Key("interval");
    w.Double(absl::ToDoubleSeconds(g.interval));
    w.KeyInt("limit", g.limit);
    w.Key("evaluationTime");
    w.Double(absl::ToDoubleSeconds(g.evaluation_time));
    w.KeyString("lastEvaluation", FormatEvalTime(g.last_evaluation));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteAlertsData(json::JsonWriter& w, const std::vector<GroupSnapshot>& groups) {
  w.BeginObject();
  w.Key("alerts");
  w.BeginArray();
  for (const GroupSnapshot& g : groups) {
    for (const RuleSnapshot& rule : g.rules) {
      for (const ActiveAlert& a : rule.alerts) WriteAlert(w, a);
    }
  }
  w.EndArray();
  w.EndObject();
}

void RegisterRulesApi(httpapi::Router* router, GroupsFunc groups) {
  router->Get("/api/v1/rules", [groups](httpapi::Request& req, httpapi::Response& resp) {
    const std::string type = req.FormValue("type");
    RuleTypeFilter filter = RuleTypeFilter::kAll;
    if (type == "alert") {
      filter = RuleTypeFilter::kAlerting;
    } else if (type == "record") {
      filter = RuleTypeFilter::kRecording;
    } else if (!type.empty()) {
      return httpapi::WriteApiError(resp, httpapi::ErrorType::kBadData,
                                    "not supported value \"" + type + "\"");
    }
    absl::StatusOr<std::vector<GroupSnapshot>> snapshot = groups();
    if (!snapshot.ok()) return httpapi::WriteApiError(resp, snapshot.status());
    httpapi::WriteApiSuccess(resp, [&](json::JsonWriter& w) { WriteRulesData(w, *snapshot, filter); });
  });
  router->Get("/api/v1/alerts", [groups](httpapi::Request&, httpapi::Response& resp) {
    absl::StatusOr<std::vector<GroupSnapshot>> snapshot = groups();
    if (!snapshot.ok()) return httpapi::WriteApiError(resp, snapshot.status());
    httpapi::WriteApiSuccess(resp, [&](json::JsonWriter& w) { WriteAlertsData(w, *snapshot); });
  });
}

}  // namespace omni::rules
