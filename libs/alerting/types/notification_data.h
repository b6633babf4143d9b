// The data every notification is rendered from (Alertmanager's
// template.Data): receiver, overall status, alerts with their status and
// fingerprint, group labels, and the labels/annotations common to all alerts.
// Notifiers turn it into the webhook JSON (version 4) or feed it to templates.
//
// Example:
//   NotificationData d = BuildNotificationData(ctx.receiver_name, ctx.group_labels,
//                                              alerts, ctx.now, "http://am:9093");
//   d.status;                 // "firing" when any alert fires, else "resolved"
//   d.common_labels;          // labels equal across all alerts
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/alerting/types/types.h"

namespace omni::alerting {

struct AlertData {
  std::string status;  // "firing" / "resolved"
  model::Labels labels;
  Annotations annotations;
  absl::Time starts_at;
  absl::Time ends_at;  // kZeroTime for firing alerts whose end is unknown
  std::string generator_url;
  std::string fingerprint;  // %016x
};

struct NotificationData {
  // Regex-quoted receiver name, exactly as Alertmanager (regexp.QuoteMeta).
  std::string receiver;
  std::string status;
  std::vector<AlertData> alerts;
  model::Labels group_labels;
  model::Labels common_labels;
  // As AM: a missing annotation counts as "", so an empty value stays common.
  Annotations common_annotations;
  std::string external_url;

  // Alerts with the given status, in order.
  std::vector<AlertData> Firing() const;
  std::vector<AlertData> Resolved() const;
};

// Builds the data for one notification at `now`. Alerts keep their order.
NotificationData BuildNotificationData(std::string_view receiver, const model::Labels& group_labels,
                                       const std::vector<Alert>& alerts, absl::Time now,
                                       std::string_view external_url);

// Go's regexp.QuoteMeta: backslash before each of \.+*?()|[]{}^$
std::string QuoteMeta(std::string_view s);

}  // namespace omni::alerting
