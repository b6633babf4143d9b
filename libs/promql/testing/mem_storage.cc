#include "libs/promql/testing/mem_storage.h"

#include <algorithm>
#include <set>

namespace omni::promql::testing {
namespace {

class SpanIterator : public storage::SampleIterator {
 public:
  SpanIterator(std::shared_ptr<const MemStorage::SeriesData> data, size_t begin, size_t end)
      : data_(std::move(data)), pos_(begin), begin_(begin), end_(end) {}
  bool Next() override {
    if (!started_) {
      started_ = true;
      pos_ = begin_;
    } else if (pos_ < end_) {
      pos_++;
    }
    return pos_ < end_;
  }
  bool Seek(model::Timestamp t) override {
    if (!started_) {
      started_ = true;
      pos_ = begin_;
    }
    if (pos_ < end_ && data_->samples[pos_].t >= t) return true;
    auto it = std::lower_bound(data_->samples.begin() + static_cast<long>(pos_),
                               data_->samples.begin() + static_cast<long>(end_), t,
                               [](const model::Sample& s, model::Timestamp x) { return s.t < x; });
    pos_ = static_cast<size_t>(it - data_->samples.begin());
    return pos_ < end_;
  }
  model::Sample At() const override { return data_->samples[pos_]; }

 private:
  std::shared_ptr<const MemStorage::SeriesData> data_;
  size_t pos_, begin_, end_;
  bool started_ = false;
};

class MemSeries : public storage::Series {
 public:
  MemSeries(std::shared_ptr<const MemStorage::SeriesData> data, size_t b, size_t e)
      : data_(std::move(data)), b_(b), e_(e) {}
  const model::Labels& labels() const override { return data_->labels; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    return std::make_unique<SpanIterator>(data_, b_, e_);
  }

 private:
  std::shared_ptr<const MemStorage::SeriesData> data_;
  size_t b_, e_;
};

class MemQuerier : public storage::Querier {
 public:
  MemQuerier(std::vector<std::shared_ptr<const MemStorage::SeriesData>> snapshot, model::Timestamp mint,
             model::Timestamp maxt)
      : snapshot_(std::move(snapshot)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                             const std::vector<model::Matcher>& matchers) override {
    std::vector<std::unique_ptr<storage::Series>> out;
    model::Timestamp mint = std::max(mint_, hints.start), maxt = std::min(maxt_, hints.end);
    for (const auto& d : snapshot_) {
      if (!model::MatchesAll(matchers, d->labels)) continue;
      auto lo = std::lower_bound(d->samples.begin(), d->samples.end(), mint,
                                 [](const model::Sample& s, model::Timestamp x) { return s.t < x; });
      auto hi = std::upper_bound(d->samples.begin(), d->samples.end(), maxt,
                                 [](model::Timestamp x, const model::Sample& s) { return x < s.t; });
      if (lo >= hi && !hints.series_only) continue;
      // Honour the hint like the TSDB does, so engine tests exercise it.
      if (hints.last_sample_only && lo < hi) lo = hi - 1;
      out.push_back(std::make_unique<MemSeries>(d, static_cast<size_t>(lo - d->samples.begin()),
                                                static_cast<size_t>(hi - d->samples.begin())));
    }
    return storage::NewVectorSeriesSet(std::move(out));
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<model::Matcher>& matchers) override {
    std::set<std::string> vals;
    for (const auto& d : snapshot_) {
      if (!model::MatchesAll(matchers, d->labels)) continue;
      auto v = d->labels.Get(name);
      if (!v.empty()) vals.insert(std::string(v));
    }
    return std::vector<std::string>(vals.begin(), vals.end());
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<model::Matcher>& matchers) override {
    std::set<std::string> names;
    for (const auto& d : snapshot_) {
      if (!model::MatchesAll(matchers, d->labels)) continue;
      for (const auto& l : d->labels) names.insert(l.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  std::vector<std::shared_ptr<const MemStorage::SeriesData>> snapshot_;
  model::Timestamp mint_, maxt_;
};

class MemAppender : public storage::Appender {
 public:
  explicit MemAppender(MemStorage* st) : st_(st) {}
  absl::StatusOr<storage::SeriesRef> Append(storage::SeriesRef ref, const model::Labels& labels,
                                            model::Timestamp t, double v) override {
    pending_.push_back({labels, t, v});
    return storage::SeriesRef{labels.Hash()};
  }
  absl::Status Commit() override {
    for (const auto& p : pending_) st_->Add(p.labels, p.t, p.v);
    pending_.clear();
    return absl::OkStatus();
  }
  void Rollback() override { pending_.clear(); }

 private:
  struct Pending {
    model::Labels labels;
    model::Timestamp t;
    double v;
  };
  MemStorage* st_;
  std::vector<Pending> pending_;
};

}  // namespace

void MemStorage::Add(const model::Labels& labels, model::Timestamp t, double v) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& d = series_[labels];
  if (!d) {
    d = std::make_shared<SeriesData>();
    d->labels = labels;
  } else if (d.use_count() > 1) {
    d = std::make_shared<SeriesData>(*d);  // copy-on-write: queriers hold snapshots
  }
  auto& s = d->samples;
  if (s.empty() || s.back().t < t) {
    s.push_back(model::Sample{t, v});
    return;
  }
  auto it = std::lower_bound(s.begin(), s.end(), t, [](const model::Sample& x, model::Timestamp y) { return x.t < y; });
  if (it != s.end() && it->t == t) it->v = v; else s.insert(it, model::Sample{t, v});
}

void MemStorage::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  series_.clear();
}

size_t MemStorage::NumSeries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return series_.size();
}

absl::StatusOr<std::unique_ptr<storage::Querier>> MemStorage::NewQuerier(model::Timestamp mint,
                                                                         model::Timestamp maxt) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<const SeriesData>> snap;
  snap.reserve(series_.size());
  for (const auto& [l, d] : series_) snap.push_back(d);
  return std::unique_ptr<storage::Querier>(new MemQuerier(std::move(snap), mint, maxt));
}

std::unique_ptr<storage::Appender> MemStorage::NewAppender() { return std::make_unique<MemAppender>(this); }

}  // namespace omni::promql::testing
