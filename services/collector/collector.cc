#include "services/collector/collector.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "libs/common/absl_compat.h"
#include "libs/common/logging.h"
#include "libs/httpapi/api.h"
#include "libs/httpapi/web_config.h"
#include "libs/rpc/credentials.h"
#include "services/collector/collector_service.h"
#include "services/collector/http_handlers.h"

namespace omni::collector {
namespace {

// Splits "host:port" for logging the bound address with the real port.
std::string WithPort(const std::string& listen, int port) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.empty()) host = "0.0.0.0";
  return absl::StrCat(host, ":", port);
}

// Tsdb counters, refreshed at most once per second.
class CachedTsdbCounters {
 public:
  explicit CachedTsdbCounters(tsdb::Tsdb* db) : db_(db) {}
  tsdb::TsdbCounters Get() {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Time now = absl::Now();
    if (now - taken_ > absl::Seconds(1)) {
      counters_ = db_->Counters();
      taken_ = now;
    }
    return counters_;
  }

 private:
  tsdb::Tsdb* db_;
  std::mutex mu_;
  absl::Time taken_ = absl::InfinitePast();
  tsdb::TsdbCounters counters_;
};

}  // namespace

Collector::Collector(CollectorOptions options) : options_(std::move(options)) {}

Collector::~Collector() { Stop(); }

absl::Status Collector::Start() {
  start_time_ = absl::Now();
  auto cfg = config::LoadPrometheusConfigFile(options_.config_file);
  if (!cfg.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error loading config from \"", options_.config_file, "\": ", common::AbslViewOf(cfg.status())));
  }
  config_ = std::make_shared<config::PrometheusConfig>(std::move(*cfg));

  if (options_.background_nice < 0 || options_.background_nice > 19) {
    return absl::InvalidArgumentError(
        absl::StrCat("--background.nice: ", options_.background_nice, " is outside 0..19"));
  }
  tsdb::TsdbOptions tsdb_opts;
  tsdb_opts.path = options_.storage_path;
  tsdb_opts.background_nice = static_cast<int>(options_.background_nice);
  tsdb_opts.retention_time = options_.retention_time;
  if (!options_.retention_size.empty() && options_.retention_size != "0") {
    auto size = config::ParseByteSize(options_.retention_size);
    if (!size.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--storage.tsdb.retention.size: ",
                                                     common::AbslViewOf(size.status())));
    }
    tsdb_opts.retention_size_bytes = static_cast<int64_t>(*size);
  }
  OMNI_LOG(kInfo, "tsdb").Msg("Opening storage").Kv("path", tsdb_opts.path);
  absl::Time open_start = absl::Now();
  auto db = tsdb::Tsdb::Open(tsdb_opts);
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  OMNI_LOG(kInfo, "tsdb")
      .Msg("TSDB started")
      .Kv("duration", absl::FormatDuration(absl::Now() - open_start))
      .Kv("series", db_->Head().num_series);

  scrape::ScrapeManagerOptions scrape_opts;
  scrape_opts.worker_nice = static_cast<int>(options_.background_nice);
  scrape_ = std::make_unique<scrape::ScrapeManager>(db_.get(), scrape_opts);
  absl::Status st = scrape_->ApplyConfig(*config_);
  if (!st.ok()) return st;
  discovery_ = std::make_unique<discovery::DiscoveryManager>(
      [this](const discovery::JobGroups& groups) { scrape_->Sync(groups); });
  st = discovery_->ApplyConfig(*config_);
  if (!st.ok()) return st;

  api_ = std::make_unique<promapi::PromApi>(db_.get(), options_.query);
  RegisterMetrics();
  RegisterHandlers();

  httpapi::HttpServerOptions http_opts;
  http_opts.listen_address = options_.web_listen_address;
  http_opts.metrics_registry = &metrics_;
  http_opts.metrics_prefix = "prometheus";
  if (!options_.web_config_file.empty()) {
    auto wc = httpapi::LoadWebConfig(options_.web_config_file);
    if (!wc.ok()) return wc.status();
    http_opts.web_config = std::move(*wc);
  }
  http_ = std::make_unique<httpapi::HttpServer>(http_opts, &router_);
  st = http_->Start();
  if (!st.ok()) return st;
  // HttpServer logs its own "Listening" line (component=web) with the bound port.

  // gRPC: health checking and reflection on, optional TLS (mutual when a client CA is given).
  grpc_service_ = std::make_unique<CollectorServiceImpl>(
      db_.get(),
      [this](const omniscope::v1::QueryRequest& req, omniscope::v1::QueryResponse* resp) {
        return GrpcQuery(*api_, req, resp);
      },
      [this](const omniscope::v1::TargetsRequest& req, omniscope::v1::TargetsResponse* resp) {
        FillTargets(*scrape_, req.state(), resp);
      },
      options_.enable_admin_api ? CollectorServiceImpl::SnapshotFn(
                                      [this](bool skip_head) { return TakeSnapshot(skip_head); })
                                : nullptr);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = rpc::ServerCredentials(
      {options_.grpc_tls_cert_file, options_.grpc_tls_key_file, options_.grpc_tls_client_ca_file});
  if (!creds.ok()) return creds.status();
  int grpc_port = 0;
  builder.AddListeningPort(options_.grpc_listen_address, *creds, &grpc_port);
  builder.RegisterService(grpc_service_.get());
  builder.SetMaxSendMessageSize(256 << 20);
  builder.SetMaxReceiveMessageSize(256 << 20);
  grpc_server_ = builder.BuildAndStart();
  if (!grpc_server_ || grpc_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options_.grpc_listen_address));
  }
  OMNI_LOG(kInfo, "grpc")
      .Msg("Listening")
      .Kv("address", WithPort(options_.grpc_listen_address, grpc_port))
      .Kv("tls", !options_.grpc_tls_cert_file.empty());

  watcher_ = std::make_unique<common::FileWatcher>(
      std::vector<std::string>{options_.config_file}, options_.config_watch_interval,
      [this] { Reload("file change").IgnoreError(); });
  watcher_->Start();

  reload_success_->Set(1);
  reload_success_time_->Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  ready_.store(true);
  OMNI_LOG(kInfo, "web").Msg("Server is ready to receive web requests.");
  return absl::OkStatus();
}

absl::Status Collector::Reload(std::string_view trigger) {
  std::lock_guard<std::mutex> lock(reload_mu_);
  auto cfg = config::LoadPrometheusConfigFile(options_.config_file);
  absl::Status st = cfg.status();
  if (st.ok()) st = scrape_->ApplyConfig(*cfg);
  if (st.ok()) st = discovery_->ApplyConfig(*cfg);
  if (!st.ok()) {
    reload_success_->Set(0);
    reloads_failed_->Inc();
    OMNI_LOG(kError, "config")
        .Msg("Error reloading config; the previous configuration stays active")
        .Kv("file", options_.config_file)
        .Kv("trigger", trigger)
        .Kv("err", common::StatusMessage(st));
    return st;
  }
  config_ = std::make_shared<config::PrometheusConfig>(std::move(*cfg));
  reload_success_->Set(1);
  reload_success_time_->Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  OMNI_LOG(kInfo, "config")
      .Msg("Completed loading of configuration file")
      .Kv("file", options_.config_file)
      .Kv("trigger", trigger);
  return absl::OkStatus();
}

void Collector::Stop() {
  if (stopped_) return;
  stopped_ = true;
  ready_.store(false);
  if (watcher_) watcher_->Stop();
  if (discovery_) discovery_->Stop();
  if (scrape_) scrape_->Stop();
  if (grpc_server_) grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (http_) http_->Stop();
  if (db_) {
    absl::Status st = db_->Close();
    if (!st.ok()) OMNI_LOG(kError, "tsdb").Msg("Closing storage failed").Kv("err", st);
  }
}

absl::StatusOr<std::string> Collector::TakeSnapshot(bool skip_head) {
  std::string name = absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()), "-",
                                  absl::Hex(absl::ToUnixNanos(absl::Now()) & 0xffffffffffff));
  std::string dir = (std::filesystem::path(options_.storage_path) / "snapshots" / name).string();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ec);
  OMNI_LOG(kInfo, "tsdb").Msg("Creating snapshot").Kv("dir", dir);
  absl::Status st = db_->Snapshot(dir, skip_head);
  if (!st.ok()) return st;
  OMNI_LOG(kInfo, "tsdb").Msg("Snapshot done").Kv("dir", dir);
  return name;
}

void Collector::RegisterMetrics() {
  selfmetrics::RegisterProcessMetrics(metrics_);
  selfmetrics::RegisterBuildInfo(metrics_, "omniscope_collector_build_info",
                                 {options_.query.build_info.version, options_.query.build_info.revision,
                                  options_.query.build_info.branch});
  reload_success_ = metrics_.AddGauge("prometheus_config_last_reload_successful",
                                      "Whether the last configuration reload attempt was successful.");
  reload_success_time_ = metrics_.AddGauge("prometheus_config_last_reload_success_timestamp_seconds",
                                           "Timestamp of the last successful configuration reload.");
  reloads_failed_ = metrics_.AddCounter("omniscope_config_reload_failures_total",
                                        "Configuration reloads refused because the new file was invalid.");
  metrics_.AddGaugeFunc("prometheus_ready", "Whether the collector is ready to serve requests.",
                        [this] { return ready_.load() ? 1.0 : 0.0; });

  // TSDB: Prometheus's names, so that existing dashboards keep working.
  tsdb::Tsdb* db = db_.get();
  // Tsdb::Counters() walks every series; one snapshot serves all the
  // families of one /metrics collection instead of one walk per family.
  auto snapshot = std::make_shared<CachedTsdbCounters>(db);
  auto counter = [&](const char* name, const char* help, int64_t tsdb::TsdbCounters::*field) {
    metrics_.AddCounterFunc(name, help, [snapshot, field] { return static_cast<double>(snapshot->Get().*field); });
  };
  auto gauge = [&](const char* name, const char* help, int64_t tsdb::TsdbCounters::*field) {
    metrics_.AddGaugeFunc(name, help, [snapshot, field] { return static_cast<double>(snapshot->Get().*field); });
  };
  counter("prometheus_tsdb_head_samples_appended_total", "Total number of appended samples.",
          &tsdb::TsdbCounters::samples_appended);
  counter("prometheus_tsdb_out_of_order_samples_total", "Samples rejected as out of order.",
          &tsdb::TsdbCounters::out_of_order_samples);
  counter("omniscope_tsdb_duplicate_samples_total", "Samples rejected as duplicates (same timestamp, other value).",
          &tsdb::TsdbCounters::duplicate_samples);
  counter("prometheus_tsdb_out_of_bound_samples_total", "Samples rejected as older than the head's lower bound.",
          &tsdb::TsdbCounters::out_of_bounds_samples);
  counter("prometheus_tsdb_head_series_created_total", "Total number of series created in the head.",
          &tsdb::TsdbCounters::series_created);
  counter("prometheus_tsdb_head_series_removed_total", "Total number of series removed from the head.",
          &tsdb::TsdbCounters::series_removed);
  counter("omniscope_tsdb_chunks_persisted_total", "Head chunks written to RocksDB.",
          &tsdb::TsdbCounters::chunks_persisted);
  counter("omniscope_tsdb_wal_records_written_total", "WAL records written (one per commit).",
          &tsdb::TsdbCounters::wal_records_written);
  counter("omniscope_tsdb_commits_total", "Appender commits.", &tsdb::TsdbCounters::commits);
  counter("omniscope_tsdb_commit_failures_total", "Appender commits that failed.",
          &tsdb::TsdbCounters::commit_failures);
  counter("prometheus_tsdb_compactions_total", "RocksDB compactions completed.", &tsdb::TsdbCounters::compactions);
  counter("omniscope_tsdb_retention_buckets_deleted_total", "Time buckets deleted by retention.",
          &tsdb::TsdbCounters::retention_buckets_deleted);
  gauge("prometheus_tsdb_head_series", "Total number of series in the head.", &tsdb::TsdbCounters::head_series);
  gauge("prometheus_tsdb_head_chunks", "Total number of chunks in the head.", &tsdb::TsdbCounters::head_chunks);
  gauge("prometheus_tsdb_storage_blocks_bytes", "Bytes of the RocksDB database (SST files and memtables).",
        &tsdb::TsdbCounters::rocksdb_size_bytes);
  gauge("omniscope_tsdb_wal_pending_records", "WAL records whose samples are not yet in persisted chunks.",
        &tsdb::TsdbCounters::wal_pending_records);
  metrics_.AddGaugeFunc("omniscope_tsdb_head_memory_bytes", "Approximate heap bytes used by the head.",
                        [db] { return static_cast<double>(db->HeadMemoryBytes()); });
  metrics_.AddGaugeFunc("prometheus_tsdb_head_min_time", "Lowest timestamp in the head (ms).",
                        [db] { return static_cast<double>(db->Head().min_time); });
  metrics_.AddGaugeFunc("prometheus_tsdb_head_max_time", "Highest timestamp in the head (ms).",
                        [db] { return static_cast<double>(db->Head().max_time); });

  // Scraping.
  const scrape::ScrapeStats* s = &scrape_->stats();
  auto scounter = [&](const char* name, const char* help, const std::atomic<uint64_t> scrape::ScrapeStats::*field) {
    metrics_.AddCounterFunc(name, help, [s, field] { return static_cast<double>((s->*field).load()); });
  };
  scounter("omniscope_scrapes_total", "Scrapes performed.", &scrape::ScrapeStats::scrapes_total);
  scounter("omniscope_scrapes_failed_total", "Scrapes that failed (HTTP, parse or limit errors).",
           &scrape::ScrapeStats::scrapes_failed);
  scounter("omniscope_scrape_samples_appended_total", "Samples appended by scrapes.",
           &scrape::ScrapeStats::samples_appended);
  scounter("prometheus_target_scrapes_exceeded_sample_limit_total",
           "Scrapes that hit the sample limit and were rejected.", &scrape::ScrapeStats::sample_limit_exceeded);
  scounter("omniscope_target_scrapes_exceeded_label_limits_total",
           "Scrapes that hit a label limit and were rejected.", &scrape::ScrapeStats::label_limit_exceeded);
  scounter("prometheus_target_scrapes_exceeded_body_size_limit_total",
           "Scrapes that hit the body size limit.", &scrape::ScrapeStats::body_size_limit_exceeded);
  scounter("prometheus_target_scrapes_sample_out_of_order_total",
           "Scraped samples rejected as out of order.", &scrape::ScrapeStats::out_of_order);
  scounter("prometheus_target_scrapes_sample_duplicate_timestamp_total",
           "Scraped samples rejected as duplicates.", &scrape::ScrapeStats::duplicate);
  scounter("prometheus_target_scrapes_sample_out_of_bounds_total",
           "Scraped samples rejected as out of bounds.", &scrape::ScrapeStats::out_of_bounds);
  scounter("omniscope_scrape_parse_errors_total", "Scrapes whose payload could not be parsed.",
           &scrape::ScrapeStats::parse_errors);
  scounter("prometheus_target_sync_failed_total", "Targets rejected while applying relabeling.",
           &scrape::ScrapeStats::target_sync_errors);
}

void Collector::RegisterHandlers() {
  HandlerContext ctx;
  ctx.db = db_.get();
  ctx.scrape = scrape_.get();
  ctx.metrics = &metrics_;
  ctx.options = &options_;
  ctx.ready = &ready_;
  ctx.start_time = start_time_;
  ctx.config = [this] {
    std::lock_guard<std::mutex> lock(reload_mu_);
    return config_;
  };
  ctx.reload = [this] { return Reload("HTTP /-/reload"); };
  ctx.quit = [this] {
    if (quit_) quit_();
  };
  ctx.snapshot = [this](bool skip_head) { return TakeSnapshot(skip_head); };
  ctx.last_reload_ok = [this] { return reload_success_->Value() == 1; };
  RegisterCollectorHandlers(router_, ctx);
  api_->Register(router_);
}

}  // namespace omni::collector
