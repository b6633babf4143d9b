// Alerter: the Alertmanager part of OmniScope. Owns the alert store,
// silences and notification log (persisted under --storage.path), the HTTP
// server (API v2, /metrics, /-/healthy, /-/ready, /-/reload) and a driver
// thread that ticks the dispatcher at its next deadline.
//
// Example (main.cc):
//   Alerter a(opts);
//   OMNI_RETURN_IF_ERROR(a.Start());   // logs "Listening" (component=web)
//   a.Reload("SIGHUP");                 // a bad config keeps the old one
//   a.Stop();
//
// Reload semantics follow Alertmanager: the routing tree, receivers,
// inhibitor and dispatcher are rebuilt from the new config and every stored
// alert is re-inserted; silences, the nflog and alert state survive, so
// already-sent notifications are not repeated.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "libs/alerting/apiv2/apiv2.h"
#include "libs/alerting/config/config.h"
#include "libs/alerting/dispatch/dispatcher.h"
#include "libs/alerting/inhibit/inhibit.h"
#include "libs/alerting/nflog/nflog.h"
#include "libs/alerting/notify/notify.h"
#include "libs/alerting/silence/silence.h"
#include "libs/common/file_watcher.h"
#include "libs/common/thread_pool.h"
#include "libs/httpapi/http_server.h"
#include "libs/httpapi/router.h"
#include "libs/promql/engine.h"
#include "libs/rpc/remote_storage.h"
#include "libs/rules/group.h"
#include "libs/selfmetrics/registry.h"

namespace omni::alerter {

struct AlerterOptions {
  std::string config_file = "alertmanager.yml";
  std::string storage_path = "data/";
  std::string web_listen_address = ":9093";
  std::string web_external_url;
  std::string web_route_prefix;
  std::string web_config_file;
  std::string grpc_listen_address = ":9096";
  // TLS for the gRPC server (empty cert: plaintext); a client CA requires client certificates.
  std::string grpc_tls_cert_file;
  std::string grpc_tls_key_file;
  std::string grpc_tls_client_ca_file;
  absl::Duration data_retention = absl::Hours(120);
  absl::Duration alerts_gc_interval = absl::Minutes(30);
  absl::Duration config_watch_interval = absl::Seconds(5);
  // Group flushes running at once; more wait for a free thread. Each blocks
  // on its receivers, so this bounds the connections to them, not the CPU.
  int max_concurrent_flushes = 64;

  // Rule evaluation (the Prometheus rules part). Rule files are glob
  // patterns; with any, `collectors` must name at least one collector: the
  // rules query them and recorded series and ALERTS are written to them.
  std::vector<std::string> rule_files;
  std::vector<std::string> collectors;
  rpc::ChannelOptions collector_channel;
  absl::Duration evaluation_interval = absl::Minutes(1);
  absl::Duration resend_delay = absl::Minutes(1);
  absl::Duration for_outage_tolerance = absl::Hours(1);
  absl::Duration for_grace_period = absl::Minutes(10);
  // Added to every alert the rules send (unless set) and $externalLabels.
  model::Labels external_labels;
  // $externalURL and the base of alert generator links (a query UI, e.g.
  // the viewer); empty: the alerter's external URL.
  std::string rules_external_url;
  promql::EngineOptions engine;
  absl::Duration query_timeout = absl::Minutes(2);
};

class Alerter {
 public:
  explicit Alerter(AlerterOptions opts);
  ~Alerter();
  absl::Status Start();
  void Stop();
  // Loads the config file and the rule files again; on any error the running
  // config and rules stay.
  absl::Status Reload(std::string_view trigger);

  // Stores alerts (already validated and prepared) and dispatches them.
  void PutAlerts(std::vector<alerting::Alert> alerts);
  // Alerts as a sender posts them (gRPC PushAlerts, the rule evaluator):
  // prepared with the config's resolve_timeout and validated here; the valid
  // ones are stored, and the messages of the invalid ones returned.
  std::vector<std::string> ReceiveAlerts(std::vector<alerting::Alert> alerts);
  // Stored alerts with fresh silence/inhibition status in the marker.
  std::vector<alerting::Alert> Alerts();
  // The rule groups being evaluated (none without --rules.file).
  std::vector<rules::GroupSnapshot> RuleGroups();
  // Current aggregation groups (marker refreshed).
  std::vector<alerting::AlertGroupSnapshot> Groups();
  // The config in effect.
  alerting::apiv2::ConfigSnapshot CurrentConfig();
  // Fingerprints of alerts that inhibit `labels` now (no lasting side effect).
  std::vector<std::string> InhibitedBy(const model::Labels& labels);
  alerting::Silences& silences() { return *silences_; }
  alerting::Marker& marker() { return marker_; }
  const common::Clock& clock() const { return clock_; }
  absl::Time start_time() const { return start_time_; }
  int http_port() const { return http_ ? http_->port() : 0; }

 private:
  // Everything built from one config; replaced on reload.
  struct Runtime {
    std::shared_ptr<const alerting::config::Config> config;
    std::shared_ptr<const alerting::Route> route;
    std::unique_ptr<tmpl::alertmanager::Template> tmpl;
    alerting::notify::Receivers receivers;
    std::unique_ptr<alerting::Inhibitor> inhibitor;
    std::unique_ptr<alerting::Silencer> silencer;
    std::unique_ptr<alerting::Intervener> intervener;
    std::unique_ptr<alerting::RoutingStage> pipeline;
    std::unique_ptr<alerting::Dispatcher> dispatcher;
  };
  class Waiter;
  absl::StatusOr<std::unique_ptr<Runtime>> Build(std::shared_ptr<const alerting::config::Config> cfg);
  void Install(std::unique_ptr<Runtime> rt);  // REQUIRES: reload_mu_ held
  void DriverLoop();
  void RunFlushTask(std::function<absl::Time()> task);
  void RegisterMetrics();
  std::string ExternalUrl() const;

  AlerterOptions opts_;
  const common::Clock& clock_;
  absl::Time start_time_;
  selfmetrics::Registry metrics_;
  std::unique_ptr<alerting::notify::NotifyMetrics> notify_metrics_;
  alerting::Marker marker_;
  std::unique_ptr<alerting::Silences> silences_;
  std::unique_ptr<alerting::NotificationLog> nflog_;
  std::unique_ptr<Waiter> waiter_;

  std::mutex reload_mu_;  // serialises reloads
  // mu_ guards rt_, alerts_, the driver state and in-flight flush count.
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Runtime> rt_;
  absl::flat_hash_map<alerting::Fingerprint, alerting::Alert> alerts_;
  bool stop_ = false;
  bool wake_ = false;
  // When the waiting driver wakes next (InfiniteFuture while it runs).
  absl::Time driver_deadline_ = absl::InfiniteFuture();
  bool installing_ = false;  // a reload waits for in-flight flushes
  std::atomic<bool> stopped_{false};
  int in_flight_ = 0;
  absl::Time next_gc_;
  std::thread driver_;
  // Runs group flushes (the notification pipeline). Warm threads keep their
  // HTTP connections to receivers alive between notifications.
  std::unique_ptr<common::ThreadPool> flush_pool_;

  httpapi::Router router_;
  std::unique_ptr<alerting::apiv2::Api> api_;
  std::unique_ptr<httpapi::HttpServer> http_;
  std::unique_ptr<common::FileWatcher> watcher_;
  std::unique_ptr<grpc::Service> grpc_service_;
  std::unique_ptr<grpc::Server> grpc_server_;

  // Rule evaluation; null without --rules.file.
  std::unique_ptr<rpc::CollectorPool> collector_pool_;
  std::unique_ptr<rpc::RemoteStorage> remote_storage_;
  std::unique_ptr<rpc::RemoteWriter> remote_writer_;
  std::unique_ptr<promql::Engine> engine_;
  std::unique_ptr<rules::RuleManager> rule_manager_;
  absl::Status StartRules();
  std::vector<std::string> RuleFilePaths() const;

  std::atomic<bool> ready_{false};
  selfmetrics::Gauge* reload_success_ = nullptr;
  selfmetrics::Gauge* reload_success_time_ = nullptr;
  selfmetrics::Counter* reload_total_ = nullptr;
};

}  // namespace omni::alerter
