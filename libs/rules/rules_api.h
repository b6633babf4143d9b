// Prometheus's rule endpoints over a RuleManager: GET /api/v1/rules
// (?type=alert|record) and GET /api/v1/alerts, with Prometheus 2.42's JSON
// (field order, durations in seconds, RFC 3339 times, alert values as Go's
// %e), so Grafana's Prometheus data source and scripts read them unchanged.
//
// Example:
//   RegisterRulesApi(&router, [&] { return manager.Groups(); });
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/httpapi/router.h"
#include "libs/json/json_writer.h"
#include "libs/rules/group.h"

namespace omni::rules {

enum class RuleTypeFilter { kAll, kAlerting, kRecording };

// The `data` objects of the two endpoints.
void WriteRulesData(json::JsonWriter& w, const std::vector<GroupSnapshot>& groups, RuleTypeFilter filter);
void WriteAlertsData(json::JsonWriter& w, const std::vector<GroupSnapshot>& groups);

// An alert value as Prometheus prints it (strconv.FormatFloat(v, 'e', -1, 64)).
std::string FormatAlertValue(double v);

// `groups` is called per request; an error is answered with its API error
// type (e.g. Unavailable: 503 "unavailable", when the viewer cannot reach the alerter).
using GroupsFunc = std::function<absl::StatusOr<std::vector<GroupSnapshot>>()>;
void RegisterRulesApi(httpapi::Router* router, GroupsFunc groups);

}  // namespace omni::rules
