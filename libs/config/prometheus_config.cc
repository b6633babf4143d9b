// prometheus.yml decoding with Prometheus 2.42's defaults and validation
// (config/config.go, common/config/http_config.go, discovery/*/sd configs).
#include "libs/config/prometheus_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/status_macros.h"
#include "libs/config/yaml_decoder.h"
#include "re2/re2.h"

namespace omni::config {

namespace {

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Index(std::string_view path, size_t i) { return absl::StrCat(AV(path), "[", i, "]"); }

// Resolves `p` against the config file's directory, as Prometheus's SetDirectory.
class PathResolver {
 public:
  explicit PathResolver(std::string_view filename) {
    size_t slash = filename.rfind('/');
    if (slash != std::string_view::npos) dir_ = std::string(filename.substr(0, slash + 1));
  }
  void Resolve(std::string* p) const {
    if (p->empty() || (*p)[0] == '/' || dir_.empty()) return;
    *p = dir_ + *p;
  }

 private:
  std::string dir_;
};

struct Ctx {
  YamlDecoder dec;
  PathResolver paths;
};

absl::Status DecodeTls(Ctx& ctx, const YAML::Node& node, const std::string& path, TlsConfig* out) {
  OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, node, "config.TLSConfig", path));
  OMNI_RETURN_IF_ERROR(m.String("ca_file", &out->ca_file));
  OMNI_RETURN_IF_ERROR(m.String("ca", &out->ca));
  OMNI_RETURN_IF_ERROR(m.String("cert_file", &out->cert_file));
  OMNI_RETURN_IF_ERROR(m.String("cert", &out->cert));
  OMNI_RETURN_IF_ERROR(m.String("key_file", &out->key_file));
  OMNI_RETURN_IF_ERROR(m.String("key", &out->key));
  OMNI_RETURN_IF_ERROR(m.String("server_name", &out->server_name));
  OMNI_RETURN_IF_ERROR(m.Bool("insecure_skip_verify", &out->insecure_skip_verify));
  OMNI_RETURN_IF_ERROR(m.String("min_version", &out->min_version));
  OMNI_RETURN_IF_ERROR(m.CheckUnknown());
  if (!out->min_version.empty() && out->min_version != "TLS10" && out->min_version != "TLS11" &&
      out->min_version != "TLS12" && out->min_version != "TLS13") {
    return m.Error("min_version", absl::StrCat("unknown TLS version: ", out->min_version));
  }
  if (!out->ca.empty() && !out->ca_file.empty()) return m.Error("ca", "at most one of ca and ca_file must be configured");
  if (!out->cert.empty() && !out->cert_file.empty()) {
    return m.Error("cert", "at most one of cert and cert_file must be configured");
  }
  if (!out->key.empty() && !out->key_file.empty()) return m.Error("key", "at most one of key and key_file must be configured");
  bool has_cert = !out->cert.empty() || !out->cert_file.empty();
  bool has_key = !out->key.empty() || !out->key_file.empty();
  if (has_cert && !has_key) {
    return m.Error("cert", "exactly one of key or key_file must be configured when a client certificate is configured");
  }
  if (has_key && !has_cert) {
    return m.Error("key", "exactly one of cert or cert_file must be configured when a client key is configured");
  }
  ctx.paths.Resolve(&out->ca_file);
  ctx.paths.Resolve(&out->cert_file);
  ctx.paths.Resolve(&out->key_file);
  return absl::OkStatus();
}

// Consumes the HTTPClientConfig fields inlined into `m` (scrape configs,
// alertmanager configs, SD configs).
absl::Status DecodeHttpClient(Ctx& ctx, MapFields& m, HttpClientConfig* out) {
  if (m.Has("basic_auth")) {
    YAML::Node n = m.Get("basic_auth");
    OMNI_ASSIGN_OR_RETURN(MapFields b, MapFields::Open(&ctx.dec, n, "config.BasicAuth", m.PathOf("basic_auth")));
    BasicAuth ba;
    OMNI_RETURN_IF_ERROR(b.String("username", &ba.username));
    OMNI_RETURN_IF_ERROR(b.String("username_file", &ba.username_file));
    OMNI_RETURN_IF_ERROR(b.String("password", &ba.password));
    OMNI_RETURN_IF_ERROR(b.String("password_file", &ba.password_file));
    OMNI_RETURN_IF_ERROR(b.CheckUnknown());
    if (!ba.username.empty() && !ba.username_file.empty()) {
      return b.Error("username_file", "at most one of basic_auth username & username_file must be configured");
    }
    if (!ba.password.empty() && !ba.password_file.empty()) {
      return b.Error("password_file", "at most one of basic_auth password & password_file must be configured");
    }
    ctx.paths.Resolve(&ba.username_file);
    ctx.paths.Resolve(&ba.password_file);
    out->basic_auth = std::move(ba);
  } else {
    m.Get("basic_auth");
  }
  if (m.Has("authorization")) {
    YAML::Node n = m.Get("authorization");
    OMNI_ASSIGN_OR_RETURN(MapFields a, MapFields::Open(&ctx.dec, n, "config.Authorization", m.PathOf("authorization")));
    Authorization auth;
    OMNI_RETURN_IF_ERROR(a.String("type", &auth.type));
    OMNI_RETURN_IF_ERROR(a.String("credentials", &auth.credentials));
    OMNI_RETURN_IF_ERROR(a.String("credentials_file", &auth.credentials_file));
    OMNI_RETURN_IF_ERROR(a.CheckUnknown());
    if (auth.type.empty()) auth.type = "Bearer";
    if (absl::AsciiStrToLower(auth.type) == "basic") {
      return a.Error("type", "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    if (!auth.credentials.empty() && !auth.credentials_file.empty()) {
      return a.Error("credentials_file", "at most one of authorization credentials & credentials_file must be configured");
    }
    ctx.paths.Resolve(&auth.credentials_file);
    out->authorization = std::move(auth);
  } else {
    m.Get("authorization");
  }
  if (m.Has("oauth2")) {
    m.Get("oauth2");
    return m.Error("oauth2", "oauth2 is not supported by OmniScope");
  }
  m.Get("oauth2");
  std::string bearer_token, bearer_token_file;
  OMNI_RETURN_IF_ERROR(m.String("bearer_token", &bearer_token));
  OMNI_RETURN_IF_ERROR(m.String("bearer_token_file", &bearer_token_file));
  if (!bearer_token.empty() && !bearer_token_file.empty()) {
    return m.Error("bearer_token_file", "at most one of bearer_token & bearer_token_file must be configured");
  }
  if (out->basic_auth && (!bearer_token.empty() || !bearer_token_file.empty())) {
    return m.Error("basic_auth", "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
  }
  if (out->authorization) {
    if (!bearer_token.empty() || !bearer_token_file.empty()) {
      return m.Error("authorization", "authorization is not compatible with bearer_token & bearer_token_file");
    }
    if (out->basic_auth) {
      return m.Error("authorization", "at most one of basic_auth, oauth2 & authorization must be configured");
    }
  }
  if (!bearer_token.empty() || !bearer_token_file.empty()) {
    Authorization auth;
    auth.credentials = bearer_token;
    auth.credentials_file = bearer_token_file;
    ctx.paths.Resolve(&auth.credentials_file);
    out->authorization = std::move(auth);
  }
  if (m.Has("tls_config")) {
    OMNI_RETURN_IF_ERROR(DecodeTls(ctx, m.Get("tls_config"), m.PathOf("tls_config"), &out->tls_config));
  } else {
    m.Get("tls_config");
  }
  OMNI_RETURN_IF_ERROR(m.String("proxy_url", &out->proxy_url));
  if (!out->proxy_url.empty() && out->proxy_url.find("://") == std::string::npos) {
    return m.Error("proxy_url", absl::StrCat("invalid proxy_url \"", out->proxy_url, "\": missing scheme"));
  }
  OMNI_RETURN_IF_ERROR(m.Bool("follow_redirects", &out->follow_redirects));
  OMNI_RETURN_IF_ERROR(m.Bool("enable_http2", &out->enable_http2));
  return absl::OkStatus();
}

bool IsDefaultHttpClient(const HttpClientConfig& c) {
  const TlsConfig& t = c.tls_config;
  return !c.basic_auth && !c.authorization && c.proxy_url.empty() && c.follow_redirects && c.enable_http2 &&
         t.ca_file.empty() && t.ca.empty() && t.cert_file.empty() && t.cert.empty() && t.key_file.empty() &&
         t.key.empty() && t.server_name.empty() && !t.insecure_skip_verify && t.min_version.empty();
}

absl::Status DecodeRelabelConfigs(Ctx& ctx, MapFields& parent, std::string_view key,
                                  std::vector<relabel::RelabelConfig>* out) {
  YAML::Node list = parent.Get(key);
  std::string path = parent.PathOf(key);
  OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> items, DecodeSequence(ctx.dec, list, path));
  for (size_t i = 0; i < items.size(); ++i) {
    std::string ipath = Index(path, i);
    if (items[i].IsNull()) return ctx.dec.Error(items[i], ipath, "empty or null relabeling rule");
    OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, items[i], "relabel.Config", ipath));
    relabel::RelabelConfig rc;
    OMNI_RETURN_IF_ERROR(m.StringList("source_labels", &rc.source_labels));
    for (size_t j = 0; j < rc.source_labels.size(); ++j) {
      const std::string& s = rc.source_labels[j];
      if (!model::IsValidLabelName(s)) {
        return ctx.dec.Error(items[i]["source_labels"][j], Index(m.PathOf("source_labels"), j),
                             absl::StrCat("\"", s, "\" is not a valid label name"));
      }
    }
    OMNI_RETURN_IF_ERROR(m.String("separator", &rc.separator));
    OMNI_RETURN_IF_ERROR(m.String("target_label", &rc.target_label));
    OMNI_RETURN_IF_ERROR(m.String("replacement", &rc.replacement));
    OMNI_RETURN_IF_ERROR(m.Uint("modulus", &rc.modulus));
    std::string action = "replace";
    OMNI_RETURN_IF_ERROR(m.String("action", &action));
    if (action.empty()) return m.Error("action", "relabel action cannot be empty");
    auto parsed = relabel::ParseAction(action);
    if (!parsed.ok()) return m.Error("action", std::string(parsed.status().message()));
    rc.action = *parsed;
    if (m.Has("regex")) {
      OMNI_ASSIGN_OR_RETURN(std::string regex, DecodeString(ctx.dec, m.Get("regex"), m.PathOf("regex")));
      absl::Status st = rc.SetRegex(regex);
      if (!st.ok()) return m.Error("regex", std::string(st.message()));
    } else {
      m.Get("regex");
    }
    OMNI_RETURN_IF_ERROR(m.CheckUnknown());
    absl::Status st = rc.Validate();
    if (!st.ok()) return ctx.dec.Error(items[i], ipath, std::string(st.message()));
    out->push_back(std::move(rc));
  }
  return absl::OkStatus();
}

absl::Status DecodeStaticConfigs(Ctx& ctx, MapFields& parent, std::vector<StaticConfig>* out) {
  std::string path = parent.PathOf("static_configs");
  OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> items, DecodeSequence(ctx.dec, parent.Get("static_configs"), path));
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].IsNull()) return ctx.dec.Error(items[i], Index(path, i), "empty or null section in static_configs");
    OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, items[i], "targetgroup.Group", Index(path, i)));
    StaticConfig sc;
    OMNI_RETURN_IF_ERROR(m.StringList("targets", &sc.targets));
    OMNI_RETURN_IF_ERROR(m.LabelSet("labels", &sc.labels));
    OMNI_RETURN_IF_ERROR(m.CheckUnknown());
    for (const std::string& t : sc.targets) {
      // Prometheus's CheckTargetAddress.
      if (t.find('/') != std::string::npos) {
        return m.Error("targets", absl::StrCat("\"", t, "\" is not a valid hostname"));
      }
    }
    out->push_back(std::move(sc));
  }
  return absl::OkStatus();
}

absl::Status DecodeFileSdConfigs(Ctx& ctx, MapFields& parent, std::vector<FileSdConfig>* out) {
  static const auto* kPattern = new re2::RE2(R"(^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$)");
  std::string path = parent.PathOf("file_sd_configs");
  OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> items, DecodeSequence(ctx.dec, parent.Get("file_sd_configs"), path));
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].IsNull()) return ctx.dec.Error(items[i], Index(path, i), "empty or null section in file_sd_configs");
    OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, items[i], "file.SDConfig", Index(path, i)));
    FileSdConfig fc;
    OMNI_RETURN_IF_ERROR(m.StringList("files", &fc.files));
    OMNI_RETURN_IF_ERROR(m.Duration("refresh_interval", &fc.refresh_interval));
    OMNI_RETURN_IF_ERROR(m.CheckUnknown());
    if (fc.files.empty()) return ctx.dec.Error(items[i], Index(path, i), "file service discovery config must contain at least one path name");
    for (std::string& f : fc.files) {
      if (!re2::RE2::FullMatch(f, *kPattern)) {
        return m.Error("files", absl::StrCat("path name \"", f, "\" is not valid for file discovery"));
      }
      ctx.paths.Resolve(&f);
    }
    out->push_back(std::move(fc));
  }
  return absl::OkStatus();
}

absl::Status DecodeKubernetesSdConfigs(Ctx& ctx, MapFields& parent, std::vector<KubernetesSdConfig>* out) {
  std::string path = parent.PathOf("kubernetes_sd_configs");
  OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> items,
                        DecodeSequence(ctx.dec, parent.Get("kubernetes_sd_configs"), path));
  for (size_t i = 0; i < items.size(); ++i) {
    std::string ipath = Index(path, i);
    if (items[i].IsNull()) return ctx.dec.Error(items[i], ipath, "empty or null section in kubernetes_sd_configs");
    OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, items[i], "kubernetes.SDConfig", ipath));
    KubernetesSdConfig kc;
    OMNI_RETURN_IF_ERROR(m.String("role", &kc.role));
    OMNI_RETURN_IF_ERROR(m.String("api_server", &kc.api_server));
    OMNI_RETURN_IF_ERROR(m.String("kubeconfig_file", &kc.kubeconfig_file));
    OMNI_RETURN_IF_ERROR(DecodeHttpClient(ctx, m, &kc.http_config));
    if (m.Has("namespaces")) {
      OMNI_ASSIGN_OR_RETURN(MapFields ns, MapFields::Open(&ctx.dec, m.Get("namespaces"), "kubernetes.NamespaceDiscovery",
                                                          m.PathOf("namespaces")));
      OMNI_RETURN_IF_ERROR(ns.StringList("names", &kc.namespaces));
      OMNI_RETURN_IF_ERROR(ns.Bool("own_namespace", &kc.own_namespace));
      OMNI_RETURN_IF_ERROR(ns.CheckUnknown());
    } else {
      m.Get("namespaces");
    }
    std::string spath = m.PathOf("selectors");
    OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> sels, DecodeSequence(ctx.dec, m.Get("selectors"), spath));
    std::set<std::string> seen_roles;
    for (size_t j = 0; j < sels.size(); ++j) {
      OMNI_ASSIGN_OR_RETURN(MapFields s, MapFields::Open(&ctx.dec, sels[j], "kubernetes.SelectorConfig", Index(spath, j)));
      KubernetesSelector sel;
      OMNI_RETURN_IF_ERROR(s.String("role", &sel.role));
      OMNI_RETURN_IF_ERROR(s.String("label", &sel.label));
      OMNI_RETURN_IF_ERROR(s.String("field", &sel.field));
      OMNI_RETURN_IF_ERROR(s.CheckUnknown());
      if (!seen_roles.insert(sel.role).second) {
        return s.Error("role", absl::StrCat("duplicated selector role: ", sel.role));
      }
      static const std::set<std::string> kSelectorRoles = {"pod", "service", "endpoints", "endpointslice", "node",
                                                           "ingress"};
      if (!kSelectorRoles.count(sel.role)) {
        return s.Error("role", absl::StrCat("unknown Kubernetes SD role \"", sel.role, "\""));
      }
      if (sel.role != "pod") return s.Error("role", "pod role supports only pod selectors");
      kc.selectors.push_back(std::move(sel));
    }
    if (m.Has("attach_metadata")) {
      OMNI_ASSIGN_OR_RETURN(MapFields am, MapFields::Open(&ctx.dec, m.Get("attach_metadata"), "kubernetes.AttachMetadataConfig",
                                                          m.PathOf("attach_metadata")));
      OMNI_RETURN_IF_ERROR(am.Bool("node", &kc.attach_metadata_node));
      OMNI_RETURN_IF_ERROR(am.CheckUnknown());
    } else {
      m.Get("attach_metadata");
    }
    OMNI_RETURN_IF_ERROR(m.CheckUnknown());

    static const std::set<std::string> kPrometheusRoles = {"pod", "service", "endpoints", "endpointslice", "node",
                                                           "ingress"};
    if (kc.role.empty()) {
      return ctx.dec.Error(items[i], ipath, "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)");
    }
    if (!kPrometheusRoles.count(kc.role)) {
      return m.Error("role", absl::StrCat("unknown Kubernetes SD role \"", kc.role, "\""));
    }
    if (kc.role != "pod") {
      return m.Error("role", absl::StrCat("kubernetes_sd_configs role \"", kc.role,
                                          "\" is not supported by OmniScope (only \"pod\" is implemented)"));
    }
    if (!kc.api_server.empty() && kc.api_server.find("://") == std::string::npos) {
      return m.Error("api_server", absl::StrCat("invalid api_server URL \"", kc.api_server, "\": missing scheme"));
    }
    if (!kc.kubeconfig_file.empty() && !kc.api_server.empty()) {
      return ctx.dec.Error(items[i], ipath, "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
    }
    if (!kc.kubeconfig_file.empty() && !IsDefaultHttpClient(kc.http_config)) {
      return ctx.dec.Error(items[i], ipath,
                           "cannot use a custom HTTP client configuration together with 'kubeconfig_file'");
    }
    if (kc.api_server.empty() && kc.kubeconfig_file.empty() && !IsDefaultHttpClient(kc.http_config)) {
      return ctx.dec.Error(items[i], ipath,
                           "to use custom HTTP client configuration please provide the 'api_server' URL explicitly");
    }
    if (!kc.api_server.empty() && kc.own_namespace) {
      return ctx.dec.Error(items[i], ipath, "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously");
    }
    if (!kc.kubeconfig_file.empty() && kc.own_namespace) {
      return ctx.dec.Error(items[i], ipath,
                           "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously");
    }
    ctx.paths.Resolve(&kc.kubeconfig_file);
    out->push_back(std::move(kc));
  }
  return absl::OkStatus();
}

// Service discovery mechanisms Prometheus has but OmniScope does not: named
// explicitly so the error says "not supported" instead of "not found".
constexpr std::string_view kUnsupportedSd[] = {
    "azure_sd_configs",  "consul_sd_configs",    "digitalocean_sd_configs", "docker_sd_configs",
    "dockerswarm_sd_configs", "dns_sd_configs",  "ec2_sd_configs",          "eureka_sd_configs",
    "gce_sd_configs",    "hetzner_sd_configs",   "http_sd_configs",         "ionos_sd_configs",
    "kuma_sd_configs",   "lightsail_sd_configs", "linode_sd_configs",       "marathon_sd_configs",
    "nerve_sd_configs",  "nomad_sd_configs",     "openstack_sd_configs",    "ovhcloud_sd_configs",
    "puppetdb_sd_configs", "scaleway_sd_configs", "serverset_sd_configs",   "triton_sd_configs",
    "uyuni_sd_configs",  "vultr_sd_configs"};

absl::Status RejectUnsupportedSd(MapFields& m) {
  for (std::string_view key : kUnsupportedSd) {
    if (m.Has(key)) return m.Error(key, absl::StrCat(AV(key), " is not supported by OmniScope (supported: "
                                                          "static_configs, file_sd_configs, kubernetes_sd_configs)"));
    m.Get(key);
  }
  return absl::OkStatus();
}

absl::Status DecodeScrapeConfig(Ctx& ctx, const YAML::Node& node, const std::string& path, ScrapeConfig* sc) {
  OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, node, "config.ScrapeConfig", path));
  sc->scrape_interval = absl::ZeroDuration();
  sc->scrape_timeout = absl::ZeroDuration();
  OMNI_RETURN_IF_ERROR(m.String("job_name", &sc->job_name));
  OMNI_RETURN_IF_ERROR(m.Bool("honor_labels", &sc->honor_labels));
  OMNI_RETURN_IF_ERROR(m.Bool("honor_timestamps", &sc->honor_timestamps));
  if (m.Has("params")) {
    YAML::Node params = m.Get("params");
    std::string ppath = m.PathOf("params");
    if (!params.IsMap()) return ctx.dec.Error(params, ppath, absl::StrCat("cannot unmarshal ", TagOf(params), " into url.Values"));
    for (auto it = params.begin(); it != params.end(); ++it) {
      OMNI_ASSIGN_OR_RETURN(std::string name, DecodeString(ctx.dec, it->first, ppath));
      OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> vals, DecodeSequence(ctx.dec, it->second, absl::StrCat(ppath, ".", name)));
      std::vector<std::string>& dst = sc->params[name];
      for (const YAML::Node& v : vals) {
        OMNI_ASSIGN_OR_RETURN(std::string s, DecodeString(ctx.dec, v, absl::StrCat(ppath, ".", name)));
        dst.push_back(std::move(s));
      }
    }
  } else {
    m.Get("params");
  }
  OMNI_RETURN_IF_ERROR(m.Duration("scrape_interval", &sc->scrape_interval));
  OMNI_RETURN_IF_ERROR(m.Duration("scrape_timeout", &sc->scrape_timeout));
  OMNI_RETURN_IF_ERROR(m.String("metrics_path", &sc->metrics_path));
  OMNI_RETURN_IF_ERROR(m.String("scheme", &sc->scheme));
  OMNI_RETURN_IF_ERROR(m.Uint("sample_limit", &sc->sample_limit));
  OMNI_RETURN_IF_ERROR(m.Uint("label_limit", &sc->label_limit));
  OMNI_RETURN_IF_ERROR(m.Uint("label_name_length_limit", &sc->label_name_length_limit));
  OMNI_RETURN_IF_ERROR(m.Uint("label_value_length_limit", &sc->label_value_length_limit));
  OMNI_RETURN_IF_ERROR(m.Uint("target_limit", &sc->target_limit));
  OMNI_RETURN_IF_ERROR(m.ByteSize("body_size_limit", &sc->body_size_limit));
  OMNI_RETURN_IF_ERROR(DecodeHttpClient(ctx, m, &sc->http_client));
  OMNI_RETURN_IF_ERROR(DecodeStaticConfigs(ctx, m, &sc->static_configs));
  OMNI_RETURN_IF_ERROR(DecodeFileSdConfigs(ctx, m, &sc->file_sd_configs));
  OMNI_RETURN_IF_ERROR(DecodeKubernetesSdConfigs(ctx, m, &sc->kubernetes_sd_configs));
  OMNI_RETURN_IF_ERROR(DecodeRelabelConfigs(ctx, m, "relabel_configs", &sc->relabel_configs));
  OMNI_RETURN_IF_ERROR(DecodeRelabelConfigs(ctx, m, "metric_relabel_configs", &sc->metric_relabel_configs));
  OMNI_RETURN_IF_ERROR(RejectUnsupportedSd(m));
  OMNI_RETURN_IF_ERROR(m.CheckUnknown());

  if (sc->job_name.empty()) return ctx.dec.Error(node, path, "job_name is empty");
  if (sc->scheme != "http" && sc->scheme != "https") {
    return m.Error("scheme", absl::StrCat("scheme \"", sc->scheme, "\" is not supported: must be http or https"));
  }
  return absl::OkStatus();
}

absl::Status DecodeGlobal(Ctx& ctx, const YAML::Node& node, GlobalConfig* g) {
  OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, node, "config.GlobalConfig", "global"));
  absl::Duration interval = absl::ZeroDuration(), timeout = absl::ZeroDuration(), eval = absl::ZeroDuration();
  OMNI_RETURN_IF_ERROR(m.Duration("scrape_interval", &interval));
  OMNI_RETURN_IF_ERROR(m.Duration("scrape_timeout", &timeout));
  OMNI_RETURN_IF_ERROR(m.Duration("evaluation_interval", &eval));
  OMNI_RETURN_IF_ERROR(m.LabelSet("external_labels", &g->external_labels));
  OMNI_RETURN_IF_ERROR(m.String("query_log_file", &g->query_log_file));
  OMNI_RETURN_IF_ERROR(m.CheckUnknown());
  for (const model::Label& l : g->external_labels) {
    if (l.name == model::kMetricName) return m.Error("external_labels", "\"__name__\" is not a valid label name");
  }
  const GlobalConfig defaults;
  g->scrape_interval = interval == absl::ZeroDuration() ? defaults.scrape_interval : interval;
  if (timeout > g->scrape_interval) {
    return m.Error("scrape_timeout", "global scrape timeout greater than scrape interval");
  }
  if (timeout == absl::ZeroDuration()) {
    timeout = defaults.scrape_timeout > g->scrape_interval ? g->scrape_interval : defaults.scrape_timeout;
  }
  g->scrape_timeout = timeout;
  g->evaluation_interval = eval == absl::ZeroDuration() ? defaults.evaluation_interval : eval;
  ctx.paths.Resolve(&g->query_log_file);
  return absl::OkStatus();
}

absl::Status DecodeAlerting(Ctx& ctx, const YAML::Node& node, AlertingConfig* a) {
  OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, node, "config.AlertingConfig", "alerting"));
  OMNI_RETURN_IF_ERROR(DecodeRelabelConfigs(ctx, m, "alert_relabel_configs", &a->alert_relabel_configs));
  std::string path = m.PathOf("alertmanagers");
  OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> items, DecodeSequence(ctx.dec, m.Get("alertmanagers"), path));
  OMNI_RETURN_IF_ERROR(m.CheckUnknown());
  for (size_t i = 0; i < items.size(); ++i) {
    std::string ipath = Index(path, i);
    OMNI_ASSIGN_OR_RETURN(MapFields am, MapFields::Open(&ctx.dec, items[i], "config.AlertmanagerConfig", ipath));
    AlertmanagerConfig ac;
    OMNI_RETURN_IF_ERROR(am.String("scheme", &ac.scheme));
    OMNI_RETURN_IF_ERROR(am.String("path_prefix", &ac.path_prefix));
    OMNI_RETURN_IF_ERROR(am.Duration("timeout", &ac.timeout));
    OMNI_RETURN_IF_ERROR(am.String("api_version", &ac.api_version));
    OMNI_RETURN_IF_ERROR(DecodeHttpClient(ctx, am, &ac.http_client));
    OMNI_RETURN_IF_ERROR(DecodeStaticConfigs(ctx, am, &ac.static_configs));
    OMNI_RETURN_IF_ERROR(DecodeFileSdConfigs(ctx, am, &ac.file_sd_configs));
    OMNI_RETURN_IF_ERROR(DecodeKubernetesSdConfigs(ctx, am, &ac.kubernetes_sd_configs));
    OMNI_RETURN_IF_ERROR(DecodeRelabelConfigs(ctx, am, "relabel_configs", &ac.relabel_configs));
    OMNI_RETURN_IF_ERROR(RejectUnsupportedSd(am));
    OMNI_RETURN_IF_ERROR(am.CheckUnknown());
    if (ac.api_version != "v1" && ac.api_version != "v2") {
      return am.Error("api_version",
                      absl::StrCat("expected Alertmanager api version to be one of [v1 v2] but got ", ac.api_version));
    }
    if (ac.scheme != "http" && ac.scheme != "https") {
      return am.Error("scheme", absl::StrCat("scheme \"", ac.scheme, "\" is not supported: must be http or https"));
    }
    a->alertmanagers.push_back(std::move(ac));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateGlobPattern(std::string_view pattern) {
  // filepath.Match's only syntax error is a malformed character class.
  int depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      ++i;
      if (i >= pattern.size()) return absl::InvalidArgumentError("syntax error in pattern");
    } else if (c == '[') {
      if (depth) return absl::InvalidArgumentError("syntax error in pattern");
      depth = 1;
    } else if (c == ']') {
      depth = 0;
    }
  }
  if (depth) return absl::InvalidArgumentError("syntax error in pattern");
  return absl::OkStatus();
}

absl::StatusOr<PrometheusConfig> ParsePrometheusConfig(std::string_view yaml, std::string_view filename) {
  Ctx ctx{YamlDecoder(std::string(filename)), PathResolver(filename)};
  PrometheusConfig cfg;
  cfg.original_yaml = std::string(yaml);
  cfg.source_path = std::string(filename);
  YAML::Node root;
  try {
    root = YAML::Load(cfg.original_yaml);
  } catch (const YAML::Exception& e) {
    return ctx.dec.ErrorAtMark(e.mark, "", absl::StrCat("invalid YAML: ", e.msg));
  }
  try {
    OMNI_ASSIGN_OR_RETURN(MapFields m, MapFields::Open(&ctx.dec, root, "config.Config", ""));
    if (m.Has("global")) {
      OMNI_RETURN_IF_ERROR(DecodeGlobal(ctx, m.Get("global"), &cfg.global));
    } else {
      m.Get("global");
      OMNI_RETURN_IF_ERROR(DecodeGlobal(ctx, YAML::Node(), &cfg.global));
    }
    OMNI_RETURN_IF_ERROR(m.StringList("rule_files", &cfg.rule_files));
    for (std::string& rf : cfg.rule_files) {
      absl::Status st = ValidateGlobPattern(rf);
      if (!st.ok()) return m.Error("rule_files", absl::StrCat("invalid rule file path \"", rf, "\""));
      ctx.paths.Resolve(&rf);
    }
    if (m.Has("alerting")) OMNI_RETURN_IF_ERROR(DecodeAlerting(ctx, m.Get("alerting"), &cfg.alerting));
    m.Get("alerting");
    // Accepted but not acted upon; they stay in original_yaml.
    for (std::string_view key : {"remote_write", "remote_read"}) {
      YAML::Node n = m.Get(key);
      if (n.IsDefined() && !n.IsNull() && !n.IsSequence()) {
        return m.Error(key, absl::StrCat("cannot unmarshal ", TagOf(n), " into a list"));
      }
    }
    for (std::string_view key : {"storage", "tracing"}) {
      YAML::Node n = m.Get(key);
      if (n.IsDefined() && !n.IsNull() && !n.IsMap()) {
        return m.Error(key, absl::StrCat("cannot unmarshal ", TagOf(n), " into config.", AV(key)));
      }
    }
    std::string spath = "scrape_configs";
    OMNI_ASSIGN_OR_RETURN(std::vector<YAML::Node> items, DecodeSequence(ctx.dec, m.Get("scrape_configs"), spath));
    OMNI_RETURN_IF_ERROR(m.CheckUnknown());
    std::set<std::string> jobs;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string ipath = Index(spath, i);
      if (items[i].IsNull()) return ctx.dec.Error(items[i], ipath, "empty or null scrape config section");
      ScrapeConfig sc;
      OMNI_RETURN_IF_ERROR(DecodeScrapeConfig(ctx, items[i], ipath, &sc));
      if (sc.scrape_interval == absl::ZeroDuration()) sc.scrape_interval = cfg.global.scrape_interval;
      if (sc.scrape_timeout > sc.scrape_interval) {
        return ctx.dec.Error(items[i], ipath,
                             absl::StrCat("scrape timeout greater than scrape interval for scrape config with job name \"",
                                          sc.job_name, "\""));
      }
      if (sc.scrape_timeout == absl::ZeroDuration()) {
        sc.scrape_timeout = cfg.global.scrape_timeout > sc.scrape_interval ? sc.scrape_interval : cfg.global.scrape_timeout;
      }
      if (!jobs.insert(sc.job_name).second) {
        return ctx.dec.Error(items[i], ipath,
                             absl::StrCat("found multiple scrape configs with job name \"", sc.job_name, "\""));
      }
      cfg.scrape_configs.push_back(std::move(sc));
    }
  } catch (const YAML::Exception& e) {
    return ctx.dec.ErrorAtMark(e.mark, "", absl::StrCat("invalid YAML: ", e.msg));
  }
  return cfg;
}

absl::StatusOr<PrometheusConfig> LoadPrometheusConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParsePrometheusConfig(ss.str(), path);
}

}  // namespace omni::config
