#include "libs/scrape/scrape_loop.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/strings/str_format.h"
#include "libs/common/logging.h"
#include "libs/textparse/textparse.h"

namespace omni::scrape {
namespace {

constexpr char kExportedLabelPrefix[] = "exported_";
constexpr std::string_view kReportNames[5] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                              "scrape_samples_post_metric_relabeling",
                                              "scrape_series_added"};

std::string Trunc(std::string_view s, size_t n = 50) { return std::string(s.substr(0, n)); }

}  // namespace

ScrapeLoopOptions ScrapeLoopOptionsFrom(const config::ScrapeConfig& c) {
  ScrapeLoopOptions o;
  o.honor_labels = c.honor_labels;
  o.honor_timestamps = c.honor_timestamps;
  o.metric_relabel_configs = c.metric_relabel_configs;
  o.sample_limit = c.sample_limit;
  o.label_limit = c.label_limit;
  o.label_name_length_limit = c.label_name_length_limit;
  o.label_value_length_limit = c.label_value_length_limit;
  return o;
}

ScrapeLoop::ScrapeLoop(TargetPtr target, ScraperPtr scraper, storage::Appendable* appendable,
                       ScrapeLoopOptions options, ScrapeStats* stats)
    : target_(std::move(target)),
      scraper_(std::move(scraper)),
      appendable_(appendable),
      options_(std::move(options)),
      stats_(stats) {
  for (int i = 0; i < 5; ++i) {
    model::LabelsBuilder b(target_->labels());
    b.Set(model::kMetricName, kReportNames[i]);
    report_labels_[i] = b.Build();
  }
}

void ScrapeLoop::SetForcedError(absl::Status error) {
  std::lock_guard<std::mutex> lock(forced_mu_);
  forced_error_ = std::move(error);
}

model::Labels ScrapeLoop::MutateSampleLabels(const model::Labels& scraped) const {
  const model::Labels& target_labels = target_->labels();
  model::LabelsBuilder b(scraped);
  if (options_.honor_labels) {
    for (const auto& l : target_labels) {
      if (!scraped.Has(l.name)) b.Set(l.name, l.value);
    }
  } else {
    std::vector<model::Label> conflicts;
    for (const auto& l : target_labels) {
      std::string_view existing = scraped.Get(l.name);
      if (!existing.empty()) conflicts.push_back({l.name, std::string(existing)});
      b.Set(l.name, l.value);
    }
    if (!conflicts.empty()) {
      // Shorter names first; each gets "exported_" prepended until it is free.
      std::stable_sort(conflicts.begin(), conflicts.end(),
                       [](const model::Label& a, const model::Label& c) { return a.name.size() < c.name.size(); });
      for (size_t i = 0; i < conflicts.size(); ++i) {
        std::string name = conflicts[i].name;
        while (true) {
          name = absl::StrCat(kExportedLabelPrefix, name);
          bool taken = scraped.Has(name) || target_labels.Has(name);
          for (size_t j = 0; j < i && !taken; ++j) taken = conflicts[j].name == name;
          if (!taken) break;
        }
        conflicts[i].name = name;
      }
      for (const auto& l : conflicts) b.Set(l.name, l.value);
    }
  }
  model::Labels out = b.Build();
  if (options_.metric_relabel_configs.empty()) return out;
  model::Labels relabeled;
  if (!relabel::Process(out, options_.metric_relabel_configs, &relabeled)) return model::Labels();
  return relabeled;
}

absl::Status ScrapeLoop::CheckLabelLimits(const model::Labels& labels) const {
  std::string_view metric = labels.MetricName();
  if (options_.label_limit > 0 && labels.size() > options_.label_limit) {
    return absl::ResourceExhaustedError(absl::StrCat("label_limit exceeded (metric: ", Trunc(metric),
                                                     ", number of labels: ", labels.size(),
                                                     ", limit: ", options_.label_limit, ")"));
  }
  if (options_.label_name_length_limit == 0 && options_.label_value_length_limit == 0) {
    return absl::OkStatus();
  }
  for (const auto& l : labels) {
    if (options_.label_name_length_limit > 0 && l.name.size() > options_.label_name_length_limit) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "label_name_length_limit exceeded (metric: ", Trunc(metric), ", label name: ", Trunc(l.name),
          ", length: ", l.name.size(), ", limit: ", options_.label_name_length_limit, ")"));
    }
    if (options_.label_value_length_limit > 0 && l.value.size() > options_.label_value_length_limit) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "label_value_length_limit exceeded (metric: ", Trunc(metric), ", label name: ", Trunc(l.name),
          ", value: \"", Trunc(l.value), "\", length: ", l.value.size(),
          ", limit: ", options_.label_value_length_limit, ")"));
    }
  }
  return absl::OkStatus();
}

model::Labels ScrapeLoop::CachedLabels(const internal::SeriesCache::Entry& e) const {
  model::Labels scraped;
  absl::Status st = textparse::ParseSeriesLabels(
      e.key_view(), e.openmetrics ? textparse::Format::kOpenMetrics : textparse::Format::kPrometheusText, &scraped);
  // The bytes parsed when they were cached; failing now is a bug.
  if (!st.ok()) {
    OMNI_LOG(kError, "scrape").Msg("Cannot re-parse a cached series").Kv("err", st);
    return model::Labels();
  }
  return MutateSampleLabels(scraped);
}

absl::StatusOr<storage::SeriesRef> ScrapeLoop::AppendCached(storage::Appender& app, CacheId id,
                                                           model::Timestamp t, double v) {
  storage::SeriesRef ref = cache_.entry(id).ref;
  if (ref != 0) {
    absl::StatusOr<storage::SeriesRef> r = app.AppendByRef(ref, t, v);
    if (r.ok() || !absl::IsNotFound(r.status()) || storage::GetAppendError(r.status()) != storage::AppendError::kNone) {
      return r;
    }
  }
  model::Labels labels = CachedLabels(cache_.entry(id));
  if (labels.empty()) return absl::InternalError("cached series without labels");
  return app.Append(0, labels, t, v);
}

AppendResult ScrapeLoop::Append(storage::Appender& app, std::string_view body,
                                std::string_view content_type, model::Timestamp ts) {
  AppendResult r;
  cur_ids_.clear();
  cur_hashes_.clear();
  // absl's clear() frees large tables; size this scrape's set like the last
  // one in one step instead of growing it through every power of two.
  cur_hashes_.reserve(prev_ids_.size());
  absl::Status sample_limit_err;
  if (!body.empty()) {
    const textparse::Format format = textparse::FormatFromContentType(content_type);
    auto parser = textparse::NewParser(body, format);
    model::Labels scraped;
    const bool openmetrics = format == textparse::Format::kOpenMetrics;
    cache_.StartPass();
    while (true) {
      // Most targets expose the same series in the same order every time:
      // let the parser confirm the predicted series instead of parsing it.
      CacheId predicted = cache_.Predict();
      if (predicted != internal::SeriesCache::kNone && cache_.entry(predicted).openmetrics == openmetrics) {
        parser->ExpectSeries(cache_.entry(predicted).key_view());
      } else {
        parser->ExpectSeries({});
      }
      absl::StatusOr<textparse::Entry> e = parser->Next();
      if (!e.ok()) {
        r.status = e.status();
        if (stats_) ++stats_->parse_errors;
        break;
      }
      if (*e == textparse::Entry::kEof) break;
      if (*e != textparse::Entry::kSeries) continue;
      ++r.total;

      std::string_view series = parser->Series();
      double v = parser->Value();
      model::Timestamp t = ts;
      bool explicit_ts = false;
      if (options_.honor_timestamps) {
        if (auto pts = parser->Timestamp()) {
          t = *pts;
          explicit_ts = true;
        }
      }

      CacheId id;
      if (parser->SeriesMatched()) {
        id = predicted;
        cache_.Hit(id);
      } else {
        id = cache_.Find(series);
      }
      absl::StatusOr<storage::SeriesRef> ref;
      if (id != internal::SeriesCache::kNone) {
        if (cache_.entry(id).dropped) {
          cache_.entry(id).last_iter = iter_;
          continue;
        }
        if (options_.sample_limit > 0 && r.added + 1 > options_.sample_limit) {
          // The scrape has failed, but like Prometheus keep relabeling the rest
          // so that scrape_samples_post_metric_relabeling reports them all.
          sample_limit_err = absl::ResourceExhaustedError("sample limit exceeded");
          ++r.added;
          continue;
        }
        ref = AppendCached(app, id, t, v);
      } else {
        parser->ParseLabels(&scraped);
        model::Labels lset = MutateSampleLabels(scraped);
        if (lset.empty()) {
          internal::SeriesCache::Entry& d = cache_.entry(cache_.Insert(series));
          d.dropped = true;
          d.last_iter = iter_;
          continue;
        }
        if (!lset.Has(model::kMetricName)) {
          r.status = absl::InvalidArgumentError("missing metric name (__name__ label)");
          break;
        }
        absl::Status limits = CheckLabelLimits(lset);
        if (!limits.ok()) {
          if (stats_) ++stats_->label_limit_exceeded;
          r.status = limits;
          break;
        }
        id = cache_.Insert(series);
        internal::SeriesCache::Entry& fresh = cache_.entry(id);
        fresh.labels_hash = lset.Hash();
        fresh.openmetrics = openmetrics;
        if (options_.sample_limit > 0 && r.added + 1 > options_.sample_limit) {
          sample_limit_err = absl::ResourceExhaustedError("sample limit exceeded");
          ++r.added;
          continue;
        }
        ref = app.Append(0, lset, t, v);
      }

      internal::SeriesCache::Entry& entry = cache_.entry(id);
      if (!ref.ok()) {
        storage::AppendError kind = storage::GetAppendError(ref.status());
        if (kind == storage::AppendError::kNone) {
          r.status = ref.status();
          break;
        }
        if (stats_) {
          if (kind == storage::AppendError::kOutOfOrder) ++stats_->out_of_order;
          else if (kind == storage::AppendError::kDuplicate) ++stats_->duplicate;
          else ++stats_->out_of_bounds;
        }
        entry.last_iter = iter_;
        // Still a sample that survived relabeling (Prometheus counts it too).
        ++r.added;
        continue;
      }
      if (entry.ref == 0) ++r.series_added;
      entry.ref = *ref;
      entry.last_iter = iter_;
      if (!explicit_ts) {
        cur_ids_.push_back(id);
        cur_hashes_.insert(entry.labels_hash);
      }
      ++r.added;
    }
  }
  if (r.status.ok() && !sample_limit_err.ok()) {
    if (stats_) ++stats_->sample_limit_exceeded;
    r.status = sample_limit_err;
  }
  if (!r.status.ok()) return r;

  // Series that were in the previous scrape and not in this one go stale.
  for (CacheId id : prev_ids_) {
    if (cur_hashes_.contains(cache_.entry(id).labels_hash)) continue;
    auto ref = AppendCached(app, id, ts, model::StaleNaN());
    if (!ref.ok() && storage::GetAppendError(ref.status()) == storage::AppendError::kNone) {
      r.status = ref.status();
      return r;
    }
  }
  IterDone(!body.empty());
  return r;
}

void ScrapeLoop::IterDone(bool flush) {
  size_t count = cache_.size();
  if (flush) {
    last_successful_cache_size_ = count;
  } else if (count > last_successful_cache_size_ * 2 + 1000) {
    // Failing scrapes with changing series would grow the cache forever.
    flush = true;
    if (stats_) ++stats_->cache_flushes;
  }
  if (flush) cache_.EvictNotSeen(iter_);
  std::swap(prev_ids_, cur_ids_);
  cur_ids_.clear();
  cur_hashes_.clear();
  ++iter_;
}

void ScrapeLoop::AppendReport(storage::Appender& app, model::Timestamp ts, absl::Duration duration,
                              const AppendResult& r, bool up, bool stale) {
  double values[5] = {up ? 1.0 : 0.0, absl::ToDoubleSeconds(duration), static_cast<double>(r.total),
                      static_cast<double>(r.added), static_cast<double>(r.series_added)};
  for (int i = 0; i < 5; ++i) {
    double v = stale ? model::StaleNaN() : values[i];
    auto ref = app.Append(report_refs_[i], report_labels_[i], ts, v);
    if (ref.ok()) report_refs_[i] = *ref;
  }
}

absl::Status ScrapeLoop::ScrapeOnce(absl::Time now) {
  const absl::Time start = absl::Now();
  const model::Timestamp ts = absl::ToUnixMillis(now);
  absl::Status scrape_err;
  {
    std::lock_guard<std::mutex> lock(forced_mu_);
    scrape_err = forced_error_;
  }
  std::string content_type;
  if (scrape_err.ok()) {
    absl::StatusOr<std::string> ct = scraper_->Scrape(&body_);
    if (ct.ok()) {
      content_type = std::move(*ct);
    } else {
      scrape_err = ct.status();
      if (stats_ && scrape_err.code() == absl::StatusCode::kResourceExhausted) {
        ++stats_->body_size_limit_exceeded;
      }
      body_.clear();
    }
  }
  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  AppendResult result;
  if (scrape_err.ok()) {
    result = Append(*app, body_, content_type, ts);
    if (!result.status.ok()) {
      // Store nothing from this payload; an empty append writes the staleness
      // markers a failed scrape implies.
      app->Rollback();
      app = appendable_->NewAppender();
      scrape_err = result.status;
      AppendResult empty = Append(*app, "", "", ts);
      if (!empty.status.ok()) {
        app->Rollback();
        app = appendable_->NewAppender();
      }
    }
  } else {
    AppendResult empty = Append(*app, "", "", ts);
    if (!empty.status.ok()) {
      app->Rollback();
      app = appendable_->NewAppender();
    }
  }
  // Keep the buffer's capacity for the next scrape but not an outsized one.
  if (body_.capacity() > (64u << 20)) std::string().swap(body_);

  const absl::Duration duration = absl::Now() - start;
  AppendReport(*app, ts, duration, result, scrape_err.ok(), /*stale=*/false);
  absl::Status commit = app->Commit();
  if (!commit.ok()) {
    OMNI_LOG(kWarn, "scrape").Msg("Commit failed").Kv("target", target_->URL()).Kv("err", commit);
    if (scrape_err.ok()) scrape_err = commit;
  }
  if (stats_) {
    ++stats_->scrapes_total;
    if (!scrape_err.ok()) ++stats_->scrapes_failed;
    if (scrape_err.ok()) stats_->samples_appended += result.added;
  }
  if (!scrape_err.ok()) {
    OMNI_LOG(kDebug, "scrape").Msg("Scrape failed").Kv("target", target_->URL()).Kv("err", scrape_err.message());
  }
  target_->Report(now, duration, scrape_err);
  return scrape_err;
}

void ScrapeLoop::WriteEndOfRunStaleness(absl::Time now) {
  const model::Timestamp ts = absl::ToUnixMillis(now);
  std::unique_ptr<storage::Appender> app = appendable_->NewAppender();
  AppendResult r = Append(*app, "", "", ts);
  if (!r.status.ok()) {
    app->Rollback();
    app = appendable_->NewAppender();
  }
  AppendReport(*app, ts, absl::ZeroDuration(), r, false, /*stale=*/true);
  absl::Status commit = app->Commit();
  if (!commit.ok()) {
    OMNI_LOG(kWarn, "scrape").Msg("Commit of staleness markers failed").Kv("target", target_->URL()).Kv("err", commit);
  }
}

}  // namespace omni::scrape
