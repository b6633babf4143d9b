#include "libs/scrape/scrape.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/logging.h"

namespace omni::scrape {
namespace {

void AppendRelabel(std::string* out, const std::vector<relabel::RelabelConfig>& rcs) {
  for (const auto& r : rcs) {
    absl::StrAppend(out, "[", absl::StrJoin(r.source_labels, ","), "|", r.separator, "|", r.target_label,
                    "|", r.replacement, "|", r.modulus, "|", std::string(relabel::ActionName(r.action)), "|",
                    r.regex_string(), "]");
  }
}

// Everything of a scrape config that affects scraping, as a string: equal
// strings mean the pool can keep running untouched.
std::string Fingerprint(const config::ScrapeConfig& c) {
  std::string s = absl::StrCat(c.job_name, "|", c.honor_labels, c.honor_timestamps, "|",
                               absl::FormatDuration(c.scrape_interval), "|",
                               absl::FormatDuration(c.scrape_timeout), "|", c.metrics_path, "|", c.scheme,
                               "|", c.sample_limit, ",", c.label_limit, ",", c.label_name_length_limit, ",",
                               c.label_value_length_limit, ",", c.target_limit, ",", c.body_size_limit);
  for (const auto& [k, vs] : c.params) absl::StrAppend(&s, "|p:", k, "=", absl::StrJoin(vs, ","));
  const auto& h = c.http_client;
  if (h.basic_auth) {
    absl::StrAppend(&s, "|ba:", h.basic_auth->username, ":", h.basic_auth->username_file, ":",
                    h.basic_auth->password, ":", h.basic_auth->password_file);
  }
  if (h.authorization) {
    absl::StrAppend(&s, "|au:", h.authorization->type, ":", h.authorization->credentials, ":",
                    h.authorization->credentials_file);
  }
  const auto& t = h.tls_config;
  absl::StrAppend(&s, "|tls:", t.ca_file, ":", t.ca, ":", t.cert_file, ":", t.cert, ":", t.key_file, ":",
                  t.key, ":", t.server_name, ":", t.insecure_skip_verify, ":", t.min_version, "|",
                  h.proxy_url, h.follow_redirects, h.enable_http2);
  absl::StrAppend(&s, "|rc:");
  AppendRelabel(&s, c.relabel_configs);
  absl::StrAppend(&s, "|mrc:");
  AppendRelabel(&s, c.metric_relabel_configs);
  return s;
}

}  // namespace

config::ScrapeConfig WithGlobalDefaults(config::ScrapeConfig sc, const config::GlobalConfig& global) {
  if (sc.scrape_interval <= absl::ZeroDuration()) sc.scrape_interval = global.scrape_interval;
  if (sc.scrape_timeout <= absl::ZeroDuration()) {
    sc.scrape_timeout = std::min(global.scrape_timeout, sc.scrape_interval);
  }
  return sc;
}

ScrapeManager::ScrapeManager(storage::Appendable* appendable, ScrapeManagerOptions options)
    : appendable_(appendable), options_(std::move(options)) {
  if (options_.run_scheduler) scheduler_ = std::make_unique<ScrapeScheduler>(options_.workers, options_.worker_nice);
}

ScrapeManager::~ScrapeManager() { Stop(); }

absl::Status ScrapeManager::ApplyConfig(const config::PrometheusConfig& config) {
  std::map<std::string, config::ScrapeConfig> wanted;
  for (const auto& sc : config.scrape_configs) {
    if (wanted.count(sc.job_name)) {
      return absl::InvalidArgumentError(absl::StrCat("found multiple scrape configs with job name \"",
                                                     sc.job_name, "\""));
    }
    wanted[sc.job_name] = WithGlobalDefaults(sc, config.global);
  }
  std::lock_guard<std::mutex> update(update_mu_);
  std::vector<std::unique_ptr<ScrapePool>> removed;
  std::vector<std::pair<ScrapePool*, config::ScrapeConfig>> reload;
  std::vector<std::pair<ScrapePool*, std::vector<discovery::TargetGroup>>> created;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return absl::FailedPreconditionError("scrape manager stopped");
    for (auto it = pools_.begin(); it != pools_.end();) {
      if (!wanted.count(it->first)) {
        removed.push_back(std::move(it->second));
        fingerprints_.erase(it->first);
        it = pools_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [job, sc] : wanted) {
      std::string fp = Fingerprint(sc);
      auto it = pools_.find(job);
      if (it == pools_.end()) {
        ScrapePoolOptions po;
        po.scheduler = scheduler_.get();
        po.offset_seed = options_.offset_seed;
        po.scraper_factory = options_.scraper_factory;
        auto pool = std::make_unique<ScrapePool>(sc, appendable_, &stats_, po);
        auto g = groups_.find(job);
        created.emplace_back(pool.get(), g == groups_.end() ? std::vector<discovery::TargetGroup>{} : g->second);
        pools_[job] = std::move(pool);
      } else if (fingerprints_[job] != fp) {
        reload.emplace_back(it->second.get(), sc);
      }
      fingerprints_[job] = fp;
    }
  }
  // Pool work (which may wait for running scrapes) happens outside mu_ so
  // that API reads are not blocked; update_mu_ keeps Sync from interleaving.
  for (auto& [pool, sc] : reload) pool->Reload(sc);
  for (auto& [pool, groups] : created) pool->Sync(groups);
  for (auto& pool : removed) pool->Stop(/*write_staleness=*/true);
  return absl::OkStatus();
}

void ScrapeManager::Sync(const discovery::JobGroups& groups) {
  std::lock_guard<std::mutex> update(update_mu_);
  std::vector<std::pair<ScrapePool*, const std::vector<discovery::TargetGroup>*>> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    for (const auto& [job, g] : groups) {
      groups_[job] = g;
      auto it = pools_.find(job);
      if (it != pools_.end()) work.emplace_back(it->second.get(), &g);
    }
  }
  // Pools are only removed under update_mu_, which is held.
  for (auto& [pool, g] : work) pool->Sync(*g);
}

void ScrapeManager::Stop() {
  std::lock_guard<std::mutex> update(update_mu_);
  std::map<std::string, std::unique_ptr<ScrapePool>> pools;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    pools.swap(pools_);
  }
  for (auto& [job, pool] : pools) pool->Stop(/*write_staleness=*/false);
  if (scheduler_) scheduler_->Stop();
}

std::map<std::string, std::vector<TargetStatus>> ScrapeManager::ActiveTargets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::vector<TargetStatus>> out;
  for (const auto& [job, pool] : pools_) out[job] = pool->ActiveTargets();
  return out;
}

std::map<std::string, std::vector<model::Labels>> ScrapeManager::DroppedTargets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::vector<model::Labels>> out;
  for (const auto& [job, pool] : pools_) out[job] = pool->DroppedTargets();
  return out;
}

std::vector<std::string> ScrapeManager::Jobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [job, pool] : pools_) out.push_back(job);
  return out;
}

void ScrapeManager::ScrapeAllOnce(absl::Time now) {
  std::lock_guard<std::mutex> update(update_mu_);
  std::vector<ScrapePool*> pools;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [job, pool] : pools_) pools.push_back(pool.get());
  }
  for (ScrapePool* pool : pools) pool->ScrapeAllOnce(now);
}

}  // namespace omni::scrape
