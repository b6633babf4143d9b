// prometheus.yml, unchanged: the collector's configuration file, parsed into
// plain structs with Prometheus's defaults. Unknown or invalid fields are
// rejected with file:line and the field's path.
//
// Example:
//   OMNI_ASSIGN_OR_RETURN(PrometheusConfig cfg, LoadPrometheusConfigFile("/etc/prometheus.yml"));
//   for (const ScrapeConfig& sc : cfg.scrape_configs) { ... }
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/model/labels.h"
#include "libs/relabel/relabel.h"

namespace omni::config {

struct TlsConfig {
  std::string ca_file;
  std::string ca;  // inline PEM
  std::string cert_file;
  std::string cert;
  std::string key_file;
  std::string key;  // secret: never logged
  std::string server_name;
  bool insecure_skip_verify = false;
  std::string min_version;  // "TLS12", "TLS13" or ""
};

struct BasicAuth {
  std::string username;
  std::string username_file;
  std::string password;  // secret
  std::string password_file;
};

struct Authorization {
  std::string type = "Bearer";
  std::string credentials;  // secret
  std::string credentials_file;
};

// Prometheus's common HTTPClientConfig (bearer_token/bearer_token_file are
// mapped onto `authorization`).
struct HttpClientConfig {
  std::optional<BasicAuth> basic_auth;
  std::optional<Authorization> authorization;
  TlsConfig tls_config;
  std::string proxy_url;
  bool follow_redirects = true;
  bool enable_http2 = true;
};

struct StaticConfig {
  std::vector<std::string> targets;
  model::Labels labels;
};

struct FileSdConfig {
  std::vector<std::string> files;  // may contain globs in the last path element
  absl::Duration refresh_interval = absl::Minutes(5);
};

struct KubernetesSelector {
  std::string role;
  std::string label;
  std::string field;
};

struct KubernetesSdConfig {
  std::string role;        // only "pod" is implemented; others are rejected
  std::string api_server;  // empty: in-cluster
  std::string kubeconfig_file;
  HttpClientConfig http_config;
  bool own_namespace = false;
  std::vector<std::string> namespaces;  // empty: all
  std::vector<KubernetesSelector> selectors;
  bool attach_metadata_node = false;
};

struct ScrapeConfig {
  std::string job_name;
  bool honor_labels = false;
  bool honor_timestamps = true;
  std::map<std::string, std::vector<std::string>> params;
  absl::Duration scrape_interval;  // defaults to global
  absl::Duration scrape_timeout;   // defaults to global (capped at interval)
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  uint64_t sample_limit = 0;  // 0 = no limit
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t target_limit = 0;
  uint64_t body_size_limit = 0;  // bytes, 0 = no limit
  HttpClientConfig http_client;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<KubernetesSdConfig> kubernetes_sd_configs;
  std::vector<relabel::RelabelConfig> relabel_configs;
  std::vector<relabel::RelabelConfig> metric_relabel_configs;
};

struct GlobalConfig {
  absl::Duration scrape_interval = absl::Minutes(1);
  absl::Duration scrape_timeout = absl::Seconds(10);
  absl::Duration evaluation_interval = absl::Minutes(1);
  model::Labels external_labels;
  std::string query_log_file;
};

struct AlertmanagerConfig {
  std::string scheme = "http";
  std::string path_prefix = "/";
  absl::Duration timeout = absl::Seconds(10);
  std::string api_version = "v2";
  HttpClientConfig http_client;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<KubernetesSdConfig> kubernetes_sd_configs;
  std::vector<relabel::RelabelConfig> relabel_configs;
};

struct AlertingConfig {
  std::vector<relabel::RelabelConfig> alert_relabel_configs;
  std::vector<AlertmanagerConfig> alertmanagers;
};

struct PrometheusConfig {
  GlobalConfig global;
  std::vector<std::string> rule_files;
  std::vector<ScrapeConfig> scrape_configs;
  AlertingConfig alerting;
  // remote_write / remote_read / storage / tracing sections are accepted and
  // kept only in `original_yaml` (not acted upon).
  std::string original_yaml;
  std::string source_path;
};

// Parses `yaml`; `filename` is used in error messages ("prometheus.yml:12:5: ...").
// Relative paths in the config (file_sd files, credentials files, TLS files)
// are resolved against the directory of `filename`.
absl::StatusOr<PrometheusConfig> ParsePrometheusConfig(std::string_view yaml,
                                                       std::string_view filename);
absl::StatusOr<PrometheusConfig> LoadPrometheusConfigFile(const std::string& path);

// Re-serializes with secrets replaced by "<secret>", as /api/v1/status/config shows it.
std::string RedactedYaml(const PrometheusConfig& config);

// filepath.Glob's pattern check: the only syntax error ("syntax error in
// pattern", Go's ErrBadPattern) is a malformed character class or a trailing
// backslash.
absl::Status ValidateGlobPattern(std::string_view pattern);
// Prometheus duration syntax: "1h30m", "15s", "500ms", "1d", "2w", "1y".
absl::StatusOr<absl::Duration> ParseDuration(std::string_view text);
// Formats like Prometheus (model.Duration.String): "1m", "1h30m", "500ms", "0s".
// Call it qualified (config::FormatDuration): ADL also finds absl::FormatDuration.
std::string FormatDuration(absl::Duration d);
// "10MB", "1GiB", "512KB"... (Prometheus's units.Base2Bytes; KB = 1024).
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);

}  // namespace omni::config
