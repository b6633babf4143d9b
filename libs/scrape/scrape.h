// The scrape subsystem of the collector, modelled on Prometheus's scrape/
// package: a ScrapeManager owns one ScrapePool per scrape job, receives target
// groups from the DiscoveryManager, and runs one ScrapeLoop per target on a
// shared scheduler (a timer thread plus a few workers), writing samples to a
// storage::Appendable.
//
// Example:
//   ScrapeManager scrape(&tsdb);
//   OMNI_RETURN_IF_ERROR(scrape.ApplyConfig(cfg));
//   discovery::DiscoveryManager dm([&](const discovery::JobGroups& g) { scrape.Sync(g); });
//   OMNI_RETURN_IF_ERROR(dm.ApplyConfig(cfg));
//   ...
//   scrape.ActiveTargets();   // /api/v1/targets
//   dm.Stop(); scrape.Stop();
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/config/prometheus_config.h"
#include "libs/discovery/discovery.h"
#include "libs/scrape/scheduler.h"
#include "libs/scrape/scrape_loop.h"
#include "libs/scrape/scrape_pool.h"
#include "libs/scrape/target.h"
#include "libs/storage/storage.h"

namespace omni::scrape {

struct ScrapeManagerOptions {
  // Worker threads that perform scrapes (each blocks on one HTTP request).
  int workers = 8;
  // Niceness (0..19) added to the workers, so that queries preempt scrapes
  // on busy cores (timestamps are taken before the fetch, so a delayed
  // parse does not skew them).
  int worker_nice = 0;
  // Mixed into every target's offset; use e.g. a hash of the external labels
  // and host name so that HA pairs do not scrape in lockstep.
  uint64_t offset_seed = 0;
  ScraperFactory scraper_factory;  // empty: HttpScraper
  // false: loops are not scheduled (tests drive pools with ScrapeAllOnce).
  bool run_scheduler = true;
};

// Returns `sc` with Prometheus's defaults from `global` filled in
// (scrape_interval, scrape_timeout capped at the interval).
config::ScrapeConfig WithGlobalDefaults(config::ScrapeConfig sc, const config::GlobalConfig& global);

class ScrapeManager {
 public:
  // `appendable` must outlive the manager.
  explicit ScrapeManager(storage::Appendable* appendable, ScrapeManagerOptions options = {});
  ~ScrapeManager();  // Stop()

  // Reconciles pools with `config`: new jobs get a pool, removed jobs are
  // stopped (their series marked stale), changed jobs are reloaded, unchanged
  // ones keep running untouched. Errors: InvalidArgument for duplicate job
  // names (nothing is changed then). Thread-safe.
  absl::Status ApplyConfig(const config::PrometheusConfig& config);
  // Receives the target groups of changed jobs (the DiscoveryManager's
  // callback). Groups of jobs without a pool are kept until a config adds it.
  // Thread-safe.
  void Sync(const discovery::JobGroups& groups);
  // Stops every pool (writing no staleness markers: shutdown) and the
  // scheduler. Idempotent.
  void Stop();

  // job -> active targets / discovered labels of dropped targets.
  std::map<std::string, std::vector<TargetStatus>> ActiveTargets() const;
  std::map<std::string, std::vector<model::Labels>> DroppedTargets() const;
  std::vector<std::string> Jobs() const;
  const ScrapeStats& stats() const { return stats_; }

  // Scrapes every target of every pool once at `now` (tests).
  void ScrapeAllOnce(absl::Time now);

 private:
  storage::Appendable* appendable_;
  ScrapeManagerOptions options_;
  ScrapeStats stats_;
  std::unique_ptr<ScrapeScheduler> scheduler_;

  // Serialises ApplyConfig / Sync / Stop / ScrapeAllOnce (which may wait for
  // running scrapes); never held by readers.
  std::mutex update_mu_;
  // Guards the maps below; held only briefly. Lock order: update_mu_, mu_.
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<ScrapePool>> pools_;
  std::map<std::string, std::string> fingerprints_;
  discovery::JobGroups groups_;  // last groups per job
  bool stopped_ = false;
};

}  // namespace omni::scrape
