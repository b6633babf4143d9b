#include "libs/promql/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "libs/model/matcher.h"
#include "libs/promql/functions.h"
#include "libs/promql/internal/eval.h"
#include "libs/promql/parser.h"
#include "re2/re2.h"

namespace omni::promql {
namespace internal {

void Fail(absl::Status status) { throw EvalError{std::move(status)}; }
void FailEval(std::string msg) { throw EvalError{absl::FailedPreconditionError(std::move(msg))}; }

model::Labels DropMetricName(const model::Labels& l) {
  if (!l.Has(model::kMetricName)) return l;
  std::vector<model::Label> out;
  out.reserve(l.size());
  for (const auto& x : l) {
    if (x.name != model::kMetricName) out.push_back(x);
  }
  return model::Labels::FromSortedUnchecked(std::move(out));
}

size_t OutputBuilder::AddDistinct(model::Labels labels) {
  out_.push_back(Series{std::move(labels), {}});
  unsorted_.push_back(false);
  return out_.size() - 1;
}

size_t OutputBuilder::Intern(model::Labels labels) {
  for (; hashed_ < out_.size(); ++hashed_) by_hash_.emplace(out_[hashed_].metric.Hash(), hashed_);
  uint64_t h = labels.Hash();
  auto range = by_hash_.equal_range(h);
  for (auto it = range.first; it != range.second; ++it) {
    if (out_[it->second].metric == labels) return it->second;
  }
  size_t idx = out_.size();
  out_.push_back(Series{std::move(labels), {}});
  unsorted_.push_back(false);
  by_hash_.emplace(h, idx);
  hashed_ = out_.size();
  return idx;
}

Matrix OutputBuilder::Take() {
  Matrix result;
  result.reserve(out_.size());
  for (size_t i = 0; i < out_.size(); i++) {
    auto& s = out_[i];
    if (s.points.empty()) continue;
    if (unsorted_[i]) {
      std::stable_sort(s.points.begin(), s.points.end(),
                       [](const Point& a, const Point& b) { return a.t < b.t; });
      for (size_t j = 1; j < s.points.size(); j++) {
        if (s.points[j].t == s.points[j - 1].t) {
          FailEval("vector cannot contain metrics with the same labelset");
        }
      }
    }
    result.push_back(std::move(s));
  }
  return result;
}

}  // namespace internal

namespace {

using internal::EvalError;
using internal::FailEval;
using internal::GoMax;
using internal::GoMin;
using internal::OutputBuilder;
using model::Labels;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A value during evaluation, over all steps of the current evaluator.
struct Val {
  ValueType type = ValueType::kNone;
  std::vector<double> scalar;  // kScalar: one per step
  Matrix m;                    // kVector: points at step timestamps; kMatrix: raw samples
  std::string str;             // kString
};

size_t PointCount(const Val& v) {
  size_t n = v.scalar.size();
  for (const auto& s : v.m) n += s.points.size();
  return n;
}

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == ExprKind::kParen) p = p->expr.get();
  return *p;
}

// Per-step view of a vector value: which series have a point at each step.
// Built by a counting sort over all points (O(points), independent of how
// many series exist at other steps), entries within a step in series order.
class StepCursor {
 public:
  StepCursor(const Matrix& m, int64_t start, int64_t interval, size_t num_steps)
      : start_(start), interval_(interval), offsets_(num_steps + 1, 0) {
    for (const auto& s : m) {
      for (const auto& p : s.points) offsets_[StepOf(p.t) + 1]++;
    }
    for (size_t i = 1; i < offsets_.size(); i++) offsets_[i] += offsets_[i - 1];
    entries_.resize(offsets_.back());
    std::vector<size_t> fill(offsets_.begin(), offsets_.end() - 1);
    for (size_t i = 0; i < m.size(); i++) {
      for (const auto& p : m[i].points) entries_[fill[StepOf(p.t)]++] = {static_cast<uint32_t>(i), p.v};
    }
  }
  // Replaces `out` with (series index, value) of every series with a point at `ts`.
  void Gather(int64_t ts, std::vector<std::pair<uint32_t, double>>* out) const {
    size_t step = StepOf(ts);
    out->assign(entries_.begin() + static_cast<long>(offsets_[step]),
                entries_.begin() + static_cast<long>(offsets_[step + 1]));
  }

 private:
  size_t StepOf(int64_t t) const { return static_cast<size_t>((t - start_) / interval_); }
  int64_t start_, interval_;
  std::vector<size_t> offsets_;
  std::vector<std::pair<uint32_t, double>> entries_;
};

// Series samples for a range-vector argument plus how to window them per step.
struct RangeArg {
  std::vector<Labels> labels;
  std::vector<std::vector<Point>> samples;  // sorted, no stale markers
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  bool has_at = false;
  int64_t at_ms = 0;
  const Expr* selector = nullptr;  // the vector selector (nullptr for subqueries)
};

class Evaluator {
 public:
  Evaluator(const EngineOptions& opts, const QueryContext& ctx, storage::Querier* querier,
            QueryStats* stats, int64_t query_start, int64_t query_end,
            std::chrono::steady_clock::time_point deadline)
      : opts_(opts), ctx_(ctx), querier_(querier), stats_(stats), query_start_(query_start),
        query_end_(query_end), deadline_(deadline) {}

  void SetRange(int64_t start, int64_t end, int64_t interval) {
    start_ = start;
    end_ = end;
    interval_ = interval < 1 ? 1 : interval;
    num_steps_ = static_cast<size_t>((end_ - start_) / interval_) + 1;
  }

  Val Eval(const Expr& e) {
    CheckContext();
    int64_t before = current_samples_;
    Val v = EvalNode(e);
    current_samples_ = before + static_cast<int64_t>(PointCount(v));
    CheckSamples();
    return v;
  }

  int64_t current_samples() const { return current_samples_; }
  void set_current_samples(int64_t n) { current_samples_ = n; }

 private:
  int64_t StepTs(size_t i) const { return start_ + static_cast<int64_t>(i) * interval_; }
  // The steps whose reference time (ts - offset) can fall in [ref_lo, ref_hi]:
  // series that exist for a short part of a long range cost only their own steps.
  std::pair<size_t, size_t> StepRange(int64_t ref_lo, int64_t ref_hi, int64_t offset, bool has_at) const {
    if (has_at) return {0, num_steps_};
    auto floor_div = [](int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); };
    int64_t first = -floor_div(-(ref_lo + offset - start_), interval_);  // ceil
    int64_t last = floor_div(ref_hi + offset - start_, interval_);
    first = std::max<int64_t>(first, 0);
    last = std::min<int64_t>(last, static_cast<int64_t>(num_steps_) - 1);
    if (last < first) return {0, 0};
    return {static_cast<size_t>(first), static_cast<size_t>(last) + 1};
  }

  void CheckContext() {
    if (ctx_.cancelled()) internal::Fail(absl::CancelledError("query was canceled in query execution"));
    if (++ctx_checks_ % 64 == 0 || ctx_checks_ == 1) {
      if (std::chrono::steady_clock::now() > deadline_) {
        internal::Fail(absl::DeadlineExceededError("query timed out in query execution"));
      }
    }
  }
  void CheckSamples() {
    if (current_samples_ > stats_->peak_samples) stats_->peak_samples = current_samples_;
    if (current_samples_ > opts_.max_samples) {
      internal::Fail(absl::ResourceExhaustedError(std::string(kTooManySamplesError)));
    }
  }

  int64_t ResolveAt(AtKind at, int64_t at_ms) const {
    if (at == AtKind::kStart) return query_start_;
    if (at == AtKind::kEnd) return query_end_;
    return at_ms;
  }

  Val EvalNode(const Expr& e);
  Val EvalVectorSelector(const Expr& e, bool keep_timestamps);
  Val EvalMatrixTopLevel(const Expr& e);
  // Calls fn(arg, labels, points) for each series of a range-vector argument
  // (matrix selector: streamed from storage; subquery: evaluated first) with
  // its points in the selected range, stale markers dropped. Returns the
  // argument's window parameters (labels/samples left empty).
  template <typename Fn>
  RangeArg ForEachRangeSeries(const Expr& arg, Fn&& fn);
  // ForEachRangeSeries materialised.
  RangeArg EvalRangeArg(const Expr& e);
  Val EvalSubqueryMatrix(const Expr& e, int64_t* ref_min, int64_t* ref_max);
  Val EvalUnary(const Expr& e);
  Val EvalBinary(const Expr& e);
  Val EvalAggregate(const Expr& e);
  Val EvalCall(const Expr& e);
  Val EvalRangeFunction(const Expr& e, int matrix_arg);

  // Selects the series of the vector selector `vs` with their samples in
  // [mint, maxt] (stale markers dropped when `drop_stale`) and calls
  // fn(labels, points) for each, in label order. `points` is reused between
  // calls, so memory is bounded by the largest series, not the whole set.
  // `last_only`: only the newest sample <= maxt is used (the storage may
  // then return just that one).
  template <typename Fn>
  void ForEachSelected(const Expr& vs, int64_t mint, int64_t maxt, int64_t range_ms, bool drop_stale,
                       bool last_only, Fn&& fn);

  Val ScalarVal(double v) {
    Val r;
    r.type = ValueType::kScalar;
    r.scalar.assign(num_steps_, v);
    return r;
  }
  Val VectorVal(Matrix m) {
    Val r;
    r.type = ValueType::kVector;
    r.m = std::move(m);
    return r;
  }

  const EngineOptions& opts_;
  const QueryContext& ctx_;
  storage::Querier* querier_;
  QueryStats* stats_;
  int64_t query_start_, query_end_;
  std::chrono::steady_clock::time_point deadline_;
  int64_t start_ = 0, end_ = 0, interval_ = 1;
  size_t num_steps_ = 1;
  int64_t current_samples_ = 0;
  int64_t ctx_checks_ = 0;
  const char* func_hint_ = "";  // innermost enclosing function, for SelectHints::func

  friend class FunctionCaller;
};

template <typename Fn>
void Evaluator::ForEachSelected(const Expr& vs, int64_t mint, int64_t maxt, int64_t range_ms,
                                bool drop_stale, bool last_only, Fn&& fn) {
  auto t0 = std::chrono::steady_clock::now();
  storage::SelectHints hints;
  hints.start = mint;
  hints.end = maxt;
  hints.step_ms = num_steps_ > 1 ? interval_ : 0;
  hints.range_ms = range_ms;
  hints.func = std::string(func_hint_);
  hints.last_sample_only = last_only;
  auto set = querier_->Select(/*sorted=*/true, hints, vs.matchers);
  std::vector<Point> pts;
  size_t n = 0;
  constexpr size_t kBatch = 256;
  model::Sample batch[kBatch];
  while (set->Next()) {
    const storage::Series& s = set->At();
    pts.clear();
    auto it = s.Iterator();
    if (it->Seek(mint)) {
      bool first = true, done = false;
      while (!done) {
        size_t n = it->Fill(first, batch, kBatch);
        first = false;
        for (size_t i = 0; i < n; i++) {
          if (batch[i].t > maxt) {
            done = true;
            break;
          }
          if (drop_stale && model::IsStaleNaN(batch[i].v)) continue;
          pts.push_back(Point{batch[i].t, batch[i].v});
        }
        if (n < kBatch) break;
      }
    }
    if (!it->status().ok()) internal::Fail(it->status());
    fn(s.labels(), pts);
    if (++n % 256 == 0) CheckContext();
  }
  if (!set->status().ok()) internal::Fail(set->status());
  stats_->prepare_seconds += Seconds(std::chrono::steady_clock::now() - t0);
}

Val Evaluator::EvalVectorSelector(const Expr& e, bool keep_timestamps) {
  bool has_at = e.at != AtKind::kNone;
  int64_t at = ResolveAt(e.at, e.at_ms);
  int64_t ref_min = (has_at ? at : start_) - e.offset_ms;
  int64_t ref_max = (has_at ? at : end_) - e.offset_ms;
  Matrix out;
  int64_t loaded = 0;
  // Series are streamed: only the points at the steps are kept. With a
  // single reference time (one step, or `@`) only the newest sample counts.
  ForEachSelected(e, ref_min - opts_.lookback_delta_ms, ref_max, 0, /*drop_stale=*/false,
                  /*last_only=*/num_steps_ == 1 || has_at, [&](const Labels& labels, const std::vector<Point>& pts) {
    Series s;
    size_t hi = 0;  // first index with t > ref
    auto [step_begin, step_end] =
        pts.empty() ? std::pair<size_t, size_t>{0, 0}
                    : StepRange(pts.front().t, pts.back().t + opts_.lookback_delta_ms, e.offset_ms, has_at);
    for (size_t step = step_begin; step < step_end; step++) {
      int64_t ts = StepTs(step);
      if ((step & 63) == 63) CheckContext();
      int64_t ref = (has_at ? at : ts) - e.offset_ms;
      while (hi < pts.size() && pts[hi].t <= ref) hi++;
      if (hi == 0) continue;
      const Point& p = pts[hi - 1];
      if (p.t < ref - opts_.lookback_delta_ms) continue;
      if (model::IsStaleNaN(p.v)) continue;
      s.points.push_back(Point{ts, keep_timestamps ? static_cast<double>(p.t) / 1000.0 : p.v});
    }
    loaded += static_cast<int64_t>(s.points.size());
    if (current_samples_ + loaded > opts_.max_samples) {
      internal::Fail(absl::ResourceExhaustedError(std::string(kTooManySamplesError)));
    }
    if (s.points.empty()) return;
    s.metric = keep_timestamps ? internal::DropMetricName(labels) : labels;
    out.push_back(std::move(s));
  });
  stats_->total_samples += loaded;
  return VectorVal(std::move(out));
}

Val Evaluator::EvalSubqueryMatrix(const Expr& e, int64_t* ref_min, int64_t* ref_max) {
  bool has_at = e.at != AtKind::kNone;
  int64_t at = ResolveAt(e.at, e.at_ms);
  *ref_min = (has_at ? at : start_) - e.offset_ms;
  *ref_max = (has_at ? at : end_) - e.offset_ms;
  int64_t step = e.step_ms > 0 ? e.step_ms : opts_.default_subquery_step_ms;
  int64_t lo = *ref_min - e.range_ms;
  int64_t sub_start = step * (lo / step);
  if (sub_start < lo) sub_start += step;
  Evaluator sub(opts_, ctx_, querier_, stats_, query_start_, query_end_, deadline_);
  sub.SetRange(sub_start, *ref_max, step);
  sub.current_samples_ = current_samples_;
  Val v;
  if (sub_start > *ref_max) {
    v.type = ValueType::kVector;
  } else {
    v = sub.Eval(*e.expr);
  }
  return v;
}

template <typename Fn>
RangeArg Evaluator::ForEachRangeSeries(const Expr& arg, Fn&& fn) {
  const Expr& e = Unparen(arg);
  RangeArg r;
  r.range_ms = e.range_ms;
  if (e.kind == ExprKind::kMatrixSelector) {
    const Expr& vs = *e.expr;
    r.offset_ms = vs.offset_ms;
    r.has_at = vs.at != AtKind::kNone;
    r.at_ms = ResolveAt(vs.at, vs.at_ms);
    r.selector = &vs;
    int64_t ref_min = (r.has_at ? r.at_ms : start_) - vs.offset_ms;
    int64_t ref_max = (r.has_at ? r.at_ms : end_) - vs.offset_ms;
    ForEachSelected(vs, ref_min - e.range_ms, ref_max, e.range_ms, /*drop_stale=*/true, /*last_only=*/false,
                    [&](const Labels& l, const std::vector<Point>& pts) { fn(r, l, pts); });
    return r;
  }
  // Subquery.
  r.offset_ms = e.offset_ms;
  r.has_at = e.at != AtKind::kNone;
  r.at_ms = ResolveAt(e.at, e.at_ms);
  int64_t ref_min, ref_max;
  Val v = EvalSubqueryMatrix(e, &ref_min, &ref_max);
  for (const auto& s : v.m) fn(r, s.metric, s.points);
  return r;
}

RangeArg Evaluator::EvalRangeArg(const Expr& arg) {
  std::vector<Labels> labels;
  std::vector<std::vector<Point>> samples;
  RangeArg r = ForEachRangeSeries(arg, [&](const RangeArg&, const Labels& l, const std::vector<Point>& pts) {
    labels.push_back(l);
    samples.push_back(pts);
  });
  r.labels = std::move(labels);
  r.samples = std::move(samples);
  return r;
}

Val Evaluator::EvalMatrixTopLevel(const Expr& e) {
  // A range vector as the query result (instant queries only).
  Val v;
  v.type = ValueType::kMatrix;
  ForEachRangeSeries(e, [&](const RangeArg& r, const Labels& labels, const std::vector<Point>& pts) {
    int64_t ref = (r.has_at ? r.at_ms : start_) - r.offset_ms;
    auto lo = std::lower_bound(pts.begin(), pts.end(), ref - r.range_ms,
                               [](const Point& p, int64_t t) { return p.t < t; });
    auto hi = std::upper_bound(lo, pts.end(), ref, [](int64_t t, const Point& p) { return t < p.t; });
    if (lo == hi) return;
    v.m.push_back(Series{labels, std::vector<Point>(lo, hi)});
  });
  stats_->total_samples += static_cast<int64_t>(PointCount(v));
  return v;
}

Val Evaluator::EvalNode(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kNumber: return ScalarVal(e.number);
    case ExprKind::kString: {
      Val v;
      v.type = ValueType::kString;
      v.str = e.text;
      return v;
    }
    case ExprKind::kParen: return Eval(*e.expr);
    case ExprKind::kVectorSelector: return EvalVectorSelector(e, false);
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery: return EvalMatrixTopLevel(e);
    case ExprKind::kUnary: return EvalUnary(e);
    case ExprKind::kBinary: return EvalBinary(e);
    case ExprKind::kAggregate: return EvalAggregate(e);
    case ExprKind::kCall: return EvalCall(e);
  }
  return Val{};
}

Val Evaluator::EvalUnary(const Expr& e) {
  Val v = Eval(*e.expr);
  if (e.op != BinOp::kSub) return v;
  if (v.type == ValueType::kScalar) {
    for (double& x : v.scalar) x = -x;
    return v;
  }
  OutputBuilder out;
  for (auto& s : v.m) {
    size_t idx = out.Intern(internal::DropMetricName(s.metric));
    for (const auto& p : s.points) out.Add(idx, p.t, -p.v);
  }
  return VectorVal(out.Take());
}

// --- Binary operators -------------------------------------------------------

// Returns (value, keep) like Prometheus's vectorElemBinop.
inline std::pair<double, bool> ElemBinop(BinOp op, double l, double r) {
  switch (op) {
    case BinOp::kAdd: return {l + r, true};
    case BinOp::kSub: return {l - r, true};
    case BinOp::kMul: return {l * r, true};
    case BinOp::kDiv: return {l / r, true};
    case BinOp::kPow: return {std::pow(l, r), true};
    case BinOp::kMod: return {std::fmod(l, r), true};
    case BinOp::kAtan2: return {std::atan2(l, r), true};
    case BinOp::kEql: return {l, l == r};
    case BinOp::kNeq: return {l, l != r};
    case BinOp::kGtr: return {l, l > r};
    case BinOp::kLss: return {l, l < r};
    case BinOp::kGte: return {l, l >= r};
    case BinOp::kLte: return {l, l <= r};
    default: return {0, false};
  }
}

inline double ScalarBinop(BinOp op, double l, double r) {
  if (IsComparison(op)) return ElemBinop(op, l, r).second ? 1 : 0;
  return ElemBinop(op, l, r).first;
}

bool ShouldDropMetricName(BinOp op) {
  switch (op) {
    case BinOp::kAdd: case BinOp::kSub: case BinOp::kMul: case BinOp::kDiv:
    case BinOp::kMod: case BinOp::kPow:
      return true;
    default:
      return false;
  }
}

uint64_t Signature(const Labels& l, const VectorMatching& vm) {
  return vm.on ? l.HashForLabels(vm.matching_labels) : l.HashWithoutLabels(vm.matching_labels);
}

Labels MatchLabelsOf(const Labels& l, const VectorMatching& vm) {
  model::LabelsBuilder b(l);
  if (vm.on) {
    b.Keep(vm.matching_labels);
  } else {
    b.Del(model::kMetricName);
    for (const auto& n : vm.matching_labels) b.Del(n);
  }
  return b.Build();
}

Labels ResultMetric(const Labels& lhs, const Labels& rhs, BinOp op, bool return_bool,
                    const VectorMatching& vm) {
  model::LabelsBuilder b(lhs);
  if (ShouldDropMetricName(op) || return_bool) b.Del(model::kMetricName);
  if (vm.card == VectorMatchCard::kOneToOne) {
    if (vm.on) {
      b.Keep(vm.matching_labels);
    } else {
      for (const auto& n : vm.matching_labels) b.Del(n);
    }
  }
  for (const auto& n : vm.include) {
    std::string_view v = rhs.Get(n);
    if (!v.empty()) b.Set(n, v); else b.Del(n);
  }
  return b.Build();
}

Val Evaluator::EvalBinary(const Expr& e) {
  Val l = Eval(*e.lhs);
  Val r = Eval(*e.rhs);
  BinOp op = e.op;
  if (l.type == ValueType::kScalar && r.type == ValueType::kScalar) {
    Val out = ScalarVal(0);
    for (size_t i = 0; i < num_steps_; i++) out.scalar[i] = ScalarBinop(op, l.scalar[i], r.scalar[i]);
    return out;
  }
  if (l.type == ValueType::kScalar || r.type == ValueType::kScalar) {
    bool swap = l.type == ValueType::kScalar;
    Val& vec = swap ? r : l;
    const std::vector<double>& sc = swap ? l.scalar : r.scalar;
    OutputBuilder out;
    bool drop = ShouldDropMetricName(op) || e.return_bool;
    for (auto& s : vec.m) {
      size_t idx = SIZE_MAX;
      for (const auto& p : s.points) {
        double sv = sc[static_cast<size_t>((p.t - start_) / interval_)];
        double lv = p.v, rv = sv;
        if (swap) std::swap(lv, rv);
        auto [value, keep] = ElemBinop(op, lv, rv);
        if (IsComparison(op) && swap) value = rv;
        if (e.return_bool) {
          value = keep ? 1 : 0;
          keep = true;
        }
        if (!keep) continue;
        if (idx == SIZE_MAX) idx = out.Intern(drop ? internal::DropMetricName(s.metric) : s.metric);
        out.Add(idx, p.t, value);
      }
    }
    return VectorVal(out.Take());
  }
  // Vector-vector.
  const VectorMatching& vm = e.matching;
  std::vector<uint64_t> lsig(l.m.size()), rsig(r.m.size());
  for (size_t i = 0; i < l.m.size(); i++) lsig[i] = Signature(l.m[i].metric, vm);
  for (size_t i = 0; i < r.m.size(); i++) rsig[i] = Signature(r.m[i].metric, vm);
  StepCursor lc(l.m, start_, interval_, num_steps_), rc(r.m, start_, interval_, num_steps_);
  std::vector<std::pair<uint32_t, double>> lv, rv;
  OutputBuilder out;
  std::unordered_map<uint64_t, size_t> pair_out;  // (lhs idx << 32 | rhs idx) -> output
  std::unordered_map<uint64_t, size_t> side_out;  // for set operators: (side << 32 | idx)
  for (size_t step = 0; step < num_steps_; step++) {
    int64_t ts = StepTs(step);
    if ((step & 63) == 63) CheckContext();
    lc.Gather(ts, &lv);
    rc.Gather(ts, &rv);
    if (op == BinOp::kAnd || op == BinOp::kUnless) {
      if (op == BinOp::kAnd && (lv.empty() || rv.empty())) continue;
      std::unordered_map<uint64_t, bool> rsigs;
      for (const auto& [i, v] : rv) rsigs[rsig[i]] = true;
      for (const auto& [i, v] : lv) {
        bool found = rsigs.count(lsig[i]) > 0;
        if (found != (op == BinOp::kAnd)) continue;
        auto [it, ins] = side_out.try_emplace(i, 0);
        if (ins) it->second = out.Intern(l.m[i].metric);
        out.Add(it->second, ts, v);
      }
      continue;
    }
    if (op == BinOp::kOr) {
      std::unordered_map<uint64_t, bool> lsigs;
      for (const auto& [i, v] : lv) {
        lsigs[lsig[i]] = true;
        auto [it, ins] = side_out.try_emplace(i, 0);
        if (ins) it->second = out.Intern(l.m[i].metric);
        out.Add(it->second, ts, v);
      }
      for (const auto& [i, v] : rv) {
        if (lsigs.count(rsig[i])) continue;
        auto [it, ins] = side_out.try_emplace((uint64_t{1} << 32) | i, 0);
        if (ins) it->second = out.Intern(r.m[i].metric);
        out.Add(it->second, ts, v);
      }
      continue;
    }
    if (lv.empty() || rv.empty()) continue;
    // Arithmetic/comparison with matching; the rhs is the "one" side.
    bool one_to_many = vm.card == VectorMatchCard::kOneToMany;
    auto* many = one_to_many ? &rv : &lv;
    auto* one = one_to_many ? &lv : &rv;
    const Matrix& many_m = one_to_many ? r.m : l.m;
    const Matrix& one_m = one_to_many ? l.m : r.m;
    const auto& many_sig = one_to_many ? rsig : lsig;
    const auto& one_sig = one_to_many ? lsig : rsig;
    std::unordered_map<uint64_t, std::pair<uint32_t, double>> right_sigs;
    for (const auto& s : *one) {
      auto [it, ins] = right_sigs.try_emplace(one_sig[s.first], s);
      if (!ins) {
        const Labels& a = one_m[s.first].metric;
        const Labels& b = one_m[it->second.first].metric;
        FailEval(absl::StrCat("found duplicate series for the match group ",
                              MatchLabelsOf(a, vm).ToString(), " on the ",
                              one_to_many ? "left" : "right", " hand-side of the operation: [",
                              a.ToString(), ", ", b.ToString(),
                              "];many-to-many matching not allowed: matching labels must be unique on one side"));
      }
    }
    std::unordered_map<uint64_t, std::vector<uint64_t>> matched;
    for (const auto& [mi, mv] : *many) {
      uint64_t sig = many_sig[mi];
      auto it = right_sigs.find(sig);
      if (it == right_sigs.end()) continue;
      uint32_t oi = it->second.first;
      double vl = mv, vr = it->second.second;
      if (one_to_many) std::swap(vl, vr);
      auto [value, keep] = ElemBinop(op, vl, vr);
      if (e.return_bool) {
        value = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      uint64_t key = (static_cast<uint64_t>(mi) << 32) | oi;
      auto [pit, ins] = pair_out.try_emplace(key, 0);
      if (ins) {
        pit->second = out.Intern(ResultMetric(many_m[mi].metric, one_m[oi].metric, op, e.return_bool, vm));
      }
      auto mit = matched.find(sig);
      if (vm.card == VectorMatchCard::kOneToOne) {
        if (mit != matched.end()) {
          FailEval("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
        }
        matched[sig];
      } else {
        uint64_t insert_sig = out.labels(pit->second).Hash();
        auto& v = matched[sig];
        if (std::find(v.begin(), v.end(), insert_sig) != v.end()) {
          FailEval("multiple matches for labels: grouping labels must ensure unique matches");
        }
        v.push_back(insert_sig);
      }
      out.Add(pit->second, ts, value);
    }
  }
  return VectorVal(out.Take());
}

// --- Aggregations -------------------------------------------------------------

// Go's sort order for vectorByValueHeap: NaN first, then ascending.
inline bool LessNaNFirst(double a, double b) {
  if (std::isnan(a)) return true;
  return a < b;
}

double QuantileOf(double q, std::vector<double> values) {
  if (values.empty()) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a < b;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) + values[static_cast<size_t>(upper)] * weight;
}

struct Group {
  Labels labels;
  double value = 0, mean = 0;
  int64_t count = 0;
  std::vector<std::pair<uint32_t, double>> items;  // topk/bottomk/quantile
  bool seen = false;
};

Val Evaluator::EvalAggregate(const Expr& e) {
  Val param;
  if (e.param) param = Eval(*e.param);
  Val v = Eval(*e.expr);
  AggOp op = e.agg;
  std::vector<std::string> grouping = e.grouping;
  std::string value_label;
  if (op == AggOp::kCountValues) {
    value_label = param.str;
    if (!model::IsValidLabelName(value_label)) FailEval(absl::StrCat("invalid label name \"", value_label, "\""));
    if (!e.without) grouping.push_back(value_label);
  }
  auto group_labels = [&](const Labels& metric) {
    model::LabelsBuilder b(metric);
    if (e.without) {
      for (const auto& g : grouping) b.Del(g);
      b.Del(model::kMetricName);
    } else {
      b.Keep(grouping);
    }
    return b.Build();
  };
  // True when `group` equals group_labels(metric), without building the latter.
  auto same_group = [&](const Labels& group, const Labels& metric) {
    size_t j = 0;
    for (const auto& l : metric) {
      bool listed = std::find(grouping.begin(), grouping.end(), l.name) != grouping.end();
      if (e.without ? (listed || l.name == model::kMetricName) : !listed) continue;
      if (j >= group.size() || group[j] != l) return false;
      ++j;
    }
    return j == group.size();
  };
  // Group index per input series (count_values regroups per value). The
  // group's label set is only built for the first series of each group.
  std::vector<Group> groups;
  std::unordered_multimap<uint64_t, size_t> group_by_hash;
  auto group_for = [&](const Labels& metric) -> size_t {
    // Hash of group_labels(metric), computed on the series' own labels.
    uint64_t h = e.without ? metric.HashWithoutLabels(grouping) : metric.HashForLabels(grouping);
    auto range = group_by_hash.equal_range(h);
    for (auto it = range.first; it != range.second; ++it) {
      if (same_group(groups[it->second].labels, metric)) return it->second;
    }
    groups.push_back(Group{group_labels(metric)});
    group_by_hash.emplace(h, groups.size() - 1);
    return groups.size() - 1;
  };
  std::vector<size_t> series_group(v.m.size());
  if (op != AggOp::kCountValues) {
    for (size_t i = 0; i < v.m.size(); i++) series_group[i] = group_for(v.m[i].metric);
  }
  std::unordered_map<std::string, size_t> cv_cache;  // count_values: "series\xffvalue" -> group

  StepCursor cur(v.m, start_, interval_, num_steps_);
  std::vector<std::pair<uint32_t, double>> vec;
  std::vector<size_t> order;  // groups in first-seen order this step
  OutputBuilder out;
  std::unordered_map<size_t, size_t> group_out;
  std::unordered_map<uint32_t, size_t> series_out;
  for (size_t step = 0; step < num_steps_; step++) {
    int64_t ts = StepTs(step);
    if ((step & 63) == 63) CheckContext();
    cur.Gather(ts, &vec);
    int64_t k = 0;
    double q = 0;
    if (op == AggOp::kTopk || op == AggOp::kBottomk) {
      // Checked at every step, with or without input, as Prometheus does.
      double f = param.scalar[step];
      if (!(f >= -9.2e18 && f <= 9.2e18)) FailEval(absl::StrCat("Scalar value ", FormatFloat(f), " overflows int64"));
      k = static_cast<int64_t>(f);
      if (k < 1) continue;
    }
    if (vec.empty()) continue;
    if (op == AggOp::kQuantile) q = param.scalar[step];
    order.clear();
    for (const auto& [si, sv] : vec) {
      size_t gi;
      if (op == AggOp::kCountValues) {
        std::string vs = FormatFloat(sv);
        std::string key = absl::StrCat(si, "\xff", vs);
        auto it = cv_cache.find(key);
        if (it == cv_cache.end()) {
          model::LabelsBuilder b(v.m[si].metric);
          b.Set(value_label, vs);
          gi = group_for(b.Build());
          cv_cache.emplace(std::move(key), gi);
        } else {
          gi = it->second;
        }
      } else {
        gi = series_group[si];
      }
      Group& g = groups[gi];
      if (!g.seen) {
        g.seen = true;
        order.push_back(gi);
        g.value = sv;
        g.mean = sv;
        g.count = 1;
        g.items.clear();
        if (op == AggOp::kStddev || op == AggOp::kStdvar) g.value = 0;
        if (op == AggOp::kGroup) g.value = 1;
        if (op == AggOp::kTopk || op == AggOp::kBottomk || op == AggOp::kQuantile) g.items.emplace_back(si, sv);
        continue;
      }
      switch (op) {
        case AggOp::kSum: g.value += sv; break;
        case AggOp::kAvg: {
          g.count++;
          if (std::isinf(g.mean)) {
            if (std::isinf(sv) && (g.mean > 0) == (sv > 0)) break;
            if (!std::isinf(sv) && !std::isnan(sv)) break;
          }
          double n = static_cast<double>(g.count);
          g.mean += sv / n - g.mean / n;
          break;
        }
        case AggOp::kGroup: break;
        case AggOp::kCount:
        case AggOp::kCountValues: g.count++; break;
        case AggOp::kMax:
          if (g.value < sv || std::isnan(g.value)) g.value = sv;
          break;
        case AggOp::kMin:
          if (g.value > sv || std::isnan(g.value)) g.value = sv;
          break;
        case AggOp::kStddev:
        case AggOp::kStdvar: {
          g.count++;
          double delta = sv - g.mean;
          g.mean += delta / static_cast<double>(g.count);
          g.value += delta * (sv - g.mean);
          break;
        }
        case AggOp::kTopk:
        case AggOp::kBottomk:
        case AggOp::kQuantile: g.items.emplace_back(si, sv); break;
      }
    }
    for (size_t gi : order) {
      Group& g = groups[gi];
      g.seen = false;
      double value = g.value;
      switch (op) {
        case AggOp::kAvg: value = g.mean; break;
        case AggOp::kCount:
        case AggOp::kCountValues: value = static_cast<double>(g.count); break;
        case AggOp::kStdvar: value = g.value / static_cast<double>(g.count); break;
        case AggOp::kStddev: value = std::sqrt(g.value / static_cast<double>(g.count)); break;
        case AggOp::kQuantile: {
          std::vector<double> vals;
          vals.reserve(g.items.size());
          for (const auto& it : g.items) vals.push_back(it.second);
          value = QuantileOf(q, std::move(vals));
          break;
        }
        case AggOp::kTopk:
        case AggOp::kBottomk: {
          bool top = op == AggOp::kTopk;
          // Highest (lowest) first; NaN always last, ties keep input order.
          std::stable_sort(g.items.begin(), g.items.end(), [top](const auto& a, const auto& b) {
            if (std::isnan(a.second)) return false;
            if (std::isnan(b.second)) return true;
            return top ? a.second > b.second : a.second < b.second;
          });
          size_t n = std::min<size_t>(g.items.size(), static_cast<size_t>(k));
          for (size_t i = 0; i < n; i++) {
            uint32_t si = g.items[i].first;
            auto [it, ins] = series_out.try_emplace(si, 0);
            if (ins) it->second = out.Intern(v.m[si].metric);
            out.Add(it->second, ts, g.items[i].second);
          }
          continue;
        }
        default: break;
      }
      auto [it, ins] = group_out.try_emplace(gi, 0);
      if (ins) it->second = out.Intern(g.labels);
      out.Add(it->second, ts, value);
    }
  }
  return VectorVal(out.Take());
}

}  // namespace
}  // namespace omni::promql

namespace omni::promql {
namespace {

// --- Range-vector functions --------------------------------------------------

// `may_have_resets` false lets counters skip the reset scan (the caller knows
// from a per-series prefix count that the window has no decrease).
double ExtrapolatedRate(const Point* b, const Point* e, int64_t range_start, int64_t range_end,
                        int64_t range_ms, bool is_counter, bool is_rate, bool* ok,
                        bool may_have_resets = true) {
  size_t n = static_cast<size_t>(e - b);
  if (n < 2) {
    *ok = false;
    return 0;
  }
  double result = e[-1].v - b[0].v;
  if (is_counter && may_have_resets) {
    double last = 0;
    for (const Point* p = b; p != e; ++p) {
      if (p->v < last) result += last;
      last = p->v;
    }
  }
  double duration_to_start = static_cast<double>(b[0].t - range_start) / 1000;
  double duration_to_end = static_cast<double>(range_end - e[-1].t) / 1000;
  double sampled = static_cast<double>(e[-1].t - b[0].t) / 1000;
  double avg = sampled / static_cast<double>(n - 1);
  if (is_counter && result > 0 && b[0].v >= 0) {
    double to_zero = sampled * (b[0].v / result);
    if (to_zero < duration_to_start) duration_to_start = to_zero;
  }
  double threshold = avg * 1.1;
  double interval = sampled;
  interval += duration_to_start < threshold ? duration_to_start : avg / 2;
  interval += duration_to_end < threshold ? duration_to_end : avg / 2;
  double factor = interval / sampled;
  if (is_rate) factor /= static_cast<double>(range_ms) / 1000;
  return result * factor;
}

// Compensated (Kahan-Neumaier) summation step: adds `inc` to `sum` and the
// lost low-order part to `c`; the total is sum + c. Prometheus 2.42 sums this
// way in deriv/predict_linear and in sum/avg/stddev/stdvar_over_time, so the
// same steps give the same last bits.
void KahanSumInc(double inc, double& sum, double& c) {
  double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc)) c += (sum - t) + inc; else c += (inc - t) + sum;
  sum = t;
}

std::pair<double, double> LinearRegression(const Point* b, const Point* e, int64_t intercept_time) {
  double n = 0, sum_x = 0, sum_y = 0, sum_xy = 0, sum_x2 = 0;
  double c_x = 0, c_y = 0, c_xy = 0, c_x2 = 0;
  double init_y = b[0].v;
  bool const_y = true;
  for (const Point* p = b; p != e; ++p) {
    if (const_y && p != b && p->v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(p->t - intercept_time) / 1e3;
    KahanSumInc(x, sum_x, c_x);
    KahanSumInc(p->v, sum_y, c_y);
    KahanSumInc(x * p->v, sum_xy, c_xy);
    KahanSumInc(x * x, sum_x2, c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) return {NAN, NAN};
    return {0, init_y};
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  double cov = sum_xy - sum_x * sum_y / n;
  double var = sum_x2 - sum_x * sum_x / n;
  double slope = cov / var;
  double intercept = sum_y / n - slope * sum_x / n;
  return {slope, intercept};
}

enum class RangeFn {
  kRate, kIncrease, kDelta, kIrate, kIdelta, kDeriv, kPredictLinear, kHoltWinters, kChanges,
  kResets, kAvg, kMin, kMax, kSum, kCount, kStddev, kStdvar, kQuantile, kLast, kPresent,
  kAbsent,
};

bool LookupRangeFn(std::string_view name, RangeFn* fn) {
  static const std::pair<std::string_view, RangeFn> kFns[] = {
      {"rate", RangeFn::kRate}, {"increase", RangeFn::kIncrease}, {"delta", RangeFn::kDelta},
      {"irate", RangeFn::kIrate}, {"idelta", RangeFn::kIdelta}, {"deriv", RangeFn::kDeriv},
      {"predict_linear", RangeFn::kPredictLinear}, {"holt_winters", RangeFn::kHoltWinters},
      {"changes", RangeFn::kChanges}, {"resets", RangeFn::kResets},
      {"avg_over_time", RangeFn::kAvg}, {"min_over_time", RangeFn::kMin},
      {"max_over_time", RangeFn::kMax}, {"sum_over_time", RangeFn::kSum},
      {"count_over_time", RangeFn::kCount}, {"stddev_over_time", RangeFn::kStddev},
      {"stdvar_over_time", RangeFn::kStdvar}, {"quantile_over_time", RangeFn::kQuantile},
      {"last_over_time", RangeFn::kLast}, {"present_over_time", RangeFn::kPresent},
      {"absent_over_time", RangeFn::kAbsent}};
  for (const auto& [n, f] : kFns) {
    if (n == name) {
      *fn = f;
      return true;
    }
  }
  return false;
}

// Computes one range function over the window [b, e). Returns false when there is no output.
bool ApplyRangeFn(RangeFn fn, const Point* b, const Point* e, int64_t ts, int64_t range_start,
                  int64_t range_end, int64_t range_ms, double arg0, double arg1, double* out,
                  bool may_have_resets = true) {
  size_t n = static_cast<size_t>(e - b);
  if (n == 0) return false;
  bool ok = true;
  switch (fn) {
    case RangeFn::kRate:
      *out = ExtrapolatedRate(b, e, range_start, range_end, range_ms, true, true, &ok, may_have_resets);
      return ok;
    case RangeFn::kIncrease:
      *out = ExtrapolatedRate(b, e, range_start, range_end, range_ms, true, false, &ok, may_have_resets);
      return ok;
    case RangeFn::kDelta:
      *out = ExtrapolatedRate(b, e, range_start, range_end, range_ms, false, false, &ok);
      return ok;
    case RangeFn::kIrate:
    case RangeFn::kIdelta: {
      if (n < 2) return false;
      const Point& last = e[-1];
      const Point& prev = e[-2];
      bool is_rate = fn == RangeFn::kIrate;
      double r = (is_rate && last.v < prev.v) ? last.v : last.v - prev.v;
      int64_t interval = last.t - prev.t;
      if (interval == 0) return false;
      if (is_rate) r /= static_cast<double>(interval) / 1000;
      *out = r;
      return true;
    }
    case RangeFn::kDeriv: {
      if (n < 2) return false;
      *out = LinearRegression(b, e, b[0].t).first;
      return true;
    }
    case RangeFn::kPredictLinear: {
      if (n < 2) return false;
      auto [slope, intercept] = LinearRegression(b, e, ts);
      *out = slope * arg0 + intercept;
      return true;
    }
    case RangeFn::kHoltWinters: {
      double sf = arg0, tf = arg1;
      if (sf <= 0 || sf >= 1) FailEval(absl::StrFormat("invalid smoothing factor. Expected: 0 < sf < 1, got: %f", sf));
      if (tf <= 0 || tf >= 1) FailEval(absl::StrFormat("invalid trend factor. Expected: 0 < tf < 1, got: %f", tf));
      if (n < 2) return false;
      double s0 = 0, s1 = b[0].v, trend = b[1].v - b[0].v;
      for (size_t i = 1; i < n; i++) {
        double x = sf * b[i].v;
        if (i - 1 != 0) trend = tf * (s1 - s0) + (1 - tf) * trend;
        double y = (1 - sf) * (s1 + trend);
        s0 = s1;
        s1 = x + y;
      }
      *out = s1;
      return true;
    }
    case RangeFn::kChanges:
    case RangeFn::kResets: {
      double count = 0;
      double prev = b[0].v;
      for (const Point* p = b + 1; p != e; ++p) {
        double cur = p->v;
        if (fn == RangeFn::kChanges) {
          if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) count++;
        } else if (cur < prev) {
          count++;
        }
        prev = cur;
      }
      *out = count;
      return true;
    }
    case RangeFn::kAvg: {
      double mean = 0, c = 0, count = 0;
      for (const Point* p = b; p != e; ++p) {
        count++;
        if (std::isinf(mean)) {
          if (std::isinf(p->v) && (mean > 0) == (p->v > 0)) continue;
          if (!std::isinf(p->v) && !std::isnan(p->v)) continue;
        }
        KahanSumInc(p->v / count - mean / count, mean, c);
      }
      *out = std::isinf(mean) ? mean : mean + c;
      return true;
    }
    case RangeFn::kMin:
    case RangeFn::kMax: {
      double m = b[0].v;
      for (const Point* p = b; p != e; ++p) {
        if (fn == RangeFn::kMax ? (p->v > m || std::isnan(m)) : (p->v < m || std::isnan(m))) m = p->v;
      }
      *out = m;
      return true;
    }
    case RangeFn::kSum: {
      double s = 0, c = 0;
      for (const Point* p = b; p != e; ++p) KahanSumInc(p->v, s, c);
      *out = std::isinf(s) ? s : s + c;
      return true;
    }
    case RangeFn::kCount: *out = static_cast<double>(n); return true;
    case RangeFn::kStddev:
    case RangeFn::kStdvar: {
      double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
      for (const Point* p = b; p != e; ++p) {
        count++;
        double delta = p->v - (mean + c_mean);
        KahanSumInc(delta / count, mean, c_mean);
        KahanSumInc(delta * (p->v - (mean + c_mean)), aux, c_aux);
      }
      double var = (aux + c_aux) / count;
      *out = fn == RangeFn::kStddev ? std::sqrt(var) : var;
      return true;
    }
    case RangeFn::kQuantile: {
      std::vector<double> vals;
      vals.reserve(n);
      for (const Point* p = b; p != e; ++p) vals.push_back(p->v);
      *out = QuantileOf(arg0, std::move(vals));
      return true;
    }
    case RangeFn::kLast: *out = e[-1].v; return true;
    case RangeFn::kPresent: *out = 1; return true;
    case RangeFn::kAbsent: return false;
  }
  return false;
}

// Labels for absent()/absent_over_time() from the argument's equality matchers.
Labels AbsentLabels(const Expr* arg) {
  if (arg == nullptr) return Labels();
  const Expr* vs = nullptr;
  if (arg->kind == ExprKind::kVectorSelector) vs = arg;
  if (arg->kind == ExprKind::kMatrixSelector) vs = arg->expr.get();
  if (vs == nullptr) return Labels();
  model::LabelsBuilder b;
  std::vector<std::string> has;
  for (const auto& m : vs->matchers) {
    if (m.name() == model::kMetricName) continue;
    bool seen = std::find(has.begin(), has.end(), m.name()) != has.end();
    if (m.type() == model::MatchType::kEqual && !seen) {
      b.Set(m.name(), m.value());
      has.push_back(m.name());
    } else {
      b.Del(m.name());
    }
  }
  return b.Build();
}

Val Evaluator::EvalRangeFunction(const Expr& e, int matrix_arg) {
  RangeFn fn = RangeFn::kRate;
  LookupRangeFn(e.func->name, &fn);
  std::vector<Val> other(e.args.size());
  for (size_t i = 0; i < e.args.size(); i++) {
    if (static_cast<int>(i) != matrix_arg) other[i] = Eval(*e.args[i]);
  }
  auto scalar_arg = [&](size_t idx, size_t step) -> double {
    if (idx >= other.size() || other[idx].type != ValueType::kScalar) return 0;
    return other[idx].scalar[step];
  };
  size_t a0 = matrix_arg == 0 ? 1 : 0;
  size_t a1 = matrix_arg == 0 ? 2 : 1;
  int64_t window_peak = 0;
  if (fn == RangeFn::kAbsent) {
    RangeArg r = EvalRangeArg(*e.args[matrix_arg]);
    // One output series when no input series has samples in the window.
    std::vector<size_t> lo(r.samples.size(), 0), hi(r.samples.size(), 0);
    Series s;
    s.metric = AbsentLabels(r.selector ? &Unparen(*e.args[matrix_arg]) : nullptr);
    for (size_t step = 0; step < num_steps_; step++) {
      int64_t ts = StepTs(step);
    if ((step & 63) == 63) CheckContext();
      int64_t ref = (r.has_at ? r.at_ms : ts) - r.offset_ms;
      bool any = false;
      for (size_t i = 0; i < r.samples.size(); i++) {
        const auto& p = r.samples[i];
        while (hi[i] < p.size() && p[hi[i]].t <= ref) hi[i]++;
        while (lo[i] < p.size() && p[lo[i]].t < ref - r.range_ms) lo[i]++;
        if (hi[i] > lo[i]) any = true;
      }
      if (!any) s.points.push_back(Point{ts, 1});
    }
    Matrix m;
    if (!s.points.empty()) m.push_back(std::move(s));
    return VectorVal(std::move(m));
  }
  OutputBuilder out;
  bool counter_fn = fn == RangeFn::kRate || fn == RangeFn::kIncrease;
  std::vector<uint32_t> resets;  // resets[k]: number of k' <= k with v[k'] < v[k'-1]
  size_t i = 0;
  std::string first_name;
  bool have_first_name = false, distinct_so_far = true;
  // Each series is reduced to its output points as it arrives.
  ForEachRangeSeries(*e.args[matrix_arg], [&](const RangeArg& r, const Labels& labels,
                                                 const std::vector<Point>& pts) {
    size_t lo = 0, hi = 0;
    size_t idx = SIZE_MAX;
    if (counter_fn) {
      resets.assign(pts.size(), 0);
      for (size_t k = 1; k < pts.size(); k++) resets[k] = resets[k - 1] + (pts[k].v < pts[k - 1].v ? 1 : 0);
    }
    auto [step_begin, step_end] =
        pts.empty() ? std::pair<size_t, size_t>{0, 0}
                    : StepRange(pts.front().t, pts.back().t + r.range_ms, r.offset_ms, r.has_at);
    for (size_t step = step_begin; step < step_end; step++) {
      int64_t ts = StepTs(step);
      if ((step & 63) == 63) CheckContext();
      int64_t ref = (r.has_at ? r.at_ms : ts) - r.offset_ms;
      int64_t mint = ref - r.range_ms;
      while (hi < pts.size() && pts[hi].t <= ref) hi++;
      while (lo < pts.size() && pts[lo].t < mint) lo++;
      if (hi <= lo) continue;
      int64_t window = static_cast<int64_t>(hi - lo);
      stats_->total_samples += window;
      window_peak = std::max(window_peak, window);
      double v;
      // The scan adds prev whenever cur < prev for consecutive samples in the window (the
      // first sample is compared with 0, which adds 0), exactly the pairs counted in `resets`.
      bool may_have_resets = !counter_fn || resets[hi - 1] != resets[lo];
      if (!ApplyRangeFn(fn, pts.data() + lo, pts.data() + hi, ts, mint, ref, r.range_ms,
                        scalar_arg(a0, step), scalar_arg(a1, step), &v, may_have_resets)) {
        continue;
      }
      if (idx == SIZE_MAX) {
        // Input series are distinct, and stay so without __name__ while they
        // all share one metric name: no hashing needed then.
        std::string_view name = labels.MetricName();
        if (!have_first_name) first_name = name;
        have_first_name = true;
        bool distinct = fn == RangeFn::kLast || (distinct_so_far && name == first_name);
        distinct_so_far = distinct;
        idx = distinct ? out.AddDistinct(fn == RangeFn::kLast ? labels : internal::DropMetricName(labels))
                       : out.Intern(fn == RangeFn::kLast ? labels : internal::DropMetricName(labels));
      }
      out.Add(idx, ts, v);
    }
    if (i++ % 256 == 0) CheckContext();
  });
  if (current_samples_ + window_peak > opts_.max_samples) {
    internal::Fail(absl::ResourceExhaustedError(std::string(kTooManySamplesError)));
  }
  if (current_samples_ + window_peak > stats_->peak_samples) stats_->peak_samples = current_samples_ + window_peak;
  return VectorVal(out.Take());
}

// --- Other functions ---------------------------------------------------------

struct Bucket {
  double upper;
  double count;
};

double BucketQuantile(double q, std::vector<Bucket> buckets) {
  if (std::isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  std::sort(buckets.begin(), buckets.end(), [](const Bucket& a, const Bucket& b) { return a.upper < b.upper; });
  if (buckets.empty() || !std::isinf(buckets.back().upper) || buckets.back().upper < 0) return NAN;
  // Coalesce buckets with the same upper bound.
  std::vector<Bucket> c;
  for (const auto& b : buckets) {
    if (!c.empty() && c.back().upper == b.upper) c.back().count += b.count; else c.push_back(b);
  }
  buckets = std::move(c);
  double max = -INFINITY;
  for (auto& b : buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (buckets.size() < 2) return NAN;
  double observations = buckets.back().count;
  if (observations == 0) return NAN;
  double rank = q * observations;
  size_t idx = buckets.size() - 1;
  for (size_t i = 0; i < buckets.size() - 1; i++) {
    if (buckets[i].count >= rank) {
      idx = i;
      break;
    }
  }
  if (idx == buckets.size() - 1) return buckets[buckets.size() - 2].upper;
  if (idx == 0 && buckets[0].upper <= 0) return buckets[0].upper;
  double start = 0, end = buckets[idx].upper, count = buckets[idx].count;
  if (idx > 0) {
    start = buckets[idx - 1].upper;
    count -= buckets[idx - 1].count;
    rank -= buckets[idx - 1].count;
  }
  return start + (end - start) * (rank / count);
}

// Go's regexp.Expand for label_replace's replacement template.
std::string ExpandTemplate(const std::string& tmpl, const RE2& re, const std::vector<re2::StringPiece>& groups) {
  std::string out;
  const auto& names = re.NamedCapturingGroups();
  for (size_t i = 0; i < tmpl.size(); i++) {
    char c = tmpl[i];
    if (c != '$' || i + 1 >= tmpl.size()) {
      out.push_back(c);
      continue;
    }
    char n = tmpl[i + 1];
    if (n == '$') {
      out.push_back('$');
      i++;
      continue;
    }
    std::string name;
    size_t j;
    bool brace = n == '{';
    if (brace) {
      j = i + 2;
      while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) j++;
      if (j >= tmpl.size() || tmpl[j] != '}' || j == i + 2) {
        out.push_back('$');
        continue;
      }
      name = tmpl.substr(i + 2, j - i - 2);
      j++;
    } else {
      j = i + 1;
      while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) j++;
      if (j == i + 1) {
        out.push_back('$');
        continue;
      }
      name = tmpl.substr(i + 1, j - i - 1);
    }
    bool numeric = std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    int idx = -1;
    if (numeric) {
      if (name.size() < 10) idx = std::stoi(name);
    } else {
      auto it = names.find(name);
      if (it != names.end()) idx = it->second;
    }
    if (idx >= 0 && static_cast<size_t>(idx) < groups.size() && groups[idx].data() != nullptr) {
      out.append(groups[idx].data(), groups[idx].size());
    }
    i = j - 1;
  }
  return out;
}

Val Evaluator::EvalCall(const Expr& e) {
  struct HintScope {
    const char*& slot;
    const char* saved;
    HintScope(const char*& s, const char* v) : slot(s), saved(s) { slot = v; }
    ~HintScope() { slot = saved; }
  } hint_scope(func_hint_, e.func->name);
  std::string_view name = e.func->name;
  for (size_t i = 0; i < e.args.size(); i++) {
    const Expr& a = Unparen(*e.args[i]);
    if (a.kind == ExprKind::kMatrixSelector || a.kind == ExprKind::kSubquery) {
      return EvalRangeFunction(e, static_cast<int>(i));
    }
  }
  if (name == "time") {
    Val v = ScalarVal(0);
    for (size_t i = 0; i < num_steps_; i++) v.scalar[i] = static_cast<double>(StepTs(i)) / 1000;
    return v;
  }
  if (name == "pi") return ScalarVal(M_PI);
  if (name == "timestamp") {
    const Expr& a = Unparen(*e.args[0]);
    if (a.kind == ExprKind::kVectorSelector) return EvalVectorSelector(a, true);
    Val v = Eval(*e.args[0]);
    OutputBuilder out;
    for (auto& s : v.m) {
      size_t idx = out.Intern(internal::DropMetricName(s.metric));
      for (const auto& p : s.points) out.Add(idx, p.t, static_cast<double>(p.t) / 1000);
    }
    return VectorVal(out.Take());
  }
  std::vector<Val> args;
  for (const auto& a : e.args) args.push_back(Eval(*a));
  if (name == "vector") {
    Series s;
    for (size_t i = 0; i < num_steps_; i++) s.points.push_back(Point{StepTs(i), args[0].scalar[i]});
    Matrix m;
    m.push_back(std::move(s));
    return VectorVal(std::move(m));
  }
  if (name == "scalar") {
    Val v = ScalarVal(NAN);
    std::vector<int> count(num_steps_, 0);
    for (const auto& s : args[0].m) {
      for (const auto& p : s.points) {
        size_t step = static_cast<size_t>((p.t - start_) / interval_);
        count[step]++;
        v.scalar[step] = p.v;
      }
    }
    for (size_t i = 0; i < num_steps_; i++) {
      if (count[i] != 1) v.scalar[i] = NAN;
    }
    return v;
  }
  if (name == "absent") {
    std::vector<bool> present(num_steps_, false);
    for (const auto& s : args[0].m) {
      for (const auto& p : s.points) present[static_cast<size_t>((p.t - start_) / interval_)] = true;
    }
    Series s;
    s.metric = AbsentLabels(&Unparen(*e.args[0]));
    for (size_t i = 0; i < num_steps_; i++) {
      if (!present[i]) s.points.push_back(Point{StepTs(i), 1});
    }
    Matrix m;
    if (!s.points.empty()) m.push_back(std::move(s));
    return VectorVal(std::move(m));
  }
  if (name == "sort" || name == "sort_desc") {
    bool desc = name == "sort_desc";
    StepCursor cur(args[0].m, start_, interval_, num_steps_);
    std::vector<std::pair<uint32_t, double>> vec;
    OutputBuilder out;
    std::unordered_map<uint32_t, size_t> idx;
    for (size_t step = 0; step < num_steps_; step++) {
      int64_t ts = StepTs(step);
    if ((step & 63) == 63) CheckContext();
      cur.Gather(ts, &vec);
      std::stable_sort(vec.begin(), vec.end(), [desc](const auto& a, const auto& b) {
        if (std::isnan(a.second)) return false;
        if (std::isnan(b.second)) return true;
        return desc ? a.second > b.second : a.second < b.second;
      });
      for (const auto& [si, v] : vec) {
        auto [it, ins] = idx.try_emplace(si, 0);
        if (ins) it->second = out.Intern(args[0].m[si].metric);
        out.Add(it->second, ts, v);
      }
    }
    return VectorVal(out.Take());
  }
  if (name == "label_replace" || name == "label_join") {
    const std::string& dst = args[1].str;
    std::vector<Labels> new_labels;
    if (name == "label_replace") {
      const std::string& repl = args[2].str;
      const std::string& src = args[3].str;
      RE2::Options re_opts;
      re_opts.set_log_errors(false);
      RE2 re("^(?:" + args[4].str + ")$", re_opts);
      if (!re.ok()) FailEval(absl::StrCat("invalid regular expression in label_replace(): ", args[4].str));
      if (!model::IsValidLabelName(dst)) FailEval(absl::StrCat("invalid destination label name in label_replace(): ", dst));
      std::vector<re2::StringPiece> groups(re.NumberOfCapturingGroups() + 1);
      for (const auto& s : args[0].m) {
        std::string_view sv = s.metric.Get(src);
        re2::StringPiece input(sv.data(), sv.size());
        if (re.Match(input, 0, input.size(), RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
          std::string res = ExpandTemplate(repl, re, groups);
          model::LabelsBuilder b(s.metric);
          b.Set(dst, res);
          new_labels.push_back(b.Build());
        } else {
          new_labels.push_back(s.metric);
        }
      }
    } else {
      const std::string& sep = args[2].str;
      if (!model::IsValidLabelName(dst)) FailEval(absl::StrCat("invalid destination label name in label_join(): ", dst));
      for (size_t i = 3; i < args.size(); i++) {
        if (!model::IsValidLabelName(args[i].str)) FailEval(absl::StrCat("invalid source label name in label_join(): ", args[i].str));
      }
      for (const auto& s : args[0].m) {
        std::string joined;
        for (size_t i = 3; i < args.size(); i++) {
          if (i > 3) joined += sep;
          joined += s.metric.Get(args[i].str);
        }
        model::LabelsBuilder b(s.metric);
        b.Set(dst, joined);
        new_labels.push_back(b.Build());
      }
    }
    OutputBuilder out;
    for (size_t i = 0; i < args[0].m.size(); i++) {
      size_t idx = out.Intern(std::move(new_labels[i]));
      for (const auto& p : args[0].m[i].points) out.Add(idx, p.t, p.v);
    }
    return VectorVal(out.Take());
  }
  if (name == "histogram_quantile") {
    const Val& q = args[0];
    const Matrix& in = args[1].m;
    // Group by all labels but `le` (name included), output without name and le.
    std::vector<int> series_group(in.size(), -1);
    std::vector<double> upper(in.size());
    std::vector<Labels> group_labels;
    std::unordered_multimap<uint64_t, int> by_hash;
    std::vector<Labels> group_keys;
    for (size_t i = 0; i < in.size(); i++) {
      std::string_view le = in[i].metric.Get(model::kBucketLabel);
      if (le.empty()) continue;
      std::string les(le);
      char* endp = nullptr;
      double ub = std::strtod(les.c_str(), &endp);
      std::string lower = les;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(ch));
      if (lower == "+inf" || lower == "inf") ub = INFINITY;
      else if (lower == "-inf") ub = -INFINITY;
      else if (endp == les.c_str() || *endp != '\0') continue;
      upper[i] = ub;
      model::LabelsBuilder b(in[i].metric);
      b.Del(model::kBucketLabel);
      Labels key = b.Build();
      uint64_t h = key.Hash();
      int g = -1;
      auto range = by_hash.equal_range(h);
      for (auto it = range.first; it != range.second; ++it) {
        if (group_keys[it->second] == key) g = it->second;
      }
      if (g < 0) {
        g = static_cast<int>(group_keys.size());
        group_labels.push_back(internal::DropMetricName(key));
        group_keys.push_back(std::move(key));
        by_hash.emplace(h, g);
      }
      series_group[i] = g;
    }
    StepCursor cur(in, start_, interval_, num_steps_);
    std::vector<std::pair<uint32_t, double>> vec;
    std::vector<std::vector<Bucket>> buckets(group_keys.size());
    std::vector<int> order;
    OutputBuilder out;
    std::vector<size_t> gout(group_keys.size(), SIZE_MAX);
    for (size_t step = 0; step < num_steps_; step++) {
      int64_t ts = StepTs(step);
    if ((step & 63) == 63) CheckContext();
      cur.Gather(ts, &vec);
      order.clear();
      for (const auto& [si, v] : vec) {
        int g = series_group[si];
        if (g < 0) continue;
        if (buckets[g].empty()) order.push_back(g);
        buckets[g].push_back(Bucket{upper[si], v});
      }
      for (int g : order) {
        double v = BucketQuantile(q.scalar[step], std::move(buckets[g]));
        buckets[g].clear();
        if (gout[g] == SIZE_MAX) gout[g] = out.Intern(group_labels[g]);
        out.Add(gout[g], ts, v);
      }
    }
    return VectorVal(out.Take());
  }
  if (name == "histogram_count" || name == "histogram_sum" || name == "histogram_fraction") {
    // Only native histograms have these; float series produce nothing.
    return VectorVal({});
  }
  // Element-wise functions over an instant vector.
  bool date_fn = name == "days_in_month" || name == "day_of_month" || name == "day_of_week" ||
                 name == "day_of_year" || name == "hour" || name == "minute" || name == "month" ||
                 name == "year";
  Val input;
  if (date_fn && args.empty()) {
    Series s;
    for (size_t i = 0; i < num_steps_; i++) s.points.push_back(Point{StepTs(i), static_cast<double>(StepTs(i)) / 1000});
    input.type = ValueType::kVector;
    input.m.push_back(std::move(s));
  } else {
    input = std::move(args[0]);
  }
  std::function<double(double)> f;
  auto sarg = [&](size_t i, size_t step) { return args[i].scalar[step]; };
  if (date_fn) {
    auto civil = [](double v) {
      return absl::ToCivilSecond(absl::FromUnixSeconds(static_cast<int64_t>(v)), absl::UTCTimeZone());
    };
    if (name == "days_in_month") {
      f = [civil](double v) {
        auto c = civil(v);
        absl::CivilMonth m(c.year(), c.month());
        return static_cast<double>(absl::CivilDay(m + 1) - absl::CivilDay(m));
      };
    } else if (name == "day_of_month") {
      f = [civil](double v) { return static_cast<double>(civil(v).day()); };
    } else if (name == "day_of_week") {
      f = [civil](double v) {
        switch (absl::GetWeekday(absl::CivilDay(civil(v)))) {
          case absl::Weekday::sunday: return 0.0;
          case absl::Weekday::monday: return 1.0;
          case absl::Weekday::tuesday: return 2.0;
          case absl::Weekday::wednesday: return 3.0;
          case absl::Weekday::thursday: return 4.0;
          case absl::Weekday::friday: return 5.0;
          case absl::Weekday::saturday: return 6.0;
        }
        return 0.0;
      };
    } else if (name == "day_of_year") {
      f = [civil](double v) { return static_cast<double>(absl::GetYearDay(absl::CivilDay(civil(v)))); };
    } else if (name == "hour") {
      f = [civil](double v) { return static_cast<double>(civil(v).hour()); };
    } else if (name == "minute") {
      f = [civil](double v) { return static_cast<double>(civil(v).minute()); };
    } else if (name == "month") {
      f = [civil](double v) { return static_cast<double>(civil(v).month()); };
    } else {
      f = [civil](double v) { return static_cast<double>(civil(v).year()); };
    }
  } else if (name == "abs") f = [](double v) { return std::fabs(v); };
  else if (name == "ceil") f = [](double v) { return std::ceil(v); };
  else if (name == "floor") f = [](double v) { return std::floor(v); };
  else if (name == "exp") f = [](double v) { return std::exp(v); };
  else if (name == "sqrt") f = [](double v) { return std::sqrt(v); };
  else if (name == "ln") f = [](double v) { return std::log(v); };
  else if (name == "log2") f = [](double v) { return std::log2(v); };
  else if (name == "log10") f = [](double v) { return std::log10(v); };
  else if (name == "sin") f = [](double v) { return std::sin(v); };
  else if (name == "cos") f = [](double v) { return std::cos(v); };
  else if (name == "tan") f = [](double v) { return std::tan(v); };
  else if (name == "asin") f = [](double v) { return std::asin(v); };
  else if (name == "acos") f = [](double v) { return std::acos(v); };
  else if (name == "atan") f = [](double v) { return std::atan(v); };
  else if (name == "sinh") f = [](double v) { return std::sinh(v); };
  else if (name == "cosh") f = [](double v) { return std::cosh(v); };
  else if (name == "tanh") f = [](double v) { return std::tanh(v); };
  else if (name == "asinh") f = [](double v) { return std::asinh(v); };
  else if (name == "acosh") f = [](double v) { return std::acosh(v); };
  else if (name == "atanh") f = [](double v) { return std::atanh(v); };
  else if (name == "deg") f = [](double v) { return v * 180 / M_PI; };
  else if (name == "rad") f = [](double v) { return v * M_PI / 180; };
  else if (name == "sgn") f = [](double v) { return v < 0 ? -1.0 : v > 0 ? 1.0 : v; };
  OutputBuilder out;
  bool dated = date_fn;
  for (auto& s : input.m) {
    size_t idx = SIZE_MAX;
    for (const auto& p : s.points) {
      size_t step = static_cast<size_t>((p.t - start_) / interval_);
      double v;
      if (f) {
        v = f(p.v);
      } else if (name == "clamp") {
        double lo = sarg(1, step), hi = sarg(2, step);
        if (hi < lo) continue;
        v = GoMax(lo, GoMin(hi, p.v));
      } else if (name == "clamp_min") {
        v = GoMax(sarg(1, step), p.v);
      } else if (name == "clamp_max") {
        v = GoMin(sarg(1, step), p.v);
      } else if (name == "round") {
        double to_nearest = args.size() > 1 ? sarg(1, step) : 1;
        double inv = 1.0 / to_nearest;
        v = std::floor(p.v * inv + 0.5) / inv;
      } else {
        FailEval(absl::StrCat("function \"", std::string(name), "\" is not implemented"));
      }
      if (idx == SIZE_MAX) idx = out.Intern(internal::DropMetricName(s.metric));
      out.Add(idx, p.t, v);
    }
  }
  (void)dated;
  return VectorVal(out.Take());
}

// --- Time range of the data a query reads -------------------------------------

void FindTimeRange(const Expr& e, int64_t start, int64_t end, int64_t qstart, int64_t qend,
                   const EngineOptions& opts, int64_t* mint, int64_t* maxt) {
  auto refs = [&](AtKind at, int64_t at_ms, int64_t offset, int64_t* lo, int64_t* hi) {
    if (at != AtKind::kNone) {
      int64_t t = at == AtKind::kStart ? qstart : at == AtKind::kEnd ? qend : at_ms;
      *lo = *hi = t - offset;
    } else {
      *lo = start - offset;
      *hi = end - offset;
    }
  };
  int64_t lo, hi;
  switch (e.kind) {
    case ExprKind::kVectorSelector:
      refs(e.at, e.at_ms, e.offset_ms, &lo, &hi);
      *mint = std::min(*mint, lo - opts.lookback_delta_ms);
      *maxt = std::max(*maxt, hi);
      return;
    case ExprKind::kMatrixSelector:
      refs(e.expr->at, e.expr->at_ms, e.expr->offset_ms, &lo, &hi);
      *mint = std::min(*mint, lo - e.range_ms);
      *maxt = std::max(*maxt, hi);
      return;
    case ExprKind::kSubquery:
      refs(e.at, e.at_ms, e.offset_ms, &lo, &hi);
      FindTimeRange(*e.expr, lo - e.range_ms, hi, qstart, qend, opts, mint, maxt);
      return;
    default: break;
  }
  if (e.expr) FindTimeRange(*e.expr, start, end, qstart, qend, opts, mint, maxt);
  if (e.lhs) FindTimeRange(*e.lhs, start, end, qstart, qend, opts, mint, maxt);
  if (e.rhs) FindTimeRange(*e.rhs, start, end, qstart, qend, opts, mint, maxt);
  if (e.param) FindTimeRange(*e.param, start, end, qstart, qend, opts, mint, maxt);
  for (const auto& a : e.args) FindTimeRange(*a, start, end, qstart, qend, opts, mint, maxt);
}

}  // namespace

absl::StatusOr<QueryResult> Engine::InstantQuery(storage::Queryable& storage, std::string_view query,
                                                 model::Timestamp ts, const QueryContext& ctx) const {
  auto t0 = std::chrono::steady_clock::now();
  auto expr = ParseExpr(query);
  if (!expr.ok()) return expr.status();
  double parse = Seconds(std::chrono::steady_clock::now() - t0);
  auto r = Exec(storage, **expr, ts, ts, 0, true, ctx);
  if (r.ok()) {
    r->stats.parse_seconds = parse;
    r->stats.total_seconds += parse;
  }
  return r;
}

absl::StatusOr<QueryResult> Engine::RangeQuery(storage::Queryable& storage, std::string_view query,
                                               model::Timestamp start, model::Timestamp end,
                                               int64_t step_ms, const QueryContext& ctx) const {
  auto t0 = std::chrono::steady_clock::now();
  auto expr = ParseExpr(query);
  if (!expr.ok()) return expr.status();
  double parse = Seconds(std::chrono::steady_clock::now() - t0);
  auto r = RangeQueryExpr(storage, **expr, start, end, step_ms, ctx);
  if (r.ok()) {
    r->stats.parse_seconds = parse;
    r->stats.total_seconds += parse;
  }
  return r;
}

absl::StatusOr<QueryResult> Engine::InstantQueryExpr(storage::Queryable& storage, const Expr& expr,
                                                     model::Timestamp ts, const QueryContext& ctx) const {
  return Exec(storage, expr, ts, ts, 0, true, ctx);
}

absl::StatusOr<QueryResult> Engine::RangeQueryExpr(storage::Queryable& storage, const Expr& expr,
                                                   model::Timestamp start, model::Timestamp end,
                                                   int64_t step_ms, const QueryContext& ctx) const {
  if (step_ms <= 0) {
    return absl::InvalidArgumentError("zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end < start) return absl::InvalidArgumentError("end timestamp must not be before start time");
  if ((end - start) / step_ms + 1 > options_.max_samples) {
    // Even a scalar would need one point per step.
    return absl::ResourceExhaustedError(std::string(kTooManySamplesError));
  }
  ValueType t = expr.type();
  if (t != ValueType::kScalar && t != ValueType::kVector) {
    return absl::InvalidArgumentError(absl::StrCat("invalid expression type \"", ValueTypeName(t),
                                                   "\" for range query, must be Scalar or instant Vector"));
  }
  return Exec(storage, expr, start, end, step_ms, false, ctx);
}

absl::StatusOr<QueryResult> Engine::Exec(storage::Queryable& storage, const Expr& expr,
                                         model::Timestamp start, model::Timestamp end,
                                         int64_t step_ms, bool instant, const QueryContext& ctx) const {
  auto t0 = std::chrono::steady_clock::now();
  QueryResult result;
  auto deadline = std::chrono::steady_clock::time_point::max();
  if (ctx.has_deadline()) {
    deadline = ctx.deadline();
  } else if (options_.timeout.count() > 0) {
    deadline = t0 + options_.timeout;
  }
  int64_t mint = model::kMaxTime, maxt = model::kMinTime;
  FindTimeRange(expr, start, end, start, end, options_, &mint, &maxt);
  if (mint > maxt) {
    mint = start;
    maxt = end;
  }
  auto querier = storage.NewQuerier(mint, maxt);
  if (!querier.ok()) return querier.status();
  Evaluator ev(options_, ctx, querier->get(), &result.stats, start, end, deadline);
  ev.SetRange(start, end, instant ? 1 : step_ms);
  try {
    Val v = ev.Eval(expr);
    QueryValue& out = result.value;
    out.type = v.type;
    if (instant) {
      switch (v.type) {
        case ValueType::kScalar: out.scalar = Scalar{start, v.scalar[0]}; break;
        case ValueType::kString: out.string = StringValue{start, v.str}; break;
        case ValueType::kMatrix: out.matrix = std::move(v.m); break;
        case ValueType::kVector:
          out.vector.reserve(v.m.size());
          for (auto& s : v.m) out.vector.push_back(VectorSample{std::move(s.metric), start, s.points[0].v});
          break;
        case ValueType::kNone: break;
      }
    } else {
      out.type = ValueType::kMatrix;
      if (v.type == ValueType::kScalar) {
        Series s;
        for (size_t i = 0; i < v.scalar.size(); i++) s.points.push_back(Point{start + static_cast<int64_t>(i) * step_ms, v.scalar[i]});
        out.matrix.push_back(std::move(s));
      } else {
        out.matrix = std::move(v.m);
        std::sort(out.matrix.begin(), out.matrix.end(),
                  [](const Series& a, const Series& b) { return a.metric < b.metric; });
      }
    }
  } catch (const EvalError& err) {
    return err.status;
  }
  result.stats.total_seconds = Seconds(std::chrono::steady_clock::now() - t0);
  result.stats.eval_seconds = result.stats.total_seconds - result.stats.prepare_seconds;
  return result;
}

}  // namespace omni::promql
