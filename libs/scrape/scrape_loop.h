// ScrapeLoop scrapes one target and writes its samples to storage, as
// Prometheus's scrapeLoop: parse with textparse, apply honor_labels /
// honor_timestamps and metric_relabel_configs, enforce sample and label
// limits, write staleness markers for series that disappeared, and append
// the report series (up, scrape_duration_seconds, scrape_samples_scraped,
// scrape_samples_post_metric_relabeling, scrape_series_added).
//
// A scrape cache keyed by the raw series bytes maps each series to its
// SeriesRef (or "dropped"), so that steady-state scrapes neither parse labels
// nor re-run metric relabeling; samples go to storage by ref
// (Appender::AppendByRef). The cache keeps no label sets (see
// internal/series_cache.h): they are re-derived from the raw bytes when a
// storage does not know a ref.
//
// The loop does not schedule itself: the ScrapePool's scheduler (or a test)
// calls ScrapeOnce(now).
//
// Example:
//   ScrapeLoop loop(target, std::move(scraper), &storage, ScrapeLoopOptionsFrom(sc), &stats);
//   loop.ScrapeOnce(absl::Now());
//   ...
//   loop.Stop(/*write_staleness=*/true, absl::Now());
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/config/prometheus_config.h"
#include "libs/model/labels.h"
#include "libs/model/sample.h"
#include "libs/relabel/relabel.h"
#include "libs/scrape/http_scraper.h"
#include "libs/scrape/internal/series_cache.h"
#include "libs/scrape/target.h"
#include "libs/storage/storage.h"

namespace omni::scrape {

// Counters shared by all loops of a manager, exported as self-metrics
// (prometheus_target_* equivalents). Plain atomics: read them any time.
struct ScrapeStats {
  std::atomic<uint64_t> scrapes_total{0};
  std::atomic<uint64_t> scrapes_failed{0};  // HTTP or append failures
  std::atomic<uint64_t> samples_appended{0};
  std::atomic<uint64_t> sample_limit_exceeded{0};    // prometheus_target_scrapes_exceeded_sample_limit_total
  std::atomic<uint64_t> label_limit_exceeded{0};     // prometheus_target_scrapes_exceeded_label_limits_total
  std::atomic<uint64_t> body_size_limit_exceeded{0}; // prometheus_target_scrapes_exceeded_body_size_limit_total
  std::atomic<uint64_t> out_of_order{0};    // prometheus_target_scrapes_sample_out_of_order_total
  std::atomic<uint64_t> duplicate{0};       // prometheus_target_scrapes_sample_duplicate_timestamp_total
  std::atomic<uint64_t> out_of_bounds{0};   // prometheus_target_scrapes_sample_out_of_bounds_total
  std::atomic<uint64_t> parse_errors{0};
  std::atomic<uint64_t> cache_flushes{0};   // prometheus_target_scrape_pool_... cache flush
  std::atomic<uint64_t> target_sync_errors{0};  // targets rejected by PopulateLabels
};

struct ScrapeLoopOptions {
  bool honor_labels = false;
  bool honor_timestamps = true;
  std::vector<relabel::RelabelConfig> metric_relabel_configs;
  uint64_t sample_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
};
ScrapeLoopOptions ScrapeLoopOptionsFrom(const config::ScrapeConfig& config);

// What one append pass produced.
struct AppendResult {
  uint64_t total = 0;         // samples in the payload
  uint64_t added = 0;         // samples stored after metric relabeling
  uint64_t series_added = 0;  // series not seen in the previous scrapes
  absl::Status status;        // parse / limit error: nothing of the pass must be kept
};

class ScrapeLoop {
 public:
  // `target`, `appendable` and `stats` must outlive the loop.
  ScrapeLoop(TargetPtr target, ScraperPtr scraper, storage::Appendable* appendable,
             ScrapeLoopOptions options, ScrapeStats* stats);

  // Scrapes the target once; `now` is the timestamp of the samples (without
  // honored timestamps) and of the report series. Updates the target health
  // and returns the scrape error (OK when up). Never crashes on bad payloads.
  // Not reentrant: one call at a time per loop.
  absl::Status ScrapeOnce(absl::Time now);

  // Appends a payload as if scraped at `ts` to `app` (no commit, no report
  // series). Exposed for tests and benchmarks.
  AppendResult Append(storage::Appender& app, std::string_view body, std::string_view content_type,
                      model::Timestamp ts);

  // Makes every following scrape fail with `error` without contacting the
  // target (target_limit exceeded); OK clears it.
  void SetForcedError(absl::Status error);

  // Writes staleness markers at `now` for every series of the last scrape and
  // for the report series: the target has gone away. Not reentrant with
  // ScrapeOnce.
  void WriteEndOfRunStaleness(absl::Time now);

  const TargetPtr& target() const { return target_; }
  size_t cache_size() const { return cache_.size(); }

 private:
  using CacheId = internal::SeriesCache::Id;
  // Applies target labels (honor_labels) and metric relabeling; empty = drop.
  model::Labels MutateSampleLabels(const model::Labels& scraped) const;
  absl::Status CheckLabelLimits(const model::Labels& labels) const;
  // The final labels of a cached series, re-derived from its raw bytes.
  model::Labels CachedLabels(const internal::SeriesCache::Entry& e) const;
  // Appends by the entry's ref, or with its re-derived labels when the
  // storage does not know the ref.
  absl::StatusOr<storage::SeriesRef> AppendCached(storage::Appender& app, CacheId id, model::Timestamp t,
                                                  double v);
  void IterDone(bool flush);
  void AppendReport(storage::Appender& app, model::Timestamp ts, absl::Duration duration,
                    const AppendResult& r, bool up, bool stale);

  TargetPtr target_;
  ScraperPtr scraper_;
  storage::Appendable* appendable_;
  ScrapeLoopOptions options_;
  ScrapeStats* stats_;

  std::string body_;  // reused between scrapes
  internal::SeriesCache cache_;
  uint32_t iter_ = 1;
  uint64_t last_successful_cache_size_ = 0;
  // For staleness: entries appended (without explicit timestamp) in the
  // previous / current scrape, and the label hashes of the current one. Ids
  // stay valid: entries seen in the current scrape are never evicted before
  // the swap.
  std::vector<CacheId> prev_ids_, cur_ids_;
  absl::flat_hash_set<uint64_t> cur_hashes_;
  model::Labels report_labels_[5];
  storage::SeriesRef report_refs_[5] = {0, 0, 0, 0, 0};

  std::mutex forced_mu_;
  absl::Status forced_error_;
};

}  // namespace omni::scrape
