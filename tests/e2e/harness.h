// Helpers for whole-daemon tests: run a daemon binary as a child process,
// learn the addresses it bound (it is started on 127.0.0.1:0 and logs
// `msg=Listening ... address=127.0.0.1:PORT`), and talk HTTP to it.
// Waiting is always for a condition (a log line, a response), bounded by a
// deadline; never a sleep for time to pass.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/json/json.h"

namespace omni::e2e {

// Path of a binary built by this build (build/bin/NAME).
std::string BinaryPath(const std::string& name);
// A fresh temporary directory. Removed at the end of the test run when every
// test passed; kept (and listed on stderr) after a failure or with
// OMNI_KEEP_TEST_DIRS=1.
std::string MakeTempDir(const std::string& prefix);
// Replaces `path` atomically (temporary file + rename), as a ConfigMap update does.
void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

class Daemon {
 public:
  Daemon(std::string binary, std::vector<std::string> args);
  ~Daemon();  // SIGKILLs the process if still running
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts the process with stderr (logs) captured in a file.
  void Start();
  // Waits until a log line contains all of `needles`; returns that line, or
  // "" on timeout or process exit.
  std::string WaitForLog(const std::vector<std::string>& needles,
                         absl::Duration timeout = absl::Seconds(30));
  // The address logged for `component` (e.g. "web", "grpc") in its
  // "Listening" line: "127.0.0.1:PORT" (from `address=` and, when logged, `port=`).
  std::string ListenAddress(const std::string& component, absl::Duration timeout = absl::Seconds(30));
  void Signal(int sig);
  // Waits for the process to exit; returns its exit status (as waitpid), or -1 on timeout.
  int Wait(absl::Duration timeout = absl::Seconds(30));
  void Kill9() { Signal(9); Wait(); }
  std::string Logs() const;
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
};

struct HttpResponse {
  long status = 0;  // 0 when the request failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;
};

// Plain HTTP calls with libcurl. `form` is sent as application/x-www-form-urlencoded.
HttpResponse HttpGet(const std::string& url, const std::string& user = "", const std::string& password = "");
HttpResponse HttpPost(const std::string& url, const std::string& body,
                      const std::string& content_type = "application/x-www-form-urlencoded");
HttpResponse HttpDelete(const std::string& url);
std::string UrlEncode(const std::string& s);

// Retries `probe` until it returns true or `timeout` passes; short pauses
// between tries are polling for a condition, not waiting for time.
bool Eventually(const std::function<bool()>& probe, absl::Duration timeout = absl::Seconds(30));

// A TCP port on 127.0.0.1 that was free a moment ago (bind :0, read, close),
// for programs that cannot be told to bind port 0 and report it (Prometheus).
int FreePort();

// GETs `url` and parses the JSON body; a null value when the request or the
// parse failed (the error goes to `error` when given).
json::JsonValue GetJson(const std::string& url, std::string* error = nullptr);
// The "data" member of a Prometheus API response with status "success", or null.
json::JsonValue ApiData(const std::string& url);

// The value of the single sample of an instant-query result vector for
// `expr` (URL-encoded here) evaluated now, or nullopt when the result is not
// exactly one sample.
std::optional<double> QueryScalar(const std::string& base_url, const std::string& expr);

// Milliseconds since the epoch as an API time parameter: "1700000000.123".
std::string UnixSecondsParam(int64_t ms);

// A collector daemon on 127.0.0.1:0 (web and gRPC) with its own temporary
// storage dir and config file. Start() waits for the "ready" log line.
class Collector {
 public:
  // `config_yaml` is written to <dir>/prometheus.yml; `extra_args` are
  // appended to the command line.
  explicit Collector(std::string config_yaml, std::vector<std::string> extra_args = {});
  // Starts (or restarts, on the same storage dir) the daemon; false when it
  // did not log its addresses and readiness within the deadline.
  bool Start(absl::Duration timeout = absl::Seconds(30));
  // "http://127.0.0.1:PORT" and "127.0.0.1:PORT" of the current run.
  const std::string& url() const { return url_; }
  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& dir() const { return dir_; }
  std::string config_path() const { return dir_ + "/prometheus.yml"; }
  std::string storage_path() const { return dir_ + "/data"; }
  Daemon& daemon() { return *daemon_; }

 private:
  std::string dir_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<Daemon> daemon_;
  std::string url_;
  std::string grpc_address_;
};

// Where the Debian package `prometheus` installs Prometheus 2.42 and promtool.
inline constexpr char kPrometheusBinary[] = "/usr/bin/prometheus";
inline constexpr char kPromtoolBinary[] = "/usr/bin/promtool";

// The real Prometheus on a free port, with its config file in its own
// temporary dir and its storage in `storage_dir` (default <dir>/data).
class RealPrometheus {
 public:
  explicit RealPrometheus(const std::string& config, std::string storage_dir = "");
  std::string config_path() const { return dir_ + "/prometheus.yml"; }
  const std::string& url() const { return url_; }
  Daemon& daemon() { return *daemon_; }

  // Starts it and waits until it is ready; false when it did not become
  // ready (a free port can be taken by someone else before Prometheus binds
  // it, so this retries on other ports first).
  bool Start();

 private:
  std::string dir_;
  std::string storage_dir_;
  std::string url_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace omni::e2e
