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

void RegisterRulesApi(httpapi::Router* router, std::function<std::vector<GroupSnapshot>()> groups);

}  // namespace omni::rules
