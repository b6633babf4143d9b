// Notification integrations (Alertmanager 0.25 notify/{webhook,slack,
// pagerduty,email}) implementing dispatch's Notifier over libcurl, plus the
// per-integration metrics AM exports and a builder that turns a config's
// receivers into pipeline Integrations.
//
// Example:
//   NotifyMetrics metrics(selfmetrics::Registry::Default());
//   OMNI_ASSIGN_OR_RETURN(auto tmpl, tmpl::alertmanager::Template::FromGlobs(cfg->templates));
//   OMNI_ASSIGN_OR_RETURN(Receivers rs, BuildReceivers(*cfg, *tmpl, "http://am:9093", &metrics));
//   for (auto& [name, integrations] : rs.integrations)
//     for (auto& i : integrations) builder.AddIntegration(name, i);
//   // rs.notifiers owns the Notifier objects: keep it alive with the pipeline.
//
// Retry semantics (AM's notify.Retrier): 2xx succeeds; 5xx and 429 and
// network errors are retryable; other statuses (4xx) are permanent.
// Notify() is thread-safe (each call uses its own curl handle).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/alerting/config/config.h"
#include "libs/alerting/dispatch/pipeline.h"
#include "libs/alerting/types/notification_data.h"
#include "libs/selfmetrics/registry.h"
#include "libs/template/alertmanager.h"

namespace omni::alerting::notify {

// alertmanager_notifications_total / _failed_total / _notification_latency_seconds
// by integration; the integration label values are pre-created (as AM).
struct NotifyMetrics {
  explicit NotifyMetrics(selfmetrics::Registry& r);
  selfmetrics::CounterVec* total;
  selfmetrics::CounterVec* failed;
  selfmetrics::HistogramVec* latency;
};

// Result of one HTTP exchange.
struct HttpResult {
  int status = 0;  // 0 on network error
  std::string body;
  std::string error;  // network error text
};
// POSTs `body` to `url` honouring http_config (basic auth, bearer /
// authorization, TLS files, proxy, redirects). Network errors are a result
// with status 0, never a Status error.
HttpResult HttpPost(const config::HttpConfig& hc, const std::string& url, const std::string& content_type,
                    const std::string& body, absl::Duration timeout = absl::Seconds(30));
// Maps an HTTP result to the Notifier contract (retry for 0, 429, 5xx).
absl::Status CheckHttpResult(const HttpResult& r, std::string_view integration, bool& retry);

// The template data (template.Data) for a notification.
tmpl::alertmanager::Data ToTemplateData(const NotificationData& d);
// Go's time.Time JSON / RFC3339Nano form ("0001-01-01T00:00:00Z" for zero).
std::string GoTimeString(absl::Time t);

// AM 0.25 webhook message (version "4") for a flush of `alerts`. Alerts beyond
// max_alerts (0 = all) are dropped and counted in truncatedAlerts; as in AM,
// status, commonLabels and commonAnnotations then describe the sent alerts only.
std::string WebhookPayload(const NotifyContext& ctx, const std::vector<Alert>& alerts, const std::string& external_url,
                           uint64_t max_alerts);

class WebhookNotifier : public Notifier {
 public:
  WebhookNotifier(config::WebhookConfig cfg, std::string external_url, NotifyMetrics* m)
      : cfg_(std::move(cfg)), external_url_(std::move(external_url)), m_(m) {}
  absl::Status Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) override;

 private:
  config::WebhookConfig cfg_;
  std::string external_url_;
  NotifyMetrics* m_;
};

class SlackNotifier : public Notifier {
 public:
  SlackNotifier(config::SlackConfig cfg, const tmpl::alertmanager::Template* t, std::string external_url,
                NotifyMetrics* m)
      : cfg_(std::move(cfg)), tmpl_(t), external_url_(std::move(external_url)), m_(m) {}
  absl::Status Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) override;
  // The JSON body AM posts (exposed for tests).
  absl::StatusOr<std::string> Payload(const NotificationData& d) const;

 private:
  config::SlackConfig cfg_;
  const tmpl::alertmanager::Template* tmpl_;
  std::string external_url_;
  NotifyMetrics* m_;
};

class PagerdutyNotifier : public Notifier {
 public:
  PagerdutyNotifier(config::PagerdutyConfig cfg, const tmpl::alertmanager::Template* t, std::string external_url,
                    NotifyMetrics* m)
      : cfg_(std::move(cfg)), tmpl_(t), external_url_(std::move(external_url)), m_(m) {}
  absl::Status Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) override;
  // Events API v2 body (v1 when service_key is set). dedup_key / incident_key
  // is the hex SHA-256 of the group key, as AM.
  absl::StatusOr<std::string> Payload(const NotificationData& d, const std::string& group_key) const;
  // The URL posted to (v1: the generic events endpoint).
  std::string Url() const;

 private:
  config::PagerdutyConfig cfg_;
  const tmpl::alertmanager::Template* tmpl_;
  std::string external_url_;
  NotifyMetrics* m_;
};

class EmailNotifier : public Notifier {
 public:
  EmailNotifier(config::EmailConfig cfg, const tmpl::alertmanager::Template* t, std::string external_url,
                NotifyMetrics* m)
      : cfg_(std::move(cfg)), tmpl_(t), external_url_(std::move(external_url)), m_(m) {}
  absl::Status Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) override;
  // The RFC 5322 message (multipart/alternative when both text and HTML are
  // set). `boundary` and `now` are parameters for reproducible tests.
  absl::StatusOr<std::string> Message(const NotificationData& d, absl::Time now, const std::string& boundary,
                                      const std::string& message_id) const;

 private:
  config::EmailConfig cfg_;
  const tmpl::alertmanager::Template* tmpl_;
  std::string external_url_;
  NotifyMetrics* m_;
};

// Receivers built from a config: owned notifiers and each receiver's
// integrations (every receiver, also those without integrations, is present).
struct Receivers {
  std::vector<std::unique_ptr<Notifier>> notifiers;
  std::map<std::string, std::vector<Integration>> integrations;
};
// Other integration types (opsgenie, ...) are skipped with a warning log.
absl::StatusOr<Receivers> BuildReceivers(const config::Config& cfg, const tmpl::alertmanager::Template& t,
                                         const std::string& external_url, NotifyMetrics* metrics);

}  // namespace omni::alerting::notify
