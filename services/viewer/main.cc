// omniscope-viewer: the Grafana part of OmniScope. Flags and wiring only.
#include <iostream>

#include "libs/common/absl_compat.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/signals.h"
#include "libs/promapi/query_flags.h"
#include "libs/rpc/collector_flags.h"
#include "services/viewer/viewer.h"

namespace {
constexpr char kVersion[] = "0.1.0";
}

int main(int argc, char** argv) {
  omni::common::SignalHandler signals;

  omni::viewer::ViewerOptions opts;
  omni::promapi::QueryFlags query_flags;
  omni::rpc::CollectorFlags collector_flags;

  omni::common::FlagSet flags("omniscope-viewer",
                              "The OmniScope viewer: the Prometheus query API over all collector shards\n"
                              "(and, later, dashboards and the web UI).");
  flags.String("web.listen-address", "Address to listen on for the web UI and the query API.",
               &opts.web_listen_address);
  flags.String("web.config.file", "Path to a web configuration file (TLS, basic auth), as Prometheus's.",
               &opts.web_config_file);
  collector_flags.Register(flags, "query");
  flags.String("alerter",
               "gRPC address of the alerter, whose rules and alerts /api/v1/rules and /api/v1/alerts show.",
               &opts.alerter);
  flags.String("alerter.tls-ca-file", "CA for TLS to the alerter (enables TLS).", &opts.alerter_channel.tls_ca_file);
  flags.String("alerter.tls-cert-file", "Client certificate for mTLS to the alerter.",
               &opts.alerter_channel.tls_cert_file);
  flags.String("alerter.tls-key-file", "Client key for mTLS to the alerter.", &opts.alerter_channel.tls_key_file);
  flags.Bool("query.push-down",
             "Evaluate instant and range queries on the collector (its gRPC Query) when exactly one --collector is "
             "given and it resolves to one address; false: always evaluate here over the collectors' data.",
             &opts.query_push_down);
  query_flags.Register(flags);
  if (int code = omni::common::ParseDaemonCommandLine(flags, argc, argv, kVersion); code >= 0) return code;
  opts.collectors = collector_flags.addresses;
  opts.channel = collector_flags.ToChannelOptions();
  // The alerter is called with the collectors' deadline and attempts.
  opts.alerter_channel.timeout = opts.channel.timeout;
  opts.alerter_channel.max_attempts = opts.channel.max_attempts;
  if (opts.collectors.empty()) {
    std::cerr << "omniscope-viewer: error: at least one --collector is required\n";
    return 2;
  }
  opts.query = query_flags.ToOptions();
  opts.query.build_info.version = kVersion;

  OMNI_LOG(kInfo, "main").Msg("Starting OmniScope viewer").Kv("version", kVersion);
  omni::viewer::Viewer viewer(opts);
  if (absl::Status st = viewer.Start(); !st.ok()) {
    OMNI_LOG(kError, "main").Msg("Failed to start").Kv("err", omni::common::StatusMessage(st));
    return 1;
  }
  int sig = signals.WaitForShutdown();
  OMNI_LOG(kInfo, "main").Msg("Received shutdown request, stopping").Kv("signal", sig);
  viewer.Stop();
  OMNI_LOG(kInfo, "main").Msg("See you next time!");
  return 0;
}
