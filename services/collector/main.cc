// omniscope-collector: the Prometheus part of OmniScope. Flags and wiring only.
#include <iostream>

#include "libs/common/absl_compat.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/common/signals.h"
#include "libs/promapi/query_flags.h"
#include "services/collector/collector.h"

namespace {
constexpr char kVersion[] = "0.1.0";
}

int main(int argc, char** argv) {
  omni::common::SignalHandler signals;  // first: every thread inherits the blocked signals

  omni::collector::CollectorOptions opts;
  omni::promapi::QueryFlags query_flags;

  omni::common::FlagSet flags("omniscope-collector",
                              "The OmniScope collector: scrapes targets from a prometheus.yml into a durable TSDB and\n"
                              "serves the Prometheus HTTP API and the OmniScope gRPC API.");
  flags.String("config.file", "Prometheus configuration file path.", &opts.config_file);
  flags.String("storage.tsdb.path", "Base path for metrics storage.", &opts.storage_path);
  flags.Duration("storage.tsdb.retention.time", "How long to retain samples in storage.", &opts.retention_time);
  flags.String("storage.tsdb.retention.size",
               "Maximum number of bytes that can be stored (units: B, KB, MB, GB, TB, PB, EB); 0 disables.",
               &opts.retention_size);
  flags.String("web.listen-address", "Address to listen on for the HTTP API and /metrics.", &opts.web_listen_address);
  flags.String("grpc.listen-address", "Address to listen on for the gRPC CollectorService.",
               &opts.grpc_listen_address);
  flags.String("web.config.file", "Path to a web configuration file (TLS, basic auth), as Prometheus's.",
               &opts.web_config_file);
  flags.String("web.external-url", "The URL under which the collector is externally reachable.",
               &opts.web_external_url);
  flags.Bool("web.enable-admin-api", "Enable the admin endpoints (snapshot, delete_series, clean_tombstones).",
             &opts.enable_admin_api);
  flags.Bool("web.enable-lifecycle", "Enable shutdown and reload via HTTP request.", &opts.enable_lifecycle);
  flags.String("grpc.tls-cert-file", "TLS certificate for the gRPC server (enables TLS).", &opts.grpc_tls_cert_file);
  flags.String("grpc.tls-key-file", "TLS key for the gRPC server.", &opts.grpc_tls_key_file);
  flags.String("grpc.tls-client-ca-file", "CA that gRPC client certificates must be signed by (enables mTLS).",
               &opts.grpc_tls_client_ca_file);
  flags.Int("background.nice",
            "Niceness (0-19) added to scrape workers and storage maintenance, so that queries preempt them on "
            "busy cores; 0 runs them at the process's priority.",
            &opts.background_nice);
  query_flags.Register(flags);
  if (int code = omni::common::ParseDaemonCommandLine(flags, argc, argv, kVersion); code >= 0) return code;
  opts.flag_values = flags.Values();
  opts.query = query_flags.ToOptions();
  opts.query.build_info.version = kVersion;

  OMNI_LOG(kInfo, "main").Msg("Starting OmniScope collector").Kv("version", kVersion);
  omni::collector::Collector collector(opts);
  collector.SetQuitCallback([&signals] { signals.RequestShutdown(); });
  if (absl::Status st = collector.Start(); !st.ok()) {
    OMNI_LOG(kError, "main").Msg("Failed to start").Kv("err", omni::common::StatusMessage(st));
    collector.Stop();
    return 1;
  }
  signals.OnReload([&collector] { collector.Reload("SIGHUP").IgnoreError(); });
  int sig = signals.WaitForShutdown();
  OMNI_LOG(kInfo, "main").Msg("Received shutdown request, stopping").Kv("signal", sig);
  collector.Stop();
  OMNI_LOG(kInfo, "main").Msg("See you next time!");
  return 0;
}
