#include "services/alerter/alerter.h"

#include <chrono>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include <unistd.h>
#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/credentials.h"
#include "libs/rules/rule_file.h"
#include "libs/rules/rules_api.h"
#include "libs/selfmetrics/text_format.h"
#include "services/alerter/alerter_service.h"

namespace omni::alerter {

using alerting::Alert;

// Sleeps between notification retries; reloads and shutdown cancel the wait
// (the flush then fails and is retried by the next dispatcher, as AM's
// cancelled contexts).
class Alerter::Waiter : public alerting::RetryWaiter {
 public:
  bool Wait(absl::Duration d) override {
    std::unique_lock<std::mutex> l(mu_);
    if (cancelled_) return false;
    uint64_t epoch = epoch_;
    cv_.wait_for(l, absl::ToChronoNanoseconds(d), [&] { return epoch_ != epoch; });
    return epoch_ == epoch;
  }
  // Cancels current waits; while `cancelled`, new waits return at once.
  void Cancel(bool cancelled) {
    std::lock_guard<std::mutex> l(mu_);
    ++epoch_;
    cancelled_ = cancelled;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t epoch_ = 0;
  bool cancelled_ = false;
};

Alerter::Alerter(AlerterOptions opts)
    : opts_(std::move(opts)), clock_(common::Clock::Real()), start_time_(absl::Now()),
      waiter_(std::make_unique<Waiter>()) {}

Alerter::~Alerter() { Stop(); }

std::string Alerter::ExternalUrl() const {
  if (!opts_.web_external_url.empty()) return std::string(absl::StripSuffix(opts_.web_external_url, "/"));
  std::string host = "localhost";
  char buf[256];
  if (gethostname(buf, sizeof(buf)) == 0) host = buf;
  std::string port = opts_.web_listen_address.substr(opts_.web_listen_address.rfind(':') + 1);
  return absl::StrCat("http://", host, ":", port);
}

absl::StatusOr<std::unique_ptr<Alerter::Runtime>> Alerter::Build(std::shared_ptr<const alerting::config::Config> cfg) {
  auto rt = std::make_unique<Runtime>();
  rt->config = cfg;
  OMNI_ASSIGN_OR_RETURN(std::unique_ptr<alerting::Route> route, alerting::Route::Build(*cfg->route));
  rt->route = std::move(route);
  OMNI_ASSIGN_OR_RETURN(rt->tmpl, tmpl::alertmanager::Template::FromGlobs(cfg->templates));
  OMNI_ASSIGN_OR_RETURN(rt->receivers,
                        alerting::notify::BuildReceivers(*cfg, *rt->tmpl, ExternalUrl(), notify_metrics_.get()));
  OMNI_ASSIGN_OR_RETURN(rt->inhibitor, alerting::Inhibitor::Create(cfg->inhibit_rules, marker_, clock_));
  rt->silencer = std::make_unique<alerting::Silencer>(*silences_, marker_);
  rt->intervener = std::make_unique<alerting::Intervener>(cfg->AllTimeIntervals());
  alerting::PipelineBuilder b(rt->inhibitor.get(), rt->silencer.get(), rt->intervener.get(), nflog_.get(), &clock_,
                              waiter_.get());
  for (const auto& r : cfg->receivers) b.AddReceiver(r.name);
  for (const auto& [name, integrations] : rt->receivers.integrations)
    for (const auto& i : integrations) b.AddIntegration(name, i);
  rt->pipeline = b.Build();
  alerting::Dispatcher::Options dopts;
  dopts.marker = &marker_;
  dopts.executor = [this](std::function<absl::Time()> task) { RunFlushTask(std::move(task)); };
  rt->dispatcher = std::make_unique<alerting::Dispatcher>(*rt->route, *rt->pipeline, clock_, dopts);
  return rt;
}

// Called by Dispatcher::Tick on the driver thread (mu_ held).
void Alerter::RunFlushTask(std::function<absl::Time()> task) {
  ++in_flight_;
  flush_pool_->Submit([this, task = std::move(task)] {
    absl::Time group_next = task();
    std::lock_guard<std::mutex> l(mu_);
    --in_flight_;
    // The driver's deadline left this group out while it flushed: wake the
    // driver only when the group is due before that deadline (not for each
    // of a burst of flushes, each waking it to scan every group), or when a
    // reload or Stop waits for the last flush.
    if (group_next < driver_deadline_ || in_flight_ == 0) {
      wake_ = true;
      cv_.notify_all();
    }
  });
}

void Alerter::Install(std::unique_ptr<Runtime> rt) {
  waiter_->Cancel(true);
  std::unique_lock<std::mutex> l(mu_);
  installing_ = true;  // the driver starts no new flushes on the old dispatcher
  cv_.wait(l, [&] { return in_flight_ == 0; });
  installing_ = false;
  waiter_->Cancel(false);
  for (auto& [fp, a] : alerts_) {
    Alert merged = rt->dispatcher->Put(a);
    rt->inhibitor->Put(merged);
  }
  rt_ = std::shared_ptr<Runtime>(std::move(rt));
  wake_ = true;
  cv_.notify_all();
}

void Alerter::PutAlerts(std::vector<Alert> alerts) {
  std::lock_guard<std::mutex> l(mu_);
  for (Alert& a : alerts) {
    Alert merged = rt_->dispatcher->Put(std::move(a));
    rt_->inhibitor->Put(merged);
    alerts_[merged.GetFingerprint()] = merged;
  }
  wake_ = true;
  cv_.notify_all();
}

std::vector<std::string> Alerter::ReceiveAlerts(std::vector<Alert> alerts) {
  const absl::Duration resolve_timeout = CurrentConfig().resolve_timeout;
  const absl::Time now = clock_.Now();
  std::vector<Alert> valid;
  std::vector<std::string> errors;
  valid.reserve(alerts.size());
  for (Alert& a : alerts) {
    alerting::PrepareReceivedAlert(a, now, resolve_timeout);
    if (absl::Status st = alerting::ValidateAlert(a); !st.ok()) {
      errors.push_back(std::string(st.message()));
      continue;
    }
    valid.push_back(std::move(a));
  }
  if (!valid.empty()) PutAlerts(std::move(valid));
  return errors;
}

absl::Status Alerter::StartRules() {
  if (opts_.rule_files.empty()) return absl::OkStatus();
  if (opts_.collectors.empty()) {
    return absl::InvalidArgumentError("--rules.file needs at least one --collector to query and write to");
  }
  OMNI_ASSIGN_OR_RETURN(std::vector<rules::RuleFile> files, rules::LoadRuleFiles(opts_.rule_files));
  OMNI_ASSIGN_OR_RETURN(collector_pool_, rpc::CollectorPool::Create(opts_.collectors, opts_.collector_channel));
  remote_storage_ = std::make_unique<rpc::RemoteStorage>(collector_pool_.get());
  remote_writer_ = std::make_unique<rpc::RemoteWriter>(collector_pool_.get());
  promql::EngineOptions engine_options = opts_.engine;
  engine_options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(absl::ToChronoMilliseconds(opts_.query_timeout));
  engine_ = std::make_unique<promql::Engine>(engine_options);
  rules::RuleManagerOptions ro;
  ro.query = rules::EngineQueryFunc(*engine_, *remote_storage_);
  ro.appendable = remote_writer_.get();
  ro.notify = [this](std::vector<Alert> alerts) {
    for (const std::string& err : ReceiveAlerts(std::move(alerts))) {
      OMNI_LOG(kWarn, "rules").Msg("Dropping invalid alert").Kv("err", err);
    }
  };
  ro.external_labels = opts_.external_labels;
  ro.external_url = opts_.rules_external_url.empty() ? ExternalUrl() : opts_.rules_external_url;
  ro.resend_delay = opts_.resend_delay;
  ro.for_state_queryable = remote_storage_.get();
  ro.for_outage_tolerance = opts_.for_outage_tolerance;
  ro.for_grace_period = opts_.for_grace_period;
  ro.metrics = &metrics_;
  rule_manager_ = std::make_unique<rules::RuleManager>(std::move(ro));
  OMNI_RETURN_IF_ERROR(rule_manager_->Update(files, opts_.evaluation_interval));
  size_t n = 0;
  for (const rules::RuleFile& f : files) n += f.RuleCount();
  OMNI_LOG(kInfo, "rules").Msg("Loaded rules").Kv("files", std::to_string(files.size())).Kv("rules", std::to_string(n));
  return absl::OkStatus();
}

std::vector<rules::GroupSnapshot> Alerter::RuleGroups() {
  return rule_manager_ != nullptr ? rule_manager_->Groups() : std::vector<rules::GroupSnapshot>{};
}

std::vector<std::string> Alerter::RuleFilePaths() const {
  std::vector<std::string> paths;
  if (rule_manager_ == nullptr) return paths;
  for (const rules::GroupSnapshot& g : rule_manager_->Groups()) {
    if (paths.empty() || paths.back() != g.file) paths.push_back(g.file);
  }
  return paths;
}

std::vector<Alert> Alerter::Alerts() {
  std::vector<Alert> out;
  std::shared_ptr<Runtime> rt;
  {
    std::lock_guard<std::mutex> l(mu_);
    rt = rt_;
    out.reserve(alerts_.size());
    for (const auto& [fp, a] : alerts_) out.push_back(a);
  }
  // As AM's API setAlertStatus: refresh silenced/inhibited state first.
  for (const Alert& a : out) {
    rt->silencer->Mutes(a.labels);
    rt->inhibitor->Mutes(a.labels);
  }
  return out;
}

std::vector<alerting::AlertGroupSnapshot> Alerter::Groups() {
  std::shared_ptr<Runtime> rt;
  {
    std::lock_guard<std::mutex> l(mu_);
    rt = rt_;
  }
  Alerts();  // refresh the marker
  return rt->dispatcher->Groups();
}

alerting::apiv2::ConfigSnapshot Alerter::CurrentConfig() {
  std::lock_guard<std::mutex> l(mu_);
  return alerting::apiv2::ConfigSnapshot{rt_->config, rt_->route, rt_->config->global.resolve_timeout};
}

std::vector<std::string> Alerter::InhibitedBy(const model::Labels& labels) {
  std::shared_ptr<Runtime> rt;
  bool stored;
  alerting::Fingerprint fp = alerting::LabelsFingerprint(labels);
  {
    std::lock_guard<std::mutex> l(mu_);
    rt = rt_;
    stored = alerts_.contains(fp);
  }
  rt->inhibitor->Mutes(labels);
  std::vector<std::string> out = marker_.Status(fp).inhibited_by;
  if (!stored) marker_.Delete(fp);  // Mutes() marked an alert that does not exist
  return out;
}

void Alerter::DriverLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    absl::Time now = clock_.Now();
    if (now >= next_gc_) {
      // Resolved alerts leave the store (AM's provider GC); state stores GC too.
      for (auto it = alerts_.begin(); it != alerts_.end();) {
        auto cur = it++;
        if (cur->second.ResolvedAt(now)) {
          marker_.Delete(cur->first);
          alerts_.erase(cur);
        }
      }
      rt_->inhibitor->GC();
      silences_->GC().IgnoreError();
      nflog_->GC().IgnoreError();
      next_gc_ = now + opts_.alerts_gc_interval;
    }
    if (!installing_) rt_->dispatcher->Tick();
    absl::Time next = std::min(rt_->dispatcher->NextDeadline(), next_gc_);
    next = std::min(next, clock_.Now() + absl::Hours(1));
    wake_ = false;
    driver_deadline_ = next;
    cv_.wait_until(l, absl::ToChronoTime(next), [&] { return stop_ || wake_; });
    driver_deadline_ = absl::InfiniteFuture();  // running: a completed flush wakes it again
  }
}

void Alerter::RegisterMetrics() {
  notify_metrics_ = std::make_unique<alerting::notify::NotifyMetrics>(metrics_);
  reload_success_ = metrics_.AddGauge("alertmanager_config_last_reload_successful",
                                      "Whether the last configuration reload attempt was successful.");
  reload_success_time_ = metrics_.AddGauge("alertmanager_config_last_reload_success_timestamp_seconds",
                                           "Timestamp of the last successful configuration reload.");
  metrics_.AddCollector([this](std::vector<selfmetrics::MetricFamily>* out) {
    absl::Time now = clock_.Now();
    double counts[3] = {0, 0, 0};
    {
      std::lock_guard<std::mutex> l(mu_);
      for (const auto& [fp, a] : alerts_) {
        if (a.ResolvedAt(now)) continue;
        counts[static_cast<int>(marker_.Status(fp).state)] += 1;
      }
    }
    selfmetrics::MetricFamily f{"alertmanager_alerts", "How many alerts by state.", selfmetrics::MetricType::kGauge, {}};
    const char* names[3] = {"unprocessed", "active", "suppressed"};
    for (int i : {1, 2, 0}) f.samples.push_back({"", {{"state", names[i]}}, counts[i]});
    out->push_back(std::move(f));
    double sc[3] = {0, 0, 0};
    for (const auto& s : silences_->Query({})) sc[static_cast<int>(alerting::GetSilenceState(s, now))] += 1;
    selfmetrics::MetricFamily sf{"alertmanager_silences", "How many silences by state.",
                                 selfmetrics::MetricType::kGauge, {}};
    sf.samples.push_back({"", {{"state", "active"}}, sc[1]});
    sf.samples.push_back({"", {{"state", "expired"}}, sc[0]});
    sf.samples.push_back({"", {{"state", "pending"}}, sc[2]});
    out->push_back(std::move(sf));
  });
  metrics_.AddGaugeFunc("alertmanager_nflog_snapshot_size_bytes", "Size of the notification log entries.",
                        [this] { return static_cast<double>(nflog_->Size()); });
  metrics_.AddGaugeFunc("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                        [this] { return absl::ToDoubleSeconds(start_time_ - absl::UnixEpoch()); });
}

absl::Status Alerter::Start() {
  RegisterMetrics();
  std::error_code ec;
  std::filesystem::create_directories(opts_.storage_path, ec);
  alerting::Silences::Options so;
  so.path = (std::filesystem::path(opts_.storage_path) / "silences").string();
  so.retention = opts_.data_retention;
  so.clock = &clock_;
  OMNI_ASSIGN_OR_RETURN(silences_, alerting::Silences::Open(so));
  alerting::NotificationLog::Options no;
  no.path = (std::filesystem::path(opts_.storage_path) / "nflog").string();
  no.retention = opts_.data_retention;
  no.clock = &clock_;
  OMNI_ASSIGN_OR_RETURN(nflog_, alerting::NotificationLog::Open(no));

  OMNI_LOG(kInfo, "configuration").Msg("Loading configuration file").Kv("file", opts_.config_file);
  OMNI_ASSIGN_OR_RETURN(std::unique_ptr<alerting::config::Config> cfg,
                        alerting::config::LoadConfigFile(opts_.config_file));
  OMNI_ASSIGN_OR_RETURN(std::unique_ptr<Runtime> rt, Build(std::move(cfg)));
  rt_ = std::shared_ptr<Runtime>(std::move(rt));
  OMNI_RETURN_IF_ERROR(StartRules());
  next_gc_ = clock_.Now() + opts_.alerts_gc_interval;
  flush_pool_ = std::make_unique<common::ThreadPool>(
      common::ThreadPool::Options{.max_threads = opts_.max_concurrent_flushes});
  driver_ = std::thread([this] { DriverLoop(); });

  alerting::apiv2::Deps deps;
  deps.silences = silences_.get();
  deps.marker = &marker_;
  deps.clock = &clock_;
  deps.put_alerts = [this](std::vector<Alert> as) { PutAlerts(std::move(as)); };
  deps.alerts = [this] { return Alerts(); };
  deps.groups = [this] { return Groups(); };
  deps.config = [this] { return CurrentConfig(); };
  deps.start_time = start_time_;
  deps.registry = &metrics_;
  api_ = std::make_unique<alerting::apiv2::Api>(deps);
  api_->Register(router_);
  rules::RegisterRulesApi(&router_, [this]() -> absl::StatusOr<std::vector<rules::GroupSnapshot>> {
    return RuleGroups();
  });
  router_.Get("/metrics", [this](httpapi::Request&, httpapi::Response& resp) {
    resp.Send(200, selfmetrics::kTextContentType, metrics_.ExpositionText());
  });
  router_.Get("/-/healthy", [](httpapi::Request&, httpapi::Response& resp) { resp.Send(200, "text/plain", "OK"); });
  router_.Get("/-/ready", [this](httpapi::Request&, httpapi::Response& resp) {
    if (ready_.load()) return resp.Send(200, "text/plain", "OK");
    resp.Send(503, "text/plain", "Service Unavailable");
  });
  router_.Handle({"POST", "PUT"}, "/-/reload", [this](httpapi::Request&, httpapi::Response& resp) {
    absl::Status st = Reload("HTTP /-/reload");
    if (!st.ok()) return resp.Send(500, "text/plain", absl::StrCat("failed to reload config: ", st.message()));
    resp.Send(200, "text/plain", "");
  });

  httpapi::HttpServerOptions http_opts;
  http_opts.listen_address = opts_.web_listen_address;
  http_opts.metrics_registry = &metrics_;
  http_opts.metrics_prefix = "alertmanager";
  std::string prefix = opts_.web_route_prefix;
  if (prefix.empty() && !opts_.web_external_url.empty()) {
    std::string u = opts_.web_external_url;
    size_t scheme = u.find("://");
    size_t slash = u.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (slash != std::string::npos) prefix = u.substr(slash);
  }
  http_opts.route_prefix = prefix;
  if (!opts_.web_config_file.empty()) {
    OMNI_ASSIGN_OR_RETURN(http_opts.web_config, httpapi::LoadWebConfig(opts_.web_config_file));
  }
  http_ = std::make_unique<httpapi::HttpServer>(http_opts, &router_);
  OMNI_RETURN_IF_ERROR(http_->Start());

  grpc_service_ = std::make_unique<AlerterServiceImpl>(this);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  // gRPC does not accept Go's ":port" form for "all interfaces".
  std::string grpc_addr = opts_.grpc_listen_address;
  if (!grpc_addr.empty() && grpc_addr[0] == ':') grpc_addr = "0.0.0.0" + grpc_addr;
  OMNI_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> grpc_creds,
                        rpc::ServerCredentials({opts_.grpc_tls_cert_file, opts_.grpc_tls_key_file,
                                                opts_.grpc_tls_client_ca_file}));
  builder.AddListeningPort(grpc_addr, grpc_creds, &grpc_port);
  builder.RegisterService(grpc_service_.get());
  grpc_server_ = builder.BuildAndStart();
  if (!grpc_server_ || grpc_port == 0)
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", opts_.grpc_listen_address));
  {
    std::string addr = grpc_addr.substr(0, grpc_addr.rfind(':'));
    OMNI_LOG(kInfo, "grpc")
        .Msg("Listening")
        .Kv("address", absl::StrCat(addr, ":", grpc_port))
        .Kv("tls", !opts_.grpc_tls_cert_file.empty());
  }

  std::vector<std::string> watched = RuleFilePaths();
  watched.insert(watched.begin(), opts_.config_file);
  watcher_ = std::make_unique<common::FileWatcher>(std::move(watched), opts_.config_watch_interval,
                                                   [this] { Reload("file change").IgnoreError(); });
  watcher_->Start();
  reload_success_->Set(1);
  reload_success_time_->SetToTime(absl::Now());
  ready_.store(true);
  return absl::OkStatus();
}

absl::Status Alerter::Reload(std::string_view trigger) {
  std::lock_guard<std::mutex> rl(reload_mu_);
  OMNI_LOG(kInfo, "configuration").Msg("Loading configuration file").Kv("file", opts_.config_file).Kv("trigger", trigger);
  absl::Status st;
  // Everything is loaded and checked before anything is replaced.
  absl::StatusOr<std::vector<rules::RuleFile>> rule_files = std::vector<rules::RuleFile>{};
  if (rule_manager_ != nullptr) rule_files = rules::LoadRuleFiles(opts_.rule_files);
  auto cfg = alerting::config::LoadConfigFile(opts_.config_file);
  if (!rule_files.ok()) {
    st = rule_files.status();
  } else if (cfg.ok()) {
    auto rt = Build(std::shared_ptr<const alerting::config::Config>(std::move(*cfg)));
    if (rt.ok()) {
      Install(std::move(*rt));
      if (rule_manager_ != nullptr) st = rule_manager_->Update(*rule_files, opts_.evaluation_interval);
    } else {
      st = rt.status();
    }
  } else {
    st = cfg.status();
  }
  if (!st.ok()) {
    reload_success_->Set(0);
    OMNI_LOG(kError, "configuration")
        .Msg("Loading configuration file failed; the previous configuration stays active")
        .Kv("file", opts_.config_file)
        .Kv("err", st.ToString());
    return st;
  }
  reload_success_->Set(1);
  reload_success_time_->SetToTime(absl::Now());
  OMNI_LOG(kInfo, "configuration").Msg("Completed loading of configuration file").Kv("file", opts_.config_file);
  return absl::OkStatus();
}

void Alerter::Stop() {
  if (stopped_.exchange(true)) return;
  if (watcher_) watcher_->Stop();
  if (rule_manager_) rule_manager_->Stop();
  if (http_) http_->Stop();
  if (grpc_server_) grpc_server_->Shutdown();
  waiter_->Cancel(true);
  {
    std::unique_lock<std::mutex> l(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (driver_.joinable()) driver_.join();
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return in_flight_ == 0; });
}

}  // namespace omni::alerter
