// The collector daemon: wires discovery → scrape → TSDB, the Prometheus HTTP
// API, the gRPC CollectorService and config reloading together. All logic
// lives in libs/; this class only owns and connects the pieces.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/common/file_watcher.h"
#include "libs/config/prometheus_config.h"
#include "libs/discovery/discovery.h"
#include "libs/httpapi/http_server.h"
#include "libs/promapi/promapi.h"
#include "libs/scrape/scrape.h"
#include "libs/selfmetrics/selfmetrics.h"
#include "libs/tsdb/tsdb.h"

namespace grpc {
class Server;
}

namespace omni::collector {

class CollectorServiceImpl;

struct CollectorOptions {
  std::string config_file = "prometheus.yml";
  std::string storage_path = "data/";
  absl::Duration retention_time = absl::Hours(24 * 15);
  std::string retention_size;  // "" or "0": no size limit
  std::string web_listen_address = "0.0.0.0:9090";
  std::string grpc_listen_address = "0.0.0.0:9095";
  std::string web_config_file;
  std::string web_external_url;
  bool enable_admin_api = false;
  bool enable_lifecycle = false;
  std::string grpc_tls_cert_file;
  std::string grpc_tls_key_file;
  std::string grpc_tls_client_ca_file;
  promapi::PromApiOptions query;
  // Flag name -> value, for /api/v1/status/flags.
  std::map<std::string, std::string> flag_values;
  // Niceness added to scrape workers and the storage maintenance thread, so
  // that queries preempt them when the cores are busy (0: no change).
  int64_t background_nice = 10;
  // Re-read the config file when it changes on disk.
  absl::Duration config_watch_interval = absl::Seconds(10);
};

class Collector {
 public:
  explicit Collector(CollectorOptions options);
  ~Collector();

  // Loads the config (a bad one is fatal at start), opens the TSDB, starts
  // discovery, scraping, the HTTP and gRPC servers. Logs the bound addresses.
  absl::Status Start();
  // Re-reads the config file. A bad file is refused (logged, counted in
  // prometheus_config_last_reload_successful) and the old config keeps running.
  absl::Status Reload(std::string_view trigger);
  // Stops everything and closes the TSDB cleanly. Idempotent.
  void Stop();
  // Set by POST /-/quit; main waits on it together with signals.
  void SetQuitCallback(std::function<void()> cb) { quit_ = std::move(cb); }

 private:
  void RegisterHandlers();
  void RegisterMetrics();
  absl::StatusOr<std::string> TakeSnapshot(bool skip_head);

  CollectorOptions options_;
  selfmetrics::Registry metrics_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<scrape::ScrapeManager> scrape_;
  std::unique_ptr<discovery::DiscoveryManager> discovery_;
  std::unique_ptr<promapi::PromApi> api_;
  httpapi::Router router_;
  std::unique_ptr<httpapi::HttpServer> http_;
  std::unique_ptr<CollectorServiceImpl> grpc_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<common::FileWatcher> watcher_;
  std::function<void()> quit_;

  std::mutex reload_mu_;
  std::shared_ptr<const config::PrometheusConfig> config_;  // GUARDED_BY(reload_mu_)
  selfmetrics::Gauge* reload_success_ = nullptr;
  selfmetrics::Gauge* reload_success_time_ = nullptr;
  selfmetrics::Counter* reloads_failed_ = nullptr;
  std::atomic<bool> ready_{false};
  absl::Time start_time_;
  bool stopped_ = false;
};

}  // namespace omni::collector
