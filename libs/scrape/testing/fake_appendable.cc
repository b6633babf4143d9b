#include "libs/scrape/testing/fake_appendable.h"

namespace omni::scrape::testing {

class FakeAppender final : public storage::Appender {
 public:
  explicit FakeAppender(FakeAppendable* parent) : parent_(parent) {}
  absl::StatusOr<storage::SeriesRef> Append(storage::SeriesRef, const model::Labels& labels, model::Timestamp t,
                                            double v) override {
    pending_.push_back({labels, t, v});
    return parent_->RefFor(labels);
  }
  absl::StatusOr<storage::SeriesRef> AppendByRef(storage::SeriesRef ref, model::Timestamp t, double v) override {
    model::Labels labels;
    if (!parent_->LabelsOf(ref, &labels)) return absl::NotFoundError("unknown ref");
    pending_.push_back({std::move(labels), t, v});
    return ref;
  }
  absl::Status Commit() override {
    parent_->CommitBatch(std::move(pending_));
    pending_.clear();
    return absl::OkStatus();
  }
  void Rollback() override {
    pending_.clear();
    parent_->CountRollback();
  }

 private:
  FakeAppendable* parent_;
  std::vector<RecordedSample> pending_;
};

std::unique_ptr<storage::Appender> FakeAppendable::NewAppender() {
  return std::make_unique<FakeAppender>(this);
}

storage::SeriesRef FakeAppendable::RefFor(const model::Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = refs_.emplace(labels, next_ref_);
  if (inserted) labels_[next_ref_++] = labels;
  return it->second;
}

bool FakeAppendable::LabelsOf(storage::SeriesRef ref, model::Labels* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!append_by_ref_) return false;
  auto it = labels_.find(ref);
  if (it == labels_.end()) return false;
  *out = it->second;
  return true;
}

void FakeAppendable::SetAppendByRef(bool enabled) {
  std::lock_guard<std::mutex> lock(mu_);
  append_by_ref_ = enabled;
}

void FakeAppendable::ForgetRefs() {
  std::lock_guard<std::mutex> lock(mu_);
  refs_.clear();
  labels_.clear();
}

void FakeAppendable::CommitBatch(std::vector<RecordedSample> batch) {
  std::lock_guard<std::mutex> lock(mu_);
  ++commits_;
  for (auto& s : batch) samples_.push_back(std::move(s));
}

void FakeAppendable::CountRollback() {
  std::lock_guard<std::mutex> lock(mu_);
  ++rollbacks_;
}

std::vector<RecordedSample> FakeAppendable::Samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

std::vector<RecordedSample> FakeAppendable::SamplesNamed(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RecordedSample> out;
  for (const auto& s : samples_) {
    if (s.labels.MetricName() == name) out.push_back(s);
  }
  return out;
}

std::optional<RecordedSample> FakeAppendable::Latest(const model::Labels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = samples_.rbegin(); it != samples_.rend(); ++it) {
    if (it->labels == labels) return *it;
  }
  return std::nullopt;
}

std::optional<RecordedSample> FakeAppendable::LatestMatching(const model::Labels& subset) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = samples_.rbegin(); it != samples_.rend(); ++it) {
    bool ok = true;
    for (const auto& l : subset) ok = ok && it->labels.Get(l.name) == l.value;
    if (ok) return *it;
  }
  return std::nullopt;
}

size_t FakeAppendable::commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commits_;
}

size_t FakeAppendable::rollbacks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rollbacks_;
}

void FakeAppendable::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  samples_.clear();
}

}  // namespace omni::scrape::testing
