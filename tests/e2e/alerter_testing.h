// Helpers shared by the alerter's whole-daemon tests (alerter_e2e_test.cc,
// alerter_compat_test.cc): sinks that record what a daemon delivers (a
// webhook sink; the SMTP sink of libs/alerting/notify/testing), the alerter
// and the real Alertmanager 0.25 as child processes, and request builders.
//
// Example:
//   WebhookSink ours, theirs;
//   AlerterProc am(ConfigFor(ours.url()));
//   RealAlertmanager real(ConfigFor(theirs.url()));
//   REQUIRE(am.Start());
//   REQUIRE(real.Start());
//   PostJson(am.url() + "/api/v2/alerts", body);
//   PostJson(real.url() + "/api/v2/alerts", body);
//   ours.WaitFor(pred); theirs.WaitFor(pred);
//
// Waiting is for conditions (Eventually), never for time to pass.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/alerting/notify/testing/smtp_sink.h"
#include "libs/httpapi/http_server.h"
#include "libs/httpapi/router.h"
#include "libs/json/json_value.h"
#include "tests/e2e/harness.h"

namespace omni::e2e {

// Where the Debian package prometheus-alertmanager installs Alertmanager 0.25 and amtool.
inline constexpr char kAlertmanagerBinary[] = "/usr/bin/prometheus-alertmanager";
inline constexpr char kAmtoolBinary[] = "/usr/bin/amtool";

inline bool Exists(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// Records webhook payloads and when each arrived.
class WebhookSink {
 public:
  struct Received {
    json::JsonValue payload;
    absl::Time at;  // when the request body had been read
  };

  WebhookSink() {
    router_.Post("/*", [this](httpapi::Request& req, httpapi::Response& resp) {
      auto v = json::Parse(req.body());
      {
        std::lock_guard<std::mutex> l(mu_);
        if (v.ok()) received_.push_back({*v, absl::Now()});
      }
      resp.Send(200, "text/plain", "");
    });
    httpapi::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    // Both daemons keep connections alive (each on a CivetWeb thread for up
    // to 30s) and flush groups in parallel: one thread per possible connection.
    o.num_threads = 32;
    server_ = std::make_unique<httpapi::HttpServer>(o, &router_);
    REQUIRE(server_->Start().ok());
  }
  std::string url() const { return server_->url() + "/hook"; }
  std::vector<json::JsonValue> Payloads() {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<json::JsonValue> out;
    for (const Received& r : received_) out.push_back(r.payload);
    return out;
  }
  std::vector<Received> All() {
    std::lock_guard<std::mutex> l(mu_);
    return received_;
  }
  // Waits until a payload satisfies `pred`; returns it (null on timeout).
  json::JsonValue WaitFor(const std::function<bool(const json::JsonValue&)>& pred,
                          absl::Duration timeout = absl::Seconds(20)) {
    json::JsonValue found;
    Eventually(
        [&] {
          for (const auto& p : Payloads())
            if (pred(p)) {
              found = p;
              return true;
            }
          return false;
        },
        timeout);
    return found;
  }
  size_t Count(const std::function<bool(const json::JsonValue&)>& pred) {
    size_t n = 0;
    for (const auto& p : Payloads()) n += pred(p);
    return n;
  }

 private:
  httpapi::Router router_;
  std::unique_ptr<httpapi::HttpServer> server_;
  std::mutex mu_;
  std::vector<Received> received_;
};

using alerting::notify::SmtpSink;

inline bool HasAlert(const json::JsonValue& p, const std::string& alertname, const std::string& status = "") {
  const json::JsonValue* alerts = p.Find("alerts");
  if (alerts == nullptr) return false;
  for (const auto& a : alerts->AsArray())
    if (a.Find("labels")->GetString("alertname") == alertname && (status.empty() || a.GetString("status") == status))
      return true;
  return false;
}

// A daemon run by a test from its own directory: where it serves and its process.
class DaemonProc {
 public:
  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  const std::string& dir() const { return dir_; }
  Daemon& daemon() { return *daemon_; }

 protected:
  explicit DaemonProc(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  std::string url_;
  std::unique_ptr<Daemon> daemon_;
};

// omniscope-alerter on 127.0.0.1:0 with its config and storage in `dir`
// (a new temporary dir by default).
class AlerterProc : public DaemonProc {
 public:
  explicit AlerterProc(const std::string& config, std::string dir = "")
      : DaemonProc(dir.empty() ? MakeTempDir("alerter-e2e-") : dir) {
    WriteFile(dir_ + "/alertmanager.yml", config);
  }
  bool Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--config.file=" + dir_ + "/alertmanager.yml", "--storage.path=" + dir_ + "/data",
                                  "--web.listen-address=127.0.0.1:0", "--grpc.listen-address=127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Daemon>(BinaryPath("omniscope-alerter"), args);
    daemon_->Start();
    std::string addr = daemon_->ListenAddress("web");
    if (addr.empty()) return false;
    url_ = "http://" + addr;
    return true;
  }
};

// The real Alertmanager (kAlertmanagerBinary) without clustering, on a free
// port, with its config and storage in a temporary dir.
class RealAlertmanager : public DaemonProc {
 public:
  explicit RealAlertmanager(const std::string& config) : DaemonProc(MakeTempDir("alertmanager-")) {
    WriteFile(dir_ + "/am.yml", config);
  }
  // Starts it and waits until /-/ready answers; retries on another port when
  // the free port was taken before Alertmanager bound it.
  bool Start(std::vector<std::string> extra = {}) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      url_ = absl::StrCat("http://127.0.0.1:", FreePort());
      std::vector<std::string> args{"--config.file=" + dir_ + "/am.yml", "--storage.path=" + dir_ + "/data",
                                    "--web.listen-address=" + url_.substr(7), "--cluster.listen-address="};
      args.insert(args.end(), extra.begin(), extra.end());
      daemon_ = std::make_unique<Daemon>(kAlertmanagerBinary, args);
      daemon_->Start();
      if (Eventually([&] { return HttpGet(url_ + "/-/ready").status == 200; }, absl::Seconds(15))) return true;
      daemon_.reset();
    }
    return false;
  }
};

inline HttpResponse PostJson(const std::string& url, const std::string& body) {
  return HttpPost(url, body, "application/json");
}

inline std::string AlertJson(const std::string& labels, const std::string& extra = "") {
  return absl::StrCat("{\"labels\":{", labels, "}", extra, "}");
}

// Runs a command; returns its stdout and stderr ("" and rc != 0 on failure).
inline std::string Run(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  int status = pclose(f);
  if (rc != nullptr) *rc = WEXITSTATUS(status);
  return out;
}

// A webhook payload without the fields that legitimately differ between two
// Alertmanagers started at different times (externalURL, alert times).
inline std::string Normalized(json::JsonValue p) {
  p.Set("externalURL", "");
  json::JsonValue* alerts = p.Find("alerts");
  for (auto& a : alerts->MutableArray()) {
    a.Set("startsAt", "");
    a.Set("endsAt", "");
  }
  return p.Serialize();
}

}  // namespace omni::e2e
