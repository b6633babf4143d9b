// Internal pieces of the evaluator (engine.cc); not part of the public API.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "libs/model/labels.h"
#include "libs/promql/value.h"

namespace omni::promql::internal {

// Thrown inside the evaluator only and caught at the Engine boundary; it never
// escapes the module.
struct EvalError {
  absl::Status status;
};
[[noreturn]] void Fail(absl::Status status);
[[noreturn]] void FailEval(std::string msg);  // FailedPrecondition

// Go's math.Max / math.Min: NaN wins.
inline double GoMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return a > b ? a : b;
}
inline double GoMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return NAN;
  return a < b ? a : b;
}

model::Labels DropMetricName(const model::Labels& l);

// Collects output series by label set; detects two values for the same label
// set at the same timestamp ("vector cannot contain metrics with the same labelset").
class OutputBuilder {
 public:
  // The index of the output series `labels`, created when new.
  size_t Intern(model::Labels labels);
  // Creates an output series the caller knows differs from every series
  // added so far (no hashing; series are hashed only if Intern is called later).
  size_t AddDistinct(model::Labels labels);
  void Add(size_t idx, int64_t t, double v) {
    auto& p = out_[idx].points;
    if (!p.empty() && p.back().t >= t) {
      if (p.back().t == t) FailEval("vector cannot contain metrics with the same labelset");
      unsorted_[idx] = true;
    }
    p.push_back(Point{t, v});
  }
  const model::Labels& labels(size_t idx) const { return out_[idx].metric; }
  // The series with at least one point, in creation order.
  Matrix Take();

 private:
  Matrix out_;
  std::vector<bool> unsorted_;
  std::unordered_multimap<uint64_t, size_t> by_hash_;  // of out_[0, hashed_)
  size_t hashed_ = 0;
};

}  // namespace omni::promql::internal
