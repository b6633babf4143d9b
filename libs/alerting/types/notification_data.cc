#include "libs/alerting/types/notification_data.h"

namespace omni::alerting {
namespace {

// Keeps the labels of `a` whose value is the same in `b`.
model::Labels Intersect(const model::Labels& a, const model::Labels& b) {
  std::vector<model::Label> out;
  for (const model::Label& l : a) {
    if (b.Has(l.name) && b.Get(l.name) == l.value) out.push_back(l);
  }
  return model::Labels::FromSortedUnchecked(std::move(out));
}

}  // namespace

std::string QuoteMeta(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

NotificationData BuildNotificationData(std::string_view receiver, const model::Labels& group_labels,
                                       const std::vector<Alert>& alerts, absl::Time now,
                                       std::string_view external_url) {
  NotificationData d;
  d.receiver = QuoteMeta(receiver);
  d.group_labels = group_labels;
  d.external_url = std::string(external_url);
  bool any_firing = false;
  for (const Alert& a : alerts) {
    AlertData ad;
    bool resolved = a.ResolvedAt(now);
    any_firing |= !resolved;
    ad.status = resolved ? "resolved" : "firing";
    ad.labels = a.labels;
    ad.annotations = a.annotations;
    ad.starts_at = a.starts_at;
    ad.ends_at = a.ends_at;
    ad.generator_url = a.generator_url;
    ad.fingerprint = FingerprintString(a.GetFingerprint());
    d.alerts.push_back(std::move(ad));
  }
  d.status = any_firing ? "firing" : "resolved";
  if (!alerts.empty()) {
    d.common_labels = alerts[0].labels;
    d.common_annotations = alerts[0].annotations;
    for (size_t i = 1; i < alerts.size(); ++i) {
      d.common_labels = Intersect(d.common_labels, alerts[i].labels);
      d.common_annotations = Annotations::CommonWith(d.common_annotations, alerts[i].annotations);
    }
  }
  return d;
}

std::vector<AlertData> NotificationData::Firing() const {
  std::vector<AlertData> out;
  for (const AlertData& a : alerts) {
    if (a.status == "firing") out.push_back(a);
  }
  return out;
}

std::vector<AlertData> NotificationData::Resolved() const {
  std::vector<AlertData> out;
  for (const AlertData& a : alerts) {
    if (a.status == "resolved") out.push_back(a);
  }
  return out;
}

}  // namespace omni::alerting
