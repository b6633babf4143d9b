// Storage interfaces shared by the TSDB (local), the remote gRPC storage
// (viewer/alerter) and the PromQL engine, modelled on Prometheus's
// storage/interface.go.
//
// Writing:
//   auto app = storage.Appender();
//   OMNI_ASSIGN_OR_RETURN(SeriesRef ref, app->Append(0, labels, t, v));
//   OMNI_RETURN_IF_ERROR(app->Commit());   // durable once this returns OK
//
// Reading:
//   OMNI_ASSIGN_OR_RETURN(auto q, storage.Querier(mint, maxt));
//   auto set = q->Select(/*sorted=*/true, hints, matchers);
//   while (set->Next()) {
//     auto it = set->At().Iterator();
//     while (it->Next()) { Sample s = it->At(); ... }
//   }
//   OMNI_RETURN_IF_ERROR(set->status());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/model/sample.h"

namespace omni::storage {

// Opaque handle for a series, valid for the lifetime of the storage. 0 means "unknown".
using SeriesRef = uint64_t;

// Why an append was refused; carried on the returned status so callers can
// count per reason (Prometheus's ErrOutOfOrderSample etc.).
enum class AppendError {
  kNone = 0,
  kOutOfOrder,        // older than the series' newest sample
  kDuplicate,         // same timestamp, different value
  kOutOfBounds,       // older than the head's lower bound (before retention)
  kTooOldSample,      // older than the out-of-order window
};
absl::Status MakeAppendError(AppendError kind);
// Returns kNone when `status` is OK or not an append error.
AppendError GetAppendError(const absl::Status& status);
const char* AppendErrorReason(AppendError kind);  // "out_of_order", "duplicate", ...

// Appender batches samples; nothing is visible to readers before Commit.
// Not thread-safe: use one Appender per goroutine-equivalent (scrape loop).
class Appender {
 public:
  virtual ~Appender() = default;
  // Appends a sample. `ref` is a hint from a previous Append of the same
  // labels (0 when unknown). Returns the series' ref. Errors: an append error
  // (see GetAppendError) for a sample that must be skipped; others abort the batch.
  virtual absl::StatusOr<SeriesRef> Append(SeriesRef ref, const model::Labels& labels,
                                           model::Timestamp t, double v) = 0;
  // Appends a sample to the series `ref` (returned by an earlier Append of
  // this storage) without its labels, so that callers need not keep label
  // sets around. NotFound when the storage does not know `ref` (any more) or
  // does not support this: the caller then calls Append with the labels.
  // Other errors as Append.
  virtual absl::StatusOr<SeriesRef> AppendByRef(SeriesRef ref, model::Timestamp t, double v) {
    return absl::NotFoundError("append by ref not supported");
  }
  // Makes the batch visible and durable (survives kill -9 once OK is returned).
  virtual absl::Status Commit() = 0;
  // Discards the batch.
  virtual void Rollback() = 0;
};

class Appendable {
 public:
  virtual ~Appendable() = default;
  virtual std::unique_ptr<Appender> NewAppender() = 0;
};

// Iterates the samples of one series in increasing time order.
class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Advances to the next sample; false at the end or on error (see status()).
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= t (never moves backwards;
  // if the current sample already satisfies it, stays). False when none.
  virtual bool Seek(model::Timestamp t) = 0;
  // REQUIRES: the last Next/Seek returned true.
  virtual model::Sample At() const = 0;
  virtual absl::Status status() const { return absl::OkStatus(); }
  // Copies up to `n` samples into `out`, the first being At() when
  // `include_current` (the last Next/Seek returned true) and the rest the
  // following ones, advancing as Next() would (At() is then the last copied
  // sample). Returns how many were copied: fewer than `n` only at the end.
  // Lets readers of many samples avoid a virtual call per sample.
  virtual size_t Fill(bool include_current, model::Sample* out, size_t n);
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const model::Labels& labels() const = 0;
  virtual std::unique_ptr<SampleIterator> Iterator() const = 0;
};

// A forward-only set of series, sorted by labels when Select was asked to sort.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // REQUIRES: the last Next returned true. Valid until the next call of Next.
  virtual const Series& At() const = 0;
  virtual absl::Status status() const = 0;
};

// Hints about how the selected data will be used; storages may ignore them.
struct SelectHints {
  model::Timestamp start = model::kMinTime;  // inclusive
  model::Timestamp end = model::kMaxTime;    // inclusive
  int64_t step_ms = 0;                       // query step, 0 for instant queries
  std::string func;                          // surrounding function, e.g. "rate"
  int64_t range_ms = 0;                      // range of a range selector
  bool series_only = false;                  // only labels are needed (/api/v1/series)
  // Only the newest sample in [start, end] of each series is needed (an
  // instant vector selector evaluated at one time); storages may return more.
  bool last_sample_only = false;
};

// Reads a fixed time range. Thread-compatible.
class Querier {
 public:
  virtual ~Querier() = default;
  virtual std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints& hints,
                                            const std::vector<model::Matcher>& matchers) = 0;
  // Sorted unique values of `name` among series matching `matchers` (all when empty).
  virtual absl::StatusOr<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<model::Matcher>& matchers) = 0;
  // Sorted unique label names among series matching `matchers` (all when empty).
  virtual absl::StatusOr<std::vector<std::string>> LabelNames(
      const std::vector<model::Matcher>& matchers) = 0;
};

class Queryable {
 public:
  virtual ~Queryable() = default;
  virtual absl::StatusOr<std::unique_ptr<Querier>> NewQuerier(model::Timestamp mint,
                                                              model::Timestamp maxt) = 0;
};

// A storage both accepts and serves samples.
class Storage : public Queryable, public Appendable {};

// Helpers for implementations and tests.

// A SeriesSet over already materialised series.
std::unique_ptr<SeriesSet> NewVectorSeriesSet(std::vector<std::unique_ptr<Series>> series);
std::unique_ptr<SeriesSet> NewErrorSeriesSet(absl::Status status);
// A Series over an in-memory sample list (sorted by time).
std::unique_ptr<Series> NewListSeries(model::Labels labels, std::vector<model::Sample> samples);

}  // namespace omni::storage
