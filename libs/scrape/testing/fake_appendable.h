// FakeAppendable: an in-memory storage::Appendable for scrape tests. It
// records committed samples in order and hands out stable refs per label set.
// Thread-safe.
//
// Example:
//   FakeAppendable store;
//   loop.ScrapeOnce(now);
//   auto v = store.Latest(Labels::FromPairs({{"__name__", "up"}, ...}));
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "libs/model/labels.h"
#include "libs/storage/storage.h"

namespace omni::scrape::testing {

struct RecordedSample {
  model::Labels labels;
  int64_t t;
  double v;
};

class FakeAppendable final : public storage::Appendable {
 public:
  std::unique_ptr<storage::Appender> NewAppender() override;

  // All committed samples, in commit order.
  std::vector<RecordedSample> Samples() const;
  // Committed samples whose metric name is `name`.
  std::vector<RecordedSample> SamplesNamed(std::string_view name) const;
  // Last committed sample of exactly `labels`.
  std::optional<RecordedSample> Latest(const model::Labels& labels) const;
  // Last committed sample whose labels include all of `subset`.
  std::optional<RecordedSample> LatestMatching(const model::Labels& subset) const;
  size_t commits() const;
  size_t rollbacks() const;
  void Clear();
  // Whether appenders implement AppendByRef (default true, as the TSDB); when
  // false they answer NotFound, as storages without it do.
  void SetAppendByRef(bool enabled);
  // Forgets every ref handed out (as a storage that dropped its series):
  // AppendByRef of an old ref answers NotFound, Append hands out new refs.
  void ForgetRefs();

 private:
  friend class FakeAppender;
  storage::SeriesRef RefFor(const model::Labels& labels);
  // False when `ref` is unknown or by-ref appends are disabled.
  bool LabelsOf(storage::SeriesRef ref, model::Labels* out) const;
  void CommitBatch(std::vector<RecordedSample> batch);
  void CountRollback();

  mutable std::mutex mu_;
  std::map<model::Labels, storage::SeriesRef> refs_;
  std::map<storage::SeriesRef, model::Labels> labels_;
  storage::SeriesRef next_ref_ = 1;
  bool append_by_ref_ = true;
  std::vector<RecordedSample> samples_;
  size_t commits_ = 0;
  size_t rollbacks_ = 0;
};

}  // namespace omni::scrape::testing
