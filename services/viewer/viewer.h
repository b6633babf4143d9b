// The viewer daemon (the Grafana part). This stage serves the Prometheus
// query API over every collector shard (PromQL evaluated here over
// rpc::RemoteStorage, or, with a single collector, pushed down to that
// collector's gRPC Query), Prometheus's /api/v1/rules and /api/v1/alerts
// from the alerter's gRPC ListRules (--alerter), plus /metrics, /-/healthy
// and /-/ready. Dashboards and the web UI build on it.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/httpapi/http_server.h"
#include "libs/promapi/promapi.h"
#include "libs/rpc/query_push_down.h"
#include "libs/rpc/remote_storage.h"
#include "libs/selfmetrics/selfmetrics.h"
#include "omniscope/v1/alerter.grpc.pb.h"

namespace omni::viewer {

struct ViewerOptions {
  std::string web_listen_address = "0.0.0.0:3000";
  std::string web_config_file;
  // Collector gRPC addresses: "host:port", or "dns+host:port" for every address of a name.
  std::vector<std::string> collectors;
  rpc::ChannelOptions channel;
  promapi::PromApiOptions query;
  // With a single collector, send whole queries to its gRPC Query (same
  // answers, without streaming the selected series here).
  bool query_push_down = true;
  // The alerter's gRPC address; empty: /api/v1/rules and /api/v1/alerts are
  // empty, as on a Prometheus without rules.
  std::string alerter;
  // TLS to the alerter (tls_ca_file set: TLS; with a client certificate: mTLS).
  rpc::ChannelOptions alerter_channel;
};

class Viewer {
 public:
  explicit Viewer(ViewerOptions options);
  ~Viewer();
  absl::Status Start();
  void Stop();

 private:
  ViewerOptions options_;
  selfmetrics::Registry metrics_;
  std::unique_ptr<rpc::CollectorPool> pool_;
  std::unique_ptr<rpc::RemoteStorage> storage_;
  std::unique_ptr<rpc::CollectorQueryPushDown> push_down_;
  std::unique_ptr<promapi::PromApi> api_;
  std::unique_ptr<omniscope::v1::AlerterService::Stub> alerter_;
  httpapi::Router router_;
  std::unique_ptr<httpapi::HttpServer> http_;
  std::atomic<bool> ready_{false};
};

}  // namespace omni::viewer
