// Rule group snapshots to and from omniscope.v1.ListRulesResponse: the
// alerter answers ListRules with them and the viewer serves them as
// Prometheus's /api/v1/rules and /api/v1/alerts.
//
// Example:
//   RuleGroupsToProto(manager.Groups(), &response);            // alerter
//   std::vector<GroupSnapshot> g = RuleGroupsFromProto(response);  // viewer
#pragma once

#include <vector>

#include "libs/rules/group.h"
#include "omniscope/v1/alerter.pb.h"

namespace omni::rules {

void RuleGroupsToProto(const std::vector<GroupSnapshot>& groups, omniscope::v1::ListRulesResponse* out);
std::vector<GroupSnapshot> RuleGroupsFromProto(const omniscope::v1::ListRulesResponse& in);

}  // namespace omni::rules
