#include "libs/alerting/notify/notify.h"

#include <curl/curl.h>
#include <openssl/sha.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "libs/common/go_time.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "libs/httpapi/request.h"
#include "libs/json/json_value.h"
#include "libs/json/json_writer.h"

namespace omni::alerting::notify {
namespace {

constexpr const char* kIntegrations[] = {"email", "pagerduty", "webhook", "slack", "opsgenie", "wechat",
                                          "pushover", "victorops", "sns", "telegram"};

std::string ReadFileTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripTrailingAsciiWhitespace(ss.str()));
}

size_t WriteToString(char* ptr, size_t size, size_t nmemb, void* user) {
  static_cast<std::string*>(user)->append(ptr, size * nmemb);
  return size * nmemb;
}

void ApplyTls(CURL* c, const config::TlsConfig& tls) {
  if (tls.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!tls.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, tls.cert_file.c_str());
  if (!tls.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, tls.key_file.c_str());
}

// One easy handle per thread, reused across requests: libcurl keeps the
// handle's connections alive, so a flush thread that notifies the same
// receiver again skips the TCP (and TLS) handshake, as Go's pooled client does.
CURL* ThreadCurlHandle() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
  struct Handle {
    CURL* curl = curl_easy_init();
    ~Handle() {
      if (curl != nullptr) curl_easy_cleanup(curl);
    }
  };
  thread_local Handle handle;
  return handle.curl;
}

// Runs `fn` timing and counting it as AM's metricsNotifier wrapper does.
absl::Status Measured(NotifyMetrics* m, const char* integration, const std::function<absl::Status()>& fn) {
  absl::Time start = absl::Now();
  absl::Status st = fn();
  if (m != nullptr) {
    m->total->WithLabelValues({integration})->Inc();
    m->latency->WithLabelValues({integration})->Observe(absl::ToDoubleSeconds(absl::Now() - start));
    if (!st.ok()) m->failed->WithLabelValues({integration})->Inc();
  }
  return st;
}

// Writes a label set or annotations as a JSON object (Go map[string]string).
template <typename Pairs>
void WriteLabels(json::JsonWriter& w, const Pairs& ls) {
  w.BeginObject();
  for (const auto& l : ls) w.KeyString(l.name, l.value);
  w.EndObject();
}

template <typename Pairs>
tmpl::alertmanager::KV ToKV(const Pairs& ls) {
  tmpl::alertmanager::KV kv;
  for (const auto& l : ls) kv[l.name] = l.value;
  return kv;
}

tmpl::TimeValue ToTimeValue(absl::Time t) {
  if (IsZeroTime(t)) return tmpl::TimeValue::Zero();
  return tmpl::TimeValue::FromUnixNanos(absl::ToUnixNanos(t));
}

// Truncates to at most n runes (AM's notify.TruncateInRunes, with "…").
std::string TruncateRunes(const std::string& s, size_t n) {
  size_t runes = 0;
  for (unsigned char ch : s) runes += (ch & 0xC0) != 0x80;
  if (runes <= n) return s;
  size_t kept = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (kept == n - 1) break;
      ++kept;
    }
  }
  return s.substr(0, i) + "\xE2\x80\xA6";
}

class Renderer {
 public:
  Renderer(const tmpl::alertmanager::Template* t, const NotificationData& d) : t_(t), v_(ToTemplateData(d).ToValue()) {}
  std::string Text(const std::string& s) {
    if (!err_.ok() || s.empty()) return "";
    auto r = t_->ExecuteTextString(s, v_);
    if (!r.ok()) {
      err_ = r.status();
      return "";
    }
    return *r;
  }
  std::string Html(const std::string& s) {
    if (!err_.ok() || s.empty()) return "";
    auto r = t_->ExecuteHTMLString(s, v_);
    if (!r.ok()) {
      err_ = r.status();
      return "";
    }
    return *r;
  }
  const absl::Status& status() const { return err_; }

 private:
  const tmpl::alertmanager::Template* t_;
  tmpl::TemplateValue v_;
  absl::Status err_;
};

std::string Sha256Hex(std::string_view s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  std::string out;
  for (unsigned char b : md) absl::StrAppendFormat(&out, "%02x", b);
  return out;
}

std::string QuotedPrintable(std::string_view s) {
  std::string out;
  size_t line = 0;
  auto put = [&](std::string_view piece) {
    if (line + piece.size() > 75) {
      out += "=\r\n";
      line = 0;
    }
    out.append(piece);
    line += piece.size();
  };
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char ch = s[i];
    if (ch == '\n') {
      out += "\r\n";
      line = 0;
    } else if (ch == '\r') {
      continue;
    } else if ((ch >= 33 && ch <= 126 && ch != '=') ||
               ((ch == ' ' || ch == '\t') && i + 1 < s.size() && s[i + 1] != '\n' && s[i + 1] != '\r')) {
      put(std::string_view(reinterpret_cast<const char*>(&s[i]), 1));
    } else {
      put(absl::StrFormat("=%02X", ch));
    }
  }
  return out;
}

}  // namespace

NotifyMetrics::NotifyMetrics(selfmetrics::Registry& r)
    : total(r.AddCounterVec("alertmanager_notifications_total", "The total number of attempted notifications.",
                            {"integration"})),
      failed(r.AddCounterVec("alertmanager_notifications_failed_total",
                             "The total number of failed notifications.", {"integration"})),
      latency(r.AddHistogramVec("alertmanager_notification_latency_seconds",
                                "The latency of notifications in seconds.", {"integration"},
                                {1, 5, 10, 15, 20})) {
  for (const char* i : kIntegrations) {
    total->WithLabelValues({i});
    failed->WithLabelValues({i});
    latency->WithLabelValues({i});
  }
}

namespace {

struct OAuth2Token {
  std::string type;  // as sent in the Authorization header
  std::string access_token;
  absl::Time expiry = absl::InfiniteFuture();
};

// Go's oauth2.Token.Type(): the token_type, with the common spellings
// canonicalised and "Bearer" when absent.
std::string CanonicalTokenType(const std::string& t) {
  if (t.empty() || absl::EqualsIgnoreCase(t, "bearer")) return "Bearer";
  if (absl::EqualsIgnoreCase(t, "mac")) return "MAC";
  if (absl::EqualsIgnoreCase(t, "basic")) return "Basic";
  return std::string(t);
}

// Client-credentials tokens (RFC 6749 section 4.4), cached per oauth2 block
// until 10 s before they expire, as golang.org/x/oauth2/clientcredentials
// (which Prometheus' http_config uses) does.
class OAuth2TokenCache {
 public:
  absl::StatusOr<OAuth2Token> Get(const config::OAuth2& o, absl::Duration timeout) {
    std::string secret = o.client_secret_file.empty() ? o.client_secret : ReadFileTrimmed(o.client_secret_file);
    std::string key = absl::StrCat(o.token_url, "\x01", o.client_id, "\x01", secret, "\x01",
                                   absl::StrJoin(o.scopes, " "));
    for (const auto& [k, v] : o.endpoint_params) absl::StrAppend(&key, "\x01", k, "=", v);
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = tokens_.find(key);
      if (it != tokens_.end() && absl::Now() + absl::Seconds(10) < it->second.expiry) return it->second;
    }
    OMNI_ASSIGN_OR_RETURN(OAuth2Token t, Fetch(o, secret, timeout));
    std::lock_guard<std::mutex> l(mu_);
    tokens_[key] = t;
    return t;
  }

 private:
  static absl::StatusOr<OAuth2Token> Fetch(const config::OAuth2& o, const std::string& secret,
                                           absl::Duration timeout) {
    std::string form = "grant_type=client_credentials";
    if (!o.scopes.empty()) absl::StrAppend(&form, "&scope=", httpapi::UrlEncode(absl::StrJoin(o.scopes, " ")));
    for (const auto& [k, v] : o.endpoint_params) {
      absl::StrAppend(&form, "&", httpapi::UrlEncode(k), "=", httpapi::UrlEncode(v));
    }
    config::HttpConfig hc;
    hc.tls_config = o.tls_config;
    hc.proxy_url = o.proxy_url;
    // Like Go's AuthStyleAutoDetect: credentials in a basic auth header first
    // (query-escaped, per RFC 6749 section 2.3.1), then in the form body.
    hc.basic_auth = config::BasicAuth{httpapi::UrlEncode(o.client_id), httpapi::UrlEncode(secret), ""};
    HttpResult r = HttpPost(hc, o.token_url, "application/x-www-form-urlencoded", form, timeout);
    if (r.status / 100 != 2 && r.status != 0) {
      hc.basic_auth.reset();
      r = HttpPost(hc, o.token_url, "application/x-www-form-urlencoded",
                   absl::StrCat(form, "&client_id=", httpapi::UrlEncode(o.client_id),
                                "&client_secret=", httpapi::UrlEncode(secret)),
                   timeout);
    }
    if (r.status == 0) return absl::UnavailableError(absl::StrCat("oauth2: cannot fetch token: ", r.error));
    if (r.status / 100 != 2) {
      std::string body = r.body.size() > 512 ? r.body.substr(0, 512) : r.body;
      return absl::UnavailableError(
          absl::StrFormat("oauth2: cannot fetch token: %d\nResponse: %s", r.status, body));
    }
    auto v = json::Parse(r.body);
    if (!v.ok() || !v->IsObject()) {
      return absl::UnavailableError("oauth2: cannot parse token response: not a JSON object");
    }
    OAuth2Token t;
    t.access_token = v->GetString("access_token");
    if (t.access_token.empty()) return absl::UnavailableError("oauth2: server response missing access_token");
    t.type = CanonicalTokenType(v->GetString("token_type"));
    // expires_in is a number of seconds; some servers send it as a string.
    double expires_in = 0;
    if (const json::JsonValue* e = v->Find("expires_in")) {
      if (e->IsNumber()) {
        expires_in = e->AsDouble();
      } else if (e->IsString()) {
        (void)absl::SimpleAtod(e->AsString(), &expires_in);
      }
    }
    if (expires_in > 0) t.expiry = absl::Now() + absl::Seconds(expires_in);
    return t;
  }

  std::mutex mu_;
  absl::flat_hash_map<std::string, OAuth2Token> tokens_;
};

OAuth2TokenCache& TokenCache() {
  static OAuth2TokenCache* cache = new OAuth2TokenCache();
  return *cache;
}

}  // namespace

HttpResult HttpPost(const config::HttpConfig& hc, const std::string& url, const std::string& content_type,
                    const std::string& body, absl::Duration timeout) {
  HttpResult res;
  // Fetched before this thread's curl handle is set up: the token request
  // uses the same handle.
  std::string oauth2_auth;
  if (hc.oauth2) {
    absl::StatusOr<OAuth2Token> tok = TokenCache().Get(*hc.oauth2, timeout);
    if (!tok.ok()) {
      res.error = std::string(tok.status().message());
      return res;
    }
    oauth2_auth = absl::StrCat("Authorization: ", tok->type, " ", tok->access_token);
  }
  CURL* c = ThreadCurlHandle();
  if (c == nullptr) {
    res.error = "curl_easy_init failed";
    return res;
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  headers = curl_slist_append(headers, "User-Agent: Alertmanager/0.25.0");
  // Go's client never waits for "100 Continue"; neither do we (libcurl would
  // for bodies over 1 kB, costing a round trip per notification).
  headers = curl_slist_append(headers, "Expect:");
  std::string auth;
  if (hc.authorization) {
    std::string cred = hc.authorization->credentials;
    if (!hc.authorization->credentials_file.empty()) cred = ReadFileTrimmed(hc.authorization->credentials_file);
    auth = absl::StrCat("Authorization: ", hc.authorization->type.empty() ? "Bearer" : hc.authorization->type, " ",
                        cred);
  } else if (!hc.bearer_token.empty() || !hc.bearer_token_file.empty()) {
    auth = absl::StrCat("Authorization: Bearer ",
                        hc.bearer_token_file.empty() ? hc.bearer_token : ReadFileTrimmed(hc.bearer_token_file));
  }
  if (!oauth2_auth.empty()) auth = std::move(oauth2_auth);
  if (!auth.empty()) headers = curl_slist_append(headers, auth.c_str());
  std::string user, pass;
  if (hc.basic_auth) {
    user = hc.basic_auth->username;
    pass = hc.basic_auth->password_file.empty() ? hc.basic_auth->password
                                                : ReadFileTrimmed(hc.basic_auth->password_file);
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, pass.c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteToString);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &res.body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, hc.follow_redirects ? 1L : 0L);
  if (!hc.proxy_url.empty()) curl_easy_setopt(c, CURLOPT_PROXY, hc.proxy_url.c_str());
  ApplyTls(c, hc.tls_config);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    res.error = errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc);
  } else {
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    res.status = static_cast<int>(code);
  }
  curl_slist_free_all(headers);
  // Drop the per-request options (they point at this frame's strings) but
  // keep the handle's connection cache for the next notification.
  curl_easy_reset(c);
  return res;
}

absl::Status CheckHttpResult(const HttpResult& r, std::string_view integration, bool& retry) {
  if (r.status == 0) {
    retry = true;
    return absl::UnavailableError(absl::StrCat(std::string(integration), ": ", r.error));
  }
  if (r.status / 100 == 2) {
    retry = false;
    return absl::OkStatus();
  }
  retry = r.status / 100 == 5 || r.status == 429;
  std::string body = r.body.size() > 1024 ? r.body.substr(0, 1024) : r.body;
  return absl::Status(retry ? absl::StatusCode::kUnavailable : absl::StatusCode::kFailedPrecondition,
                      absl::StrFormat("unexpected status code %d: %s", r.status, body));
}

std::string GoTimeString(absl::Time t) {
  if (IsZeroTime(t)) return "0001-01-01T00:00:00Z";
  return common::FormatRfc3339Nano(t);
}

tmpl::alertmanager::Data ToTemplateData(const NotificationData& d) {
  tmpl::alertmanager::Data out;
  out.receiver = d.receiver;
  out.status = d.status;
  out.group_labels = ToKV(d.group_labels);
  out.common_labels = ToKV(d.common_labels);
  out.common_annotations = ToKV(d.common_annotations);
  out.external_url = d.external_url;
  for (const AlertData& a : d.alerts) {
    tmpl::alertmanager::Alert ta;
    ta.status = a.status;
    ta.labels = ToKV(a.labels);
    ta.annotations = ToKV(a.annotations);
    ta.starts_at = ToTimeValue(a.starts_at);
    ta.ends_at = ToTimeValue(a.ends_at);
    ta.generator_url = a.generator_url;
    ta.fingerprint = a.fingerprint;
    out.alerts.push_back(std::move(ta));
  }
  return out;
}

std::string WebhookPayload(const NotifyContext& ctx, const std::vector<Alert>& alerts, const std::string& external_url,
                           uint64_t max_alerts) {
  uint64_t truncated = 0;
  std::vector<Alert> kept;  // a copy only when truncating
  if (max_alerts != 0 && alerts.size() > max_alerts) {
    truncated = alerts.size() - max_alerts;
    kept.assign(alerts.begin(), alerts.begin() + static_cast<ptrdiff_t>(max_alerts));
  }
  // Built from the sent alerts only, as AM's webhook notifier does.
  NotificationData d =
      BuildNotificationData(ctx.receiver_name, ctx.group_labels, truncated > 0 ? kept : alerts, ctx.now, external_url);
  std::string out;
  json::JsonWriter w(&out);
  w.BeginObject();
  w.KeyString("receiver", d.receiver);
  w.KeyString("status", d.status);
  w.Key("alerts");
  w.BeginArray();
  for (const AlertData& a : d.alerts) {
    w.BeginObject();
    w.KeyString("status", a.status);
    w.Key("labels");
    WriteLabels(w, a.labels);
    w.Key("annotations");
    WriteLabels(w, a.annotations);
    w.KeyString("startsAt", GoTimeString(a.starts_at));
    w.KeyString("endsAt", GoTimeString(a.ends_at));
    w.KeyString("generatorURL", a.generator_url);
    w.KeyString("fingerprint", a.fingerprint);
    w.EndObject();
  }
  w.EndArray();
  w.Key("groupLabels");
  WriteLabels(w, d.group_labels);
  w.Key("commonLabels");
  WriteLabels(w, d.common_labels);
  w.Key("commonAnnotations");
  WriteLabels(w, d.common_annotations);
  w.KeyString("externalURL", d.external_url);
  w.KeyString("version", "4");
  w.KeyString("groupKey", ctx.group_key);
  w.Key("truncatedAlerts");
  w.Uint(truncated);
  w.EndObject();
  out.push_back('\n');  // json.Encoder appends a newline
  return out;
}

absl::Status WebhookNotifier::Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) {
  return Measured(m_, "webhook", [&]() -> absl::Status {
    std::string url = cfg_.url_file.empty() ? cfg_.url : ReadFileTrimmed(cfg_.url_file);
    HttpResult r =
        HttpPost(cfg_.http_config, url, "application/json", WebhookPayload(ctx, alerts, external_url_, cfg_.max_alerts));
    return CheckHttpResult(r, "webhook", retry);
  });
}

absl::StatusOr<std::string> SlackNotifier::Payload(const NotificationData& d) const {
  Renderer r(tmpl_, d);
  std::string out;
  json::JsonWriter w(&out);
  w.BeginObject();
  auto opt = [&](const char* k, const std::string& v) {
    if (!v.empty()) w.KeyString(k, v);
  };
  opt("channel", r.Text(cfg_.channel));
  // AM's DefaultSlackConfig sets username to slack.default.username; the
  // config module leaves it empty when absent.
  opt("username", r.Text(cfg_.username.empty() ? R"({{ template "slack.default.username" . }})" : cfg_.username));
  opt("icon_emoji", r.Text(cfg_.icon_emoji));
  opt("icon_url", r.Text(cfg_.icon_url));
  if (cfg_.link_names) w.KeyBool("link_names", true);
  w.Key("attachments");
  w.BeginArray();
  w.BeginObject();
  opt("title", TruncateRunes(r.Text(cfg_.title), 1024));
  opt("title_link", r.Text(cfg_.title_link));
  opt("pretext", r.Text(cfg_.pretext));
  w.KeyString("text", r.Text(cfg_.text));
  w.KeyString("fallback", r.Text(cfg_.fallback));
  w.KeyString("callback_id", r.Text(cfg_.callback_id));
  if (!cfg_.fields.empty()) {
    w.Key("fields");
    w.BeginArray();
    for (const auto& f : cfg_.fields) {
      w.BeginObject();
      w.KeyString("title", r.Text(f.title));
      w.KeyString("value", r.Text(f.value));
      w.KeyBool("short", f.short_field.value_or(cfg_.short_fields));
      w.EndObject();
    }
    w.EndArray();
  }
  if (!cfg_.actions.empty()) {
    w.Key("actions");
    w.BeginArray();
    for (const auto& a : cfg_.actions) {
      w.BeginObject();
      w.KeyString("type", r.Text(a.type));
      w.KeyString("text", r.Text(a.text));
      opt("url", r.Text(a.url));
      opt("style", r.Text(a.style));
      opt("name", r.Text(a.name));
      opt("value", r.Text(a.value));
      if (a.confirm) {
        w.Key("confirm");
        w.BeginObject();
        w.KeyString("text", r.Text(a.confirm->text));
        opt("title", r.Text(a.confirm->title));
        opt("ok_text", r.Text(a.confirm->ok_text));
        opt("dismiss_text", r.Text(a.confirm->dismiss_text));
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndArray();
  }
  opt("image_url", r.Text(cfg_.image_url));
  opt("thumb_url", r.Text(cfg_.thumb_url));
  w.KeyString("footer", r.Text(cfg_.footer));
  opt("color", r.Text(cfg_.color));
  if (!cfg_.mrkdwn_in.empty()) {
    w.Key("mrkdwn_in");
    w.BeginArray();
    for (const auto& m : cfg_.mrkdwn_in) w.String(m);
    w.EndArray();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  out.push_back('\n');
  if (!r.status().ok()) return r.status();
  return out;
}

absl::Status SlackNotifier::Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) {
  return Measured(m_, "slack", [&]() -> absl::Status {
    NotificationData d = BuildNotificationData(ctx.receiver_name, ctx.group_labels, alerts, ctx.now, external_url_);
    auto body = Payload(d);
    if (!body.ok()) {
      retry = false;
      return body.status();
    }
    std::string url = cfg_.api_url_file.empty() ? cfg_.api_url : ReadFileTrimmed(cfg_.api_url_file);
    return CheckHttpResult(HttpPost(cfg_.http_config, url, "application/json", *body), "slack", retry);
  });
}

std::string PagerdutyNotifier::Url() const {
  if (!cfg_.service_key.empty() || !cfg_.service_key_file.empty())
    return "https://events.pagerduty.com/generic/2010-04-15/create_event.json";
  return cfg_.url.empty() ? "https://events.pagerduty.com/v2/enqueue" : cfg_.url;
}

absl::StatusOr<std::string> PagerdutyNotifier::Payload(const NotificationData& d, const std::string& group_key) const {
  Renderer r(tmpl_, d);
  bool v1 = !cfg_.service_key.empty() || !cfg_.service_key_file.empty();
  bool firing = d.status == "firing";
  std::string out;
  json::JsonWriter w(&out);
  auto opt = [&](const char* k, const std::string& v) {
    if (!v.empty()) w.KeyString(k, v);
  };
  std::map<std::string, std::string> details;
  for (const auto& [k, v] : cfg_.details) details[k] = r.Text(v);
  auto write_details = [&](const char* key) {
    if (details.empty()) return;
    w.Key(key);
    w.BeginObject();
    for (const auto& [k, v] : details) w.KeyString(k, v);
    w.EndObject();
  };
  std::string key = Sha256Hex(group_key);
  w.BeginObject();
  if (v1) {
    std::string sk = cfg_.service_key_file.empty() ? cfg_.service_key : ReadFileTrimmed(cfg_.service_key_file);
    w.KeyString("service_key", sk);
    w.KeyString("incident_key", key);
    w.KeyString("event_type", firing ? "trigger" : "resolve");
    opt("description", TruncateRunes(r.Text(cfg_.description), 1024));
    w.KeyString("event_action", "");
    w.Key("payload");
    w.Null();
    if (firing) {
      opt("client", r.Text(cfg_.client));
      opt("client_url", r.Text(cfg_.client_url));
    }
    write_details("details");
  } else {
    std::string rk = cfg_.routing_key_file.empty() ? cfg_.routing_key : ReadFileTrimmed(cfg_.routing_key_file);
    w.KeyString("routing_key", rk);
    w.KeyString("dedup_key", key);
    w.KeyString("event_action", firing ? "trigger" : "resolve");
    w.Key("payload");
    w.BeginObject();
    w.KeyString("summary", TruncateRunes(r.Text(cfg_.description), 1024));
    std::string client = r.Text(cfg_.client);
    std::string source = cfg_.source.empty() ? client : r.Text(cfg_.source);
    w.KeyString("source", source);
    w.KeyString("severity", r.Text(cfg_.severity));
    opt("class", r.Text(cfg_.class_));
    opt("component", r.Text(cfg_.component));
    opt("group", r.Text(cfg_.group));
    write_details("custom_details");
    w.EndObject();
    opt("client", client);
    opt("client_url", r.Text(cfg_.client_url));
    if (!cfg_.images.empty()) {
      w.Key("images");
      w.BeginArray();
      for (const auto& i : cfg_.images) {
        w.BeginObject();
        w.KeyString("src", r.Text(i.src));
        w.KeyString("alt", r.Text(i.alt));
        w.KeyString("href", r.Text(i.href));
        w.EndObject();
      }
      w.EndArray();
    }
    if (!cfg_.links.empty()) {
      w.Key("links");
      w.BeginArray();
      for (const auto& l : cfg_.links) {
        w.BeginObject();
        w.KeyString("href", r.Text(l.href));
        w.KeyString("text", r.Text(l.text));
        w.EndObject();
      }
      w.EndArray();
    }
  }
  w.EndObject();
  out.push_back('\n');
  if (!r.status().ok()) return r.status();
  return out;
}

absl::Status PagerdutyNotifier::Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) {
  return Measured(m_, "pagerduty", [&]() -> absl::Status {
    NotificationData d = BuildNotificationData(ctx.receiver_name, ctx.group_labels, alerts, ctx.now, external_url_);
    auto body = Payload(d, ctx.group_key);
    if (!body.ok()) {
      retry = false;
      return body.status();
    }
    return CheckHttpResult(HttpPost(cfg_.http_config, Url(), "application/json", *body), "pagerduty", retry);
  });
}

absl::StatusOr<std::string> EmailNotifier::Message(const NotificationData& d, absl::Time now,
                                                   const std::string& boundary,
                                                   const std::string& message_id) const {
  Renderer r(tmpl_, d);
  std::string msg;
  bool has_date = false, has_mid = false;
  for (const auto& [name, value] : cfg_.headers) {
    std::string v = r.Text(value);
    if (absl::EqualsIgnoreCase(name, "Date")) has_date = true;
    if (absl::EqualsIgnoreCase(name, "Message-Id")) has_mid = true;
    // Header values are single lines (AM uses mime.QEncoding for non-ASCII).
    bool ascii = true;
    for (unsigned char ch : v) ascii &= ch < 0x80;
    if (!ascii) {
      std::string enc;
      for (unsigned char ch : v) {
        if (ch >= 33 && ch <= 126 && ch != '=' && ch != '?' && ch != '_') enc.push_back(static_cast<char>(ch));
        else if (ch == ' ') enc.push_back('_');
        else absl::StrAppendFormat(&enc, "=%02X", ch);
      }
      v = "=?utf-8?q?" + enc + "?=";
    }
    absl::StrAppend(&msg, name, ": ", v, "\r\n");
  }
  // Same order as AM: Message-Id, Date, Content-Type, MIME-Version.
  if (!has_mid) absl::StrAppend(&msg, "Message-Id: ", message_id, "\r\n");
  if (!has_date) absl::StrAppend(&msg, "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", now, absl::UTCTimeZone()), "\r\n");
  std::string text = r.Text(cfg_.text);
  std::string html = r.Html(cfg_.html);
  absl::StrAppend(&msg, "Content-Type: multipart/alternative;  boundary=", boundary, "\r\n");
  absl::StrAppend(&msg, "MIME-Version: 1.0\r\n\r\n");
  if (!text.empty()) {
    absl::StrAppend(&msg, "--", boundary, "\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                    "Content-Type: text/plain; charset=UTF-8\r\n\r\n", QuotedPrintable(text), "\r\n");
  }
  if (!html.empty()) {
    absl::StrAppend(&msg, "--", boundary, "\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                    "Content-Type: text/html; charset=UTF-8\r\n\r\n", QuotedPrintable(html), "\r\n");
  }
  absl::StrAppend(&msg, "--", boundary, "--\r\n");
  if (!r.status().ok()) return r.status();
  return msg;
}

namespace {
struct ReadState {
  const std::string* data;
  size_t pos = 0;
};
size_t ReadFromString(char* buf, size_t size, size_t nmemb, void* user) {
  auto* st = static_cast<ReadState*>(user);
  size_t n = std::min(size * nmemb, st->data->size() - st->pos);
  memcpy(buf, st->data->data() + st->pos, n);
  st->pos += n;
  return n;
}
// Extracts the address from "Name <a@b>" or "a@b".
std::string Address(std::string s) {
  size_t lt = s.rfind('<');
  size_t gt = s.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) s = s.substr(lt + 1, gt - lt - 1);
  absl::StripAsciiWhitespace(&s);
  return s;
}
}  // namespace

absl::Status EmailNotifier::Notify(const NotifyContext& ctx, const std::vector<Alert>& alerts, bool& retry) {
  return Measured(m_, "email", [&]() -> absl::Status {
    retry = true;  // AM retries every SMTP failure
    NotificationData d = BuildNotificationData(ctx.receiver_name, ctx.group_labels, alerts, ctx.now, external_url_);
    static std::atomic<uint64_t> seq{0};
    std::mt19937_64 rng(std::random_device{}());
    std::string boundary = absl::StrFormat("%016x%016x", rng(), rng());
    char hostname[256] = "localhost";
    gethostname(hostname, sizeof(hostname) - 1);
    std::string mid = absl::StrFormat("<%d.%d@%s>", absl::ToUnixNanos(absl::Now()), rng() + ++seq, hostname);
    auto msg = Message(d, absl::Now(), boundary, mid);
    if (!msg.ok()) {
      retry = false;
      return msg.status();
    }
    Renderer r(tmpl_, d);
    std::string to = r.Text(cfg_.to), from = r.Text(cfg_.from);
    OMNI_RETURN_IF_ERROR(r.status());
    std::string host = cfg_.smarthost;
    bool implicit_tls = absl::EndsWith(host, ":465");
    std::string url = absl::StrCat(implicit_tls ? "smtps://" : "smtp://", host, "/", cfg_.hello);
    CURL* c = curl_easy_init();
    if (c == nullptr) return absl::InternalError("curl_easy_init failed");
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* rcpts = nullptr;
    for (const std::string& a : std::vector<std::string>(absl::StrSplit(to, ','))) {
      std::string addr = Address(a);
      if (!addr.empty()) rcpts = curl_slist_append(rcpts, ("<" + addr + ">").c_str());
    }
    std::string mail_from = "<" + Address(from) + ">";
    std::string password = cfg_.auth_password_file.empty() ? cfg_.auth_password : ReadFileTrimmed(cfg_.auth_password_file);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    if (!implicit_tls && cfg_.require_tls.value_or(true)) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!cfg_.auth_username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, cfg_.auth_username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
    }
    ApplyTls(c, cfg_.tls_config);
    ReadState rs{&*msg};
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadFromString);
    curl_easy_setopt(c, CURLOPT_READDATA, &rs);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
      return absl::UnavailableError(absl::StrCat("email: ", errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc)));
    retry = false;
    return absl::OkStatus();
  });
}

absl::StatusOr<Receivers> BuildReceivers(const config::Config& cfg, const tmpl::alertmanager::Template& t,
                                         const std::string& external_url, NotifyMetrics* metrics) {
  Receivers out;
  for (const config::Receiver& rc : cfg.receivers) {
    auto& list = out.integrations[rc.name];
    auto add = [&](const char* name, uint32_t idx, bool send_resolved, std::unique_ptr<Notifier> n) {
      list.push_back(Integration{name, idx, send_resolved, n.get()});
      out.notifiers.push_back(std::move(n));
    };
    for (uint32_t i = 0; i < rc.webhook_configs.size(); ++i)
      add("webhook", i, rc.webhook_configs[i].send_resolved,
          std::make_unique<WebhookNotifier>(rc.webhook_configs[i], external_url, metrics));
    for (uint32_t i = 0; i < rc.slack_configs.size(); ++i)
      add("slack", i, rc.slack_configs[i].send_resolved,
          std::make_unique<SlackNotifier>(rc.slack_configs[i], &t, external_url, metrics));
    for (uint32_t i = 0; i < rc.pagerduty_configs.size(); ++i)
      add("pagerduty", i, rc.pagerduty_configs[i].send_resolved,
          std::make_unique<PagerdutyNotifier>(rc.pagerduty_configs[i], &t, external_url, metrics));
    for (uint32_t i = 0; i < rc.email_configs.size(); ++i)
      add("email", i, rc.email_configs[i].send_resolved,
          std::make_unique<EmailNotifier>(rc.email_configs[i], &t, external_url, metrics));
    for (const auto& o : rc.other_configs)
      OMNI_LOG(kWarn, "notify").Msg("Integration type not supported; ignored").Kv("receiver", rc.name).Kv("type", o.type);
  }
  return out;
}

}  // namespace omni::alerting::notify
