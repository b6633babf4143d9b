// omniscope-alerter: the Alertmanager part of OmniScope. Flags and wiring only;
// flag names are Alertmanager 0.25's.
#include <iostream>

#include "absl/strings/str_split.h"
#include "libs/common/flags.h"
#include "libs/common/logging.h"
#include "libs/rpc/collector_flags.h"
#include "libs/common/signals.h"
#include "services/alerter/alerter.h"

namespace {
constexpr char kVersion[] = "0.1.0";
}

int main(int argc, char** argv) {
  omni::common::SignalHandler signals;  // first: every thread inherits the blocked signals
  omni::alerter::AlerterOptions opts;
  absl::Duration lookback_delta = absl::Minutes(5);
  omni::common::FlagSet flags("omniscope-alerter",
                              "The OmniScope alerter: Alertmanager-compatible alert routing, grouping, silencing,\n"
                              "inhibition and notification.");
  flags.String("config.file", "Alertmanager configuration file name.", &opts.config_file);
  flags.String("storage.path", "Base path for data storage.", &opts.storage_path);
  flags.Duration("data.retention", "How long to keep data for.", &opts.data_retention);
  flags.Duration("alerts.gc-interval", "Interval between alert GC.", &opts.alerts_gc_interval);
  flags.String("web.listen-address", "Address to listen on for the web interface and API.", &opts.web_listen_address);
  flags.String("web.external-url",
               "The URL under which Alertmanager is externally reachable (for example, if Alertmanager is served via "
               "a reverse proxy). Used for generating relative and absolute links back to Alertmanager itself.",
               &opts.web_external_url);
  flags.String("web.route-prefix",
               "Prefix for the internal routes of web endpoints. Defaults to path of --web.external-url.",
               &opts.web_route_prefix);
  flags.String("web.config.file", "Path to configuration file that can enable TLS or authentication.",
               &opts.web_config_file);
  flags.String("grpc.listen-address", "Address to listen on for the gRPC AlerterService.", &opts.grpc_listen_address);
  flags.String("grpc.tls-cert-file", "TLS certificate for the gRPC server (enables TLS).", &opts.grpc_tls_cert_file);
  flags.String("grpc.tls-key-file", "TLS key for the gRPC server.", &opts.grpc_tls_key_file);
  flags.String("grpc.tls-client-ca-file", "CA that gRPC client certificates must be signed by (enables mTLS).",
               &opts.grpc_tls_client_ca_file);
  flags.StringList("rules.file",
                   "Prometheus rule file to evaluate (repeatable; glob patterns as in rule_files). Needs --collector.",
                   &opts.rule_files);
  omni::rpc::CollectorFlags collector_flags;
  collector_flags.Register(flags, "evaluate rules against and write recorded series to");
  flags.Duration("rules.evaluation-interval",
                 "How often rule groups without an interval are evaluated (Prometheus's global.evaluation_interval).",
                 &opts.evaluation_interval);
  flags.Duration("rules.alert.resend-delay", "Minimum amount of time to wait before resending an alert.",
                 &opts.resend_delay);
  flags.Duration("rules.alert.for-outage-tolerance",
                 "Max time to tolerate the alerter being down to restore the \"for\" state of alerts.",
                 &opts.for_outage_tolerance);
  flags.Duration("rules.alert.for-grace-period",
                 "Minimum duration between alert and restored \"for\" state. This is maintained only for alerts "
                 "with configured \"for\" time greater than the grace period.",
                 &opts.for_grace_period);
  std::vector<std::string> external_labels;
  flags.StringList("rules.external-label",
                   "name=value added to the alerts of rules (unless set) and $externalLabels (repeatable; "
                   "Prometheus's global.external_labels).",
                   &external_labels);
  flags.String("rules.external-url",
               "URL of the query UI for alert generator links and $externalURL. Defaults to --web.external-url.",
               &opts.rules_external_url);
  flags.Duration("query.timeout", "Maximum time a rule query may take before it is aborted.", &opts.query_timeout);
  flags.Duration("query.lookback-delta",
                 "The maximum lookback duration for retrieving metrics during expression evaluations.",
                 &lookback_delta);
  flags.Int("query.max-samples", "Maximum number of samples a single rule query can load into memory.",
            &opts.engine.max_samples);
  if (int code = omni::common::ParseDaemonCommandLine(flags, argc, argv, kVersion); code >= 0) return code;
  opts.collectors = collector_flags.addresses;
  opts.collector_channel = collector_flags.ToChannelOptions();
  opts.engine.lookback_delta_ms = absl::ToInt64Milliseconds(lookback_delta);
  std::vector<omni::model::Label> labels;
  for (const std::string& kv : external_labels) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (!omni::model::IsValidLabelName(p.first) || kv.find('=') == std::string::npos) {
      std::cerr << "omniscope-alerter: error: --rules.external-label " << kv << ": want name=value\n";
      return 2;
    }
    labels.push_back({p.first, p.second});
  }
  opts.external_labels = omni::model::Labels::FromUnsorted(std::move(labels));

  OMNI_LOG(kInfo, "main").Msg("Starting OmniScope alerter").Kv("version", kVersion);
  omni::alerter::Alerter alerter(opts);
  if (absl::Status st = alerter.Start(); !st.ok()) {
    OMNI_LOG(kError, "main").Msg("Failed to start").Kv("err", st.ToString());
    alerter.Stop();
    return 1;
  }
  signals.OnReload([&alerter] { alerter.Reload("SIGHUP").IgnoreError(); });
  int sig = signals.WaitForShutdown();
  OMNI_LOG(kInfo, "main").Msg("Received shutdown request, exiting gracefully...").Kv("signal", sig);
  alerter.Stop();
  return 0;
}
