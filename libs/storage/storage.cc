#include "libs/storage/storage.h"

#include <algorithm>

#include "absl/strings/cord.h"

namespace omni::storage {
namespace {

constexpr char kAppendErrorPayload[] = "omniscope.storage/append_error";

class ListIterator final : public SampleIterator {
 public:
  explicit ListIterator(const std::vector<model::Sample>* samples) : samples_(samples) {}
  bool Next() override {
    if (pos_ < static_cast<ptrdiff_t>(samples_->size())) ++pos_;
    return pos_ < static_cast<ptrdiff_t>(samples_->size());
  }
  bool Seek(model::Timestamp t) override {
    if (pos_ < 0) pos_ = 0;
    if (pos_ >= static_cast<ptrdiff_t>(samples_->size())) return false;
    if ((*samples_)[pos_].t >= t) return true;
    auto it = std::lower_bound(samples_->begin() + pos_, samples_->end(), t,
                               [](const model::Sample& s, model::Timestamp ts) { return s.t < ts; });
    pos_ = it - samples_->begin();
    return pos_ < static_cast<ptrdiff_t>(samples_->size());
  }
  model::Sample At() const override { return (*samples_)[pos_]; }

 private:
  const std::vector<model::Sample>* samples_;
  ptrdiff_t pos_ = -1;
};

class ListSeries final : public Series {
 public:
  ListSeries(model::Labels labels, std::vector<model::Sample> samples)
      : labels_(std::move(labels)), samples_(std::move(samples)) {}
  const model::Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator() const override {
    return std::make_unique<ListIterator>(&samples_);
  }

 private:
  model::Labels labels_;
  std::vector<model::Sample> samples_;
};

class VectorSeriesSet final : public SeriesSet {
 public:
  explicit VectorSeriesSet(std::vector<std::unique_ptr<Series>> series) : series_(std::move(series)) {}
  bool Next() override { return ++pos_ < series_.size(); }
  const Series& At() const override { return *series_[pos_]; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  std::vector<std::unique_ptr<Series>> series_;
  size_t pos_ = static_cast<size_t>(-1);
};

class ErrorSeriesSet final : public SeriesSet {
 public:
  explicit ErrorSeriesSet(absl::Status status) : status_(std::move(status)) {}
  bool Next() override { return false; }
  const Series& At() const override { std::abort(); }
  absl::Status status() const override { return status_; }

 private:
  absl::Status status_;
};

}  // namespace

size_t SampleIterator::Fill(bool include_current, model::Sample* out, size_t n) {
  size_t i = 0;
  if (include_current && n > 0) out[i++] = At();
  while (i < n && Next()) out[i++] = At();
  return i;
}

const char* AppendErrorReason(AppendError kind) {
  switch (kind) {
    case AppendError::kNone: return "none";
    case AppendError::kOutOfOrder: return "out_of_order";
    case AppendError::kDuplicate: return "duplicate";
    case AppendError::kOutOfBounds: return "out_of_bounds";
    case AppendError::kTooOldSample: return "too_old";
  }
  return "none";
}

absl::Status MakeAppendError(AppendError kind) {
  const char* msg = "";
  switch (kind) {
    case AppendError::kNone: return absl::OkStatus();
    case AppendError::kOutOfOrder: msg = "out of order sample"; break;
    case AppendError::kDuplicate: msg = "duplicate sample for timestamp"; break;
    case AppendError::kOutOfBounds: msg = "out of bounds"; break;
    case AppendError::kTooOldSample: msg = "too old sample"; break;
  }
  absl::Status status = absl::InvalidArgumentError(msg);
  status.SetPayload(kAppendErrorPayload, absl::Cord(std::string(1, static_cast<char>(kind))));
  return status;
}

AppendError GetAppendError(const absl::Status& status) {
  if (status.ok()) return AppendError::kNone;
  auto payload = status.GetPayload(kAppendErrorPayload);
  if (!payload.has_value()) return AppendError::kNone;
  std::string s(*payload);
  if (s.size() != 1) return AppendError::kNone;
  return static_cast<AppendError>(s[0]);
}

std::unique_ptr<SeriesSet> NewVectorSeriesSet(std::vector<std::unique_ptr<Series>> series) {
  return std::make_unique<VectorSeriesSet>(std::move(series));
}

std::unique_ptr<SeriesSet> NewErrorSeriesSet(absl::Status status) {
  return std::make_unique<ErrorSeriesSet>(std::move(status));
}

std::unique_ptr<Series> NewListSeries(model::Labels labels, std::vector<model::Sample> samples) {
  return std::make_unique<ListSeries>(std::move(labels), std::move(samples));
}

}  // namespace omni::storage
