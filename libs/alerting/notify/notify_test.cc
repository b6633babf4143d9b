#include "libs/alerting/notify/notify.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/alerting/notify/testing/smtp_sink.h"
#include "libs/httpapi/http_server.h"
#include "libs/httpapi/router.h"
#include "libs/json/json_value.h"

namespace omni::alerting::notify {
namespace {

// A local HTTP sink recording request bodies and answering with a set status.
struct Sink {
  httpapi::Router router;
  std::unique_ptr<httpapi::HttpServer> server;
  std::mutex mu;
  std::vector<std::string> bodies;
  std::vector<std::string> auth;
  std::vector<std::string> expect;
  std::vector<std::string> peers;  // client address:port per request
  int status = 200;
  Sink() {
    router.Post("/*", [this](httpapi::Request& req, httpapi::Response& resp) {
      std::lock_guard<std::mutex> l(mu);
      bodies.push_back(req.body());
      auth.push_back(std::string(req.Header("Authorization")));
      expect.push_back(std::string(req.Header("Expect")));
      peers.push_back(req.remote_addr());
      resp.Send(status, "text/plain", "sink");
    });
    httpapi::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.num_threads = 2;
    server = std::make_unique<httpapi::HttpServer>(o, &router);
    REQUIRE(server->Start().ok());
  }
  std::string url() const { return server->url() + "/hook"; }
};

std::vector<Alert> TwoAlerts() {
  Alert a;
  a.labels = model::Labels::FromPairs({{"alertname", "Down"}, {"job", "api"}, {"instance", "a"}});
  a.annotations = Annotations::FromPairs({{"summary", "down"}});
  a.starts_at = absl::FromUnixSeconds(1700000000);
  a.generator_url = "http://prom/graph";
  Alert b = a;
  b.labels = model::Labels::FromPairs({{"alertname", "Down"}, {"job", "api"}, {"instance", "b"}});
  b.ends_at = absl::FromUnixSeconds(1700000100);
  return {a, b};
}

NotifyContext Ctx() {
  NotifyContext ctx;
  ctx.now = absl::FromUnixSeconds(1700000200);
  ctx.group_key = "{}:{alertname=\"Down\"}";
  ctx.group_labels = model::Labels::FromPairs({{"alertname", "Down"}});
  ctx.receiver_name = "team-a";
  return ctx;
}

TEST_CASE("GoTimeString is Go's RFC3339Nano in UTC", "[notify]") {
  CHECK(GoTimeString(absl::FromUnixSeconds(0)) == "1970-01-01T00:00:00Z");
  CHECK(GoTimeString(absl::FromUnixNanos(1700000000123450000)) == "2023-11-14T22:13:20.12345Z");
  CHECK(GoTimeString(absl::FromUnixSeconds(951782400)) == "2000-02-29T00:00:00Z");
  CHECK(GoTimeString(absl::FromUnixSeconds(-1) + absl::Nanoseconds(1)) == "1969-12-31T23:59:59.000000001Z");
  // Go pads years to four digits (absl's %Y does not).
  CHECK(GoTimeString(absl::FromUnixSeconds(-55802861691)) == "0201-09-05T13:05:09Z");
  // Against absl's formatter over dates from 1000 to 9999, with fractions.
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t secs = static_cast<int64_t>(x % 221845392000ull) - 30610224000;  // 1000-01-01 .. 9999-12-31
    int64_t nanos = i % 3 == 0 ? 0 : static_cast<int64_t>((x >> 20) % 1000000000);
    if (i % 5 == 0) nanos = nanos / 1000000 * 1000000;
    absl::Time t = absl::FromUnixSeconds(secs) + absl::Nanoseconds(nanos);
    INFO(secs << " s + " << nanos << " ns");
    CHECK(GoTimeString(t) == absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone()));
  }
}

TEST_CASE("webhook payload is AM 0.25's version 4 message", "[notify]") {
  std::string body = WebhookPayload(Ctx(), TwoAlerts(), "http://am:9093", 0);
  auto v = json::Parse(body);
  REQUIRE(v.ok());
  CHECK(v->GetString("version") == "4");
  CHECK(v->GetString("status") == "firing");
  CHECK(v->GetString("receiver") == "team-a");
  CHECK(v->GetString("groupKey") == "{}:{alertname=\"Down\"}");
  CHECK(v->GetString("externalURL") == "http://am:9093");
  CHECK(v->GetInt("truncatedAlerts") == 0);
  const auto& alerts = v->Find("alerts")->AsArray();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].GetString("startsAt") == "2023-11-14T22:13:20Z");
  CHECK(alerts[0].GetString("endsAt") == "0001-01-01T00:00:00Z");
  CHECK(alerts[1].GetString("status") == "resolved");
  CHECK(alerts[0].GetString("fingerprint").size() == 16);
  CHECK(v->Find("commonLabels")->GetString("job") == "api");
  CHECK(v->Find("commonAnnotations")->GetString("summary") == "down");

  // max_alerts: AM builds the message from the alerts it keeps, so status
  // and common labels describe those only.
  auto t = json::Parse(WebhookPayload(Ctx(), TwoAlerts(), "http://am:9093", 1));
  CHECK(t->GetInt("truncatedAlerts") == 1);
  CHECK(t->Find("alerts")->AsArray().size() == 1);
  CHECK(t->GetString("status") == "firing");
  CHECK(t->Find("commonLabels")->GetString("instance") == "a");
  std::vector<Alert> resolved_first = TwoAlerts();
  std::swap(resolved_first[0], resolved_first[1]);
  auto r = json::Parse(WebhookPayload(Ctx(), resolved_first, "http://am:9093", 1));
  CHECK(r->GetString("status") == "resolved");
  CHECK(r->Find("commonLabels")->GetString("instance") == "b");
  CHECK(r->Find("commonAnnotations")->GetString("summary") == "down");
}

TEST_CASE("webhook payload and template data keep empty annotation values", "[notify]") {
  std::vector<Alert> as = TwoAlerts();
  as[0].annotations = Annotations::FromPairs({{"summary", "down"}, {"runbook", ""}});
  auto v = json::Parse(WebhookPayload(Ctx(), as, "http://am:9093", 0));
  REQUIRE(v.ok());
  const auto& alerts = v->Find("alerts")->AsArray();
  REQUIRE(alerts[0].Find("annotations")->Find("runbook") != nullptr);
  CHECK(alerts[0].Find("annotations")->GetString("runbook").empty());
  CHECK(alerts[1].Find("annotations")->Find("runbook") == nullptr);
  // As in AM, {"runbook": ""} is common with an alert that lacks it.
  REQUIRE(v->Find("commonAnnotations")->Find("runbook") != nullptr);
  CHECK(v->Find("commonAnnotations")->GetString("summary") == "down");

  auto t = tmpl::alertmanager::Template::FromGlobs({});
  REQUIRE(t.ok());
  NotificationData d = BuildNotificationData("team-a", Ctx().group_labels, as, Ctx().now, "http://am:9093");
  auto out = (*t)->ExecuteTextString(
      "{{ range .CommonAnnotations.SortedPairs }}{{ .Name }}=[{{ .Value }}] {{ end }}|"
      "{{ (index .Alerts 0).Annotations.Names }}|{{ len (index .Alerts 1).Annotations }}",
      ToTemplateData(d).ToValue());
  REQUIRE(out.ok());
  CHECK(*out == "runbook=[] summary=[down] |[runbook summary]|1");
}

TEST_CASE("webhook notifier posts, retries 5xx and 429, not 4xx", "[notify]") {
  Sink sink;
  selfmetrics::Registry reg;
  NotifyMetrics m(reg);
  config::WebhookConfig wc;
  wc.url = sink.url();
  wc.http_config.authorization = config::Authorization{"Bearer", "tok", ""};
  WebhookNotifier n(wc, "http://am", &m);
  bool retry = true;
  REQUIRE(n.Notify(Ctx(), TwoAlerts(), retry).ok());
  CHECK_FALSE(retry);
  CHECK(sink.bodies.size() == 1);
  CHECK(sink.auth[0] == "Bearer tok");
  sink.status = 503;
  CHECK_FALSE(n.Notify(Ctx(), TwoAlerts(), retry).ok());
  CHECK(retry);
  sink.status = 429;
  CHECK_FALSE(n.Notify(Ctx(), TwoAlerts(), retry).ok());
  CHECK(retry);
  sink.status = 400;
  CHECK_FALSE(n.Notify(Ctx(), TwoAlerts(), retry).ok());
  CHECK_FALSE(retry);
  CHECK(m.total->WithLabelValues({"webhook"})->Value() == 4);
  CHECK(m.failed->WithLabelValues({"webhook"})->Value() == 3);

  config::WebhookConfig bad;
  bad.url = "http://127.0.0.1:1/";
  WebhookNotifier nb(bad, "", &m);
  CHECK_FALSE(nb.Notify(Ctx(), TwoAlerts(), retry).ok());
  CHECK(retry);
}

TEST_CASE("notifications from one thread reuse the connection and do not wait for 100-continue", "[notify]") {
  Sink sink;
  // Larger than libcurl's 1 kB threshold for "Expect: 100-continue".
  std::string body(8192, 'x');
  for (int i = 0; i < 3; ++i) {
    HttpResult r = HttpPost(config::HttpConfig{}, sink.url(), "application/json", body, absl::Seconds(10));
    INFO(r.error);
    REQUIRE(r.status == 200);
  }
  REQUIRE(sink.peers.size() == 3);
  CHECK(sink.peers[0] == sink.peers[1]);
  CHECK(sink.peers[1] == sink.peers[2]);
  for (const std::string& e : sink.expect) CHECK(e.empty());
  CHECK(sink.bodies[2].size() == body.size());
}

// An OAuth2 token endpoint and a receiver that wants its tokens.
struct OAuth2Server {
  httpapi::Router router;
  std::unique_ptr<httpapi::HttpServer> server;
  std::mutex mu;
  std::vector<std::string> token_forms;  // bodies of token requests
  std::vector<std::string> token_auth;   // their Authorization headers
  std::vector<std::string> hook_auth;
  bool header_credentials_ok = true;  // else 401 unless they are in the body
  int expires_in = 3600;
  int issued = 0;
  OAuth2Server() {
    router.Post("/token", [this](httpapi::Request& req, httpapi::Response& resp) {
      std::lock_guard<std::mutex> l(mu);
      token_forms.push_back(req.body());
      token_auth.push_back(std::string(req.Header("Authorization")));
      bool in_body = req.body().find("client_secret=s%26cret") != std::string::npos;
      if (!header_credentials_ok && !in_body) return resp.Send(401, "application/json", R"({"error":"invalid_client"})");
      resp.Send(200, "application/json",
                absl::StrCat(R"({"access_token":"tok)", ++issued, R"(","token_type":"bearer","expires_in":)",
                             expires_in, "}"));
    });
    router.Post("/hook", [this](httpapi::Request& req, httpapi::Response& resp) {
      std::lock_guard<std::mutex> l(mu);
      hook_auth.push_back(std::string(req.Header("Authorization")));
      resp.Send(200, "text/plain", "");
    });
    httpapi::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server = std::make_unique<httpapi::HttpServer>(o, &router);
    REQUIRE(server->Start().ok());
  }
  config::HttpConfig Config() const {
    config::HttpConfig hc;
    config::OAuth2 oa;
    oa.client_id = "omni";
    oa.client_secret = "s&cret";
    oa.token_url = server->url() + "/token";
    oa.scopes = {"read", "write"};
    oa.endpoint_params = {{"audience", "alerts"}};
    hc.oauth2 = oa;
    return hc;
  }
};

TEST_CASE("oauth2 client credentials: token fetched once, sent as bearer, refreshed near expiry", "[notify]") {
  OAuth2Server srv;
  config::HttpConfig hc = srv.Config();
  std::string hook = srv.server->url() + "/hook";
  REQUIRE(HttpPost(hc, hook, "application/json", "{}").status == 200);
  REQUIRE(HttpPost(hc, hook, "application/json", "{}").status == 200);
  REQUIRE(srv.token_forms.size() == 1);
  CHECK(srv.token_forms[0] == "grant_type=client_credentials&scope=read+write&audience=alerts");
  // Basic auth with the query-escaped id and secret: base64("omni:s%26cret").
  CHECK(srv.token_auth[0] == "Basic b21uaTpzJTI2Y3JldA==");
  REQUIRE(srv.hook_auth.size() == 2);
  CHECK(srv.hook_auth[0] == "Bearer tok1");
  CHECK(srv.hook_auth[1] == "Bearer tok1");

  // A token that expires within 10 s is not reused.
  srv.expires_in = 5;
  hc.oauth2->scopes = {"read"};  // another cache entry
  REQUIRE(HttpPost(hc, hook, "application/json", "{}").status == 200);
  REQUIRE(HttpPost(hc, hook, "application/json", "{}").status == 200);
  CHECK(srv.issued == 3);
  CHECK(srv.hook_auth[3] == "Bearer tok3");
}

TEST_CASE("oauth2 falls back to credentials in the form, and reports token errors", "[notify]") {
  OAuth2Server srv;
  srv.header_credentials_ok = false;
  config::HttpConfig hc = srv.Config();
  hc.oauth2->client_id = "other";  // not cached by another test
  std::string hook = srv.server->url() + "/hook";
  REQUIRE(HttpPost(hc, hook, "application/json", "{}").status == 200);
  REQUIRE(srv.token_forms.size() == 2);
  CHECK(srv.token_forms[1].find("&client_id=other&client_secret=s%26cret") != std::string::npos);
  CHECK(srv.token_auth[1].empty());
  CHECK(srv.hook_auth.back() == "Bearer tok1");

  hc.oauth2->client_secret = "wrong";
  HttpResult r = HttpPost(hc, hook, "application/json", "{}");
  CHECK(r.status == 0);
  CHECK(r.error.find("oauth2: cannot fetch token: 401") != std::string::npos);
  bool retry = false;
  CHECK_FALSE(CheckHttpResult(r, "webhook", retry).ok());
  CHECK(retry);
}

TEST_CASE("slack and pagerduty payloads use the default templates", "[notify]") {
  auto t = tmpl::alertmanager::Template::FromGlobs({});
  REQUIRE(t.ok());
  NotificationData d = BuildNotificationData("team-a", Ctx().group_labels, TwoAlerts(), Ctx().now, "http://am:9093");
  config::SlackConfig sc;
  sc.channel = "#ops";
  SlackNotifier s(sc, t->get(), "http://am:9093", nullptr);
  auto sp = s.Payload(d);
  REQUIRE(sp.ok());
  auto sv = json::Parse(*sp);
  REQUIRE(sv.ok());
  CHECK(sv->GetString("channel") == "#ops");
  const auto& att = sv->Find("attachments")->AsArray().at(0);
  CHECK(att.GetString("title") == "[FIRING:1] Down (api)");
  CHECK(att.GetString("color") == "danger");
  CHECK(att.GetString("title_link").find("http://am:9093/#/alerts?receiver=team-a") == 0);

  config::PagerdutyConfig pc;
  pc.routing_key = "rk";
  pc.details = {{"num_firing", "{{ .Alerts.Firing | len }}"}};
  PagerdutyNotifier p(pc, t->get(), "http://am:9093", nullptr);
  auto pp = p.Payload(d, Ctx().group_key);
  REQUIRE(pp.ok());
  auto pv = json::Parse(*pp);
  REQUIRE(pv.ok());
  CHECK(pv->GetString("routing_key") == "rk");
  CHECK(pv->GetString("event_action") == "trigger");
  CHECK(pv->GetString("dedup_key").size() == 64);
  CHECK(pv->Find("payload")->GetString("summary") == "[FIRING:1] Down (api)");
  CHECK(pv->Find("payload")->GetString("source") == "Alertmanager");
  CHECK(pv->Find("payload")->Find("custom_details")->GetString("num_firing") == "1");
  CHECK(p.Url() == "https://events.pagerduty.com/v2/enqueue");
}

TEST_CASE("email message has headers and multipart text+html", "[notify]") {
  auto t = tmpl::alertmanager::Template::FromGlobs({});
  REQUIRE(t.ok());
  NotificationData d = BuildNotificationData("team-a", Ctx().group_labels, TwoAlerts(), Ctx().now, "http://am:9093");
  config::EmailConfig ec;
  ec.to = "ops@example.org";
  ec.from = "am@example.org";
  ec.text = "{{ .Alerts | len }} alerts";
  ec.headers = {{"Subject", R"({{ template "email.default.subject" . }})"}, {"To", ec.to}, {"From", ec.from}};
  EmailNotifier e(ec, t->get(), "http://am:9093", nullptr);
  auto msg = e.Message(d, absl::FromUnixSeconds(1700000000), "BOUND", "<1.2@localhost>");
  REQUIRE(msg.ok());
  CHECK(msg->find("Subject: [FIRING:1] Down (api)\r\n") != std::string::npos);
  CHECK(msg->find("To: ops@example.org\r\n") != std::string::npos);
  CHECK(msg->find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
  CHECK(msg->find("Message-Id: <1.2@localhost>\r\n") != std::string::npos);
  CHECK(msg->find("multipart/alternative") != std::string::npos);
  CHECK(msg->find("text/plain; charset=UTF-8\r\n\r\n2 alerts\r\n") != std::string::npos);
  CHECK(msg->find("text/html") != std::string::npos);
  CHECK(msg->find("--BOUND--") != std::string::npos);
}

TEST_CASE("email notifier speaks SMTP with AUTH", "[notify]") {
  auto t = tmpl::alertmanager::Template::FromGlobs({});
  REQUIRE(t.ok());
  SmtpSink sink;
  selfmetrics::Registry reg;
  NotifyMetrics m(reg);
  config::EmailConfig ec;
  ec.to = "Ops <ops@example.org>";
  ec.from = "am@example.org";
  ec.hello = "omni";
  ec.smarthost = "127.0.0.1:" + std::to_string(sink.port());
  ec.auth_username = "user";
  ec.auth_password = "pw";
  ec.require_tls = false;
  ec.headers = {{"Subject", R"({{ template "email.default.subject" . }})"}, {"To", ec.to}, {"From", ec.from}};
  EmailNotifier e(ec, t->get(), "http://am:9093", &m);
  bool retry = false;
  absl::Status st = e.Notify(Ctx(), TwoAlerts(), retry);
  INFO(st.ToString());
  const std::vector<std::string> commands = sink.Commands();
  for (const auto& c : commands) INFO(c);
  REQUIRE(st.ok());
  bool saw_ehlo = false, saw_auth = false, saw_rcpt = false;
  for (const auto& c : commands) {
    saw_ehlo |= c == "EHLO omni";
    saw_auth |= c.rfind("AUTH", 0) == 0;
    saw_rcpt |= c == "RCPT TO:<ops@example.org>";
  }
  CHECK(saw_ehlo);
  CHECK(saw_auth);
  CHECK(saw_rcpt);
  REQUIRE(sink.Messages().size() == 1);
  CHECK(sink.Messages()[0].find("Subject: [FIRING:1] Down (api)") != std::string::npos);
  CHECK(m.total->WithLabelValues({"email"})->Value() == 1);
  CHECK(m.failed->WithLabelValues({"email"})->Value() == 0);
}

}  // namespace
}  // namespace omni::alerting::notify
