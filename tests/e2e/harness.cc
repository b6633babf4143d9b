#include "tests/e2e/harness.h"

// The listener below removes temporary directories after a passing run.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

#ifndef OMNI_BINARY_DIR
#define OMNI_BINARY_DIR "."
#endif

namespace omni::e2e {

std::string BinaryPath(const std::string& name) { return std::string(OMNI_BINARY_DIR) + "/bin/" + name; }

namespace {

std::mutex temp_dirs_mu;
std::vector<std::string>& TempDirs() {
  static auto* dirs = new std::vector<std::string>();
  return *dirs;
}

// Removes the test's temporary directories (daemon data and logs) when every
// test case of the run passed, and keeps them for a look otherwise (or when
// OMNI_KEEP_TEST_DIRS is set). Daemons are stopped by then: test cases own
// them and have ended.
class TempDirCleaner : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;
  void testRunEnded(const Catch::TestRunStats& stats) override {
    std::lock_guard<std::mutex> l(temp_dirs_mu);
    bool passed = stats.totals.assertions.failed == 0 && stats.totals.testCases.failed == 0;
    if (passed && std::getenv("OMNI_KEEP_TEST_DIRS") == nullptr) {
      std::error_code ec;
      for (const std::string& d : TempDirs()) std::filesystem::remove_all(d, ec);
    } else {
      for (const std::string& d : TempDirs()) std::fprintf(stderr, "kept test directory %s\n", d.c_str());
    }
    TempDirs().clear();
  }
};
CATCH_REGISTER_LISTENER(TempDirCleaner)

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  char* dir = mkdtemp(tmpl.data());
  if (dir == nullptr) return std::string();
  std::lock_guard<std::mutex> l(temp_dirs_mu);
  TempDirs().push_back(dir);
  return std::string(dir);
}

void WriteFile(const std::string& path, const std::string& content) {
  // Write-then-rename: a daemon watching the file must never read it half written.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::rename(tmp.c_str(), path.c_str());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Daemon::Daemon(std::string binary, std::vector<std::string> args)
    : binary_(std::move(binary)), args_(std::move(args)) {}

Daemon::~Daemon() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Daemon::Start() {
  if (log_path_.empty()) log_path_ = MakeTempDir("omni_daemon_log_") + "/stderr.log";
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    std::vector<char*> argv;
    argv.push_back(binary_.data());
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
}

std::string Daemon::Logs() const { return ReadFile(log_path_); }

std::string Daemon::WaitForLog(const std::vector<std::string>& needles, absl::Duration timeout) {
  std::string found;
  Eventually(
      [&] {
        for (const auto& line : absl::StrSplit(Logs(), '\n')) {
          bool all = true;
          for (const auto& n : needles) all = all && absl::StrContains(line, n);
          if (all) {
            found = std::string(line);
            return true;
          }
        }
        // Stop early if the process died (now or before).
        if (pid_ <= 0) return true;
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          return true;
        }
        return false;
      },
      timeout);
  return found;
}

std::string Daemon::ListenAddress(const std::string& component, absl::Duration timeout) {
  std::string line = WaitForLog({"component=" + component, "Listening", "address="}, timeout);
  size_t pos = line.find("address=");
  if (pos == std::string::npos) return "";
  std::string rest = line.substr(pos + 8);
  std::string address = rest.substr(0, rest.find(' '));
  // The web server logs the configured address (":0") and the bound port
  // separately: `address=127.0.0.1:0 port=36569`.
  size_t port_pos = line.find(" port=");
  if (port_pos != std::string::npos) {
    std::string port = line.substr(port_pos + 6);
    port = port.substr(0, port.find(' '));
    address = address.substr(0, address.rfind(':') + 1) + port;
  }
  return address;
}

void Daemon::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int Daemon::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return 0;
  int status = -1;
  bool done = Eventually(
      [&] {
        pid_t r = waitpid(pid_, &status, WNOHANG);
        return r == pid_;
      },
      timeout);
  if (!done) return -1;
  pid_ = -1;
  return status;
}

namespace {
size_t AppendBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}
size_t AppendHeader(char* ptr, size_t size, size_t nmemb, void* userdata) {
  std::string line(ptr, size * nmemb);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(userdata);
    (*headers)[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * nmemb;
}

HttpResponse Perform(CURL* curl) {
  HttpResponse r;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  }
  curl_easy_cleanup(curl);
  return r;
}
}  // namespace

HttpResponse HttpGet(const std::string& url, const std::string& user, const std::string& password) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (!user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  return Perform(curl);
}

HttpResponse HttpPost(const std::string& url, const std::string& body, const std::string& content_type) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  struct curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  HttpResponse r = Perform(curl);
  curl_slist_free_all(headers);
  return r;
}

HttpResponse HttpDelete(const std::string& url) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  return Perform(curl);
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

bool Eventually(const std::function<bool()>& probe, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (probe()) return true;
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

json::JsonValue GetJson(const std::string& url, std::string* error) {
  HttpResponse r = HttpGet(url);
  if (r.status == 0) {
    if (error) *error = r.error;
    return json::JsonValue();
  }
  auto v = json::Parse(r.body);
  if (!v.ok()) {
    if (error) *error = std::string(v.status().message());
    return json::JsonValue();
  }
  return *std::move(v);
}

json::JsonValue ApiData(const std::string& url) {
  json::JsonValue v = GetJson(url);
  if (!v.IsObject() || v.GetString("status") != "success") return json::JsonValue();
  const json::JsonValue* data = v.Find("data");
  return data ? *data : json::JsonValue();
}

std::optional<double> QueryScalar(const std::string& base_url, const std::string& expr) {
  json::JsonValue data = ApiData(base_url + "/api/v1/query?query=" + UrlEncode(expr));
  if (!data.IsObject()) return std::nullopt;
  const json::JsonValue* result = data.Find("result");
  if (!result || !result->IsArray() || result->size() != 1) return std::nullopt;
  const json::JsonValue* value = result->AsArray()[0].Find("value");
  if (!value || !value->IsArray() || value->size() != 2 || !value->AsArray()[1].IsString()) return std::nullopt;
  const std::string& s = value->AsArray()[1].AsString();
  if (s == "NaN") return std::nan("");
  if (s == "+Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  return std::strtod(s.c_str(), nullptr);
}

std::string UnixSecondsParam(int64_t ms) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
  return buf;
}

Collector::Collector(std::string config_yaml, std::vector<std::string> extra_args)
    : dir_(MakeTempDir("omni_e2e_collector_")), extra_args_(std::move(extra_args)) {
  WriteFile(config_path(), config_yaml);
}

bool Collector::Start(absl::Duration timeout) {
  std::vector<std::string> args = {"--config.file=" + config_path(), "--storage.tsdb.path=" + storage_path(),
                                   "--web.listen-address=127.0.0.1:0", "--grpc.listen-address=127.0.0.1:0"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  daemon_ = std::make_unique<Daemon>(BinaryPath("omniscope-collector"), args);
  daemon_->Start();
  std::string web = daemon_->ListenAddress("web", timeout);
  grpc_address_ = daemon_->ListenAddress("grpc", timeout);
  url_ = "http://" + web;
  if (web.empty() || grpc_address_.empty() ||
      daemon_->WaitForLog({"Server is ready to receive web requests."}, timeout).empty()) {
    // Failures are rare and need the daemon's own words to diagnose.
    fprintf(stderr, "collector did not become ready; its log:\n%s\n", daemon_->Logs().c_str());
    return false;
  }
  return true;
}

RealPrometheus::RealPrometheus(const std::string& config, std::string storage_dir)
    : dir_(MakeTempDir("omni_e2e_prometheus_")), storage_dir_(std::move(storage_dir)) {
  if (storage_dir_.empty()) storage_dir_ = dir_ + "/data";
  WriteFile(config_path(), config);
}

bool RealPrometheus::Start() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    int port = FreePort();
    url_ = absl::StrCat("http://127.0.0.1:", port);
    daemon_ = std::make_unique<Daemon>(
        kPrometheusBinary,
        std::vector<std::string>{"--config.file=" + config_path(), "--storage.tsdb.path=" + storage_dir_,
                                 absl::StrCat("--web.listen-address=127.0.0.1:", port), "--web.enable-lifecycle",
                                 "--log.level=info"});
    daemon_->Start();
    if (!daemon_->WaitForLog({"Server is ready to receive web requests."}).empty() &&
        HttpGet(url_ + "/-/ready").status == 200) {
      return true;
    }
    daemon_.reset();
  }
  return false;
}

}  // namespace omni::e2e
