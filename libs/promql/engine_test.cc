#include "libs/promql/promql.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "libs/promql/testing/mem_storage.h"

namespace omni::promql {
namespace {

using model::Labels;

TEST_CASE("engine evaluates selectors, rate and aggregations", "[promql][engine]") {
  testing::MemStorage st;
  for (int i = 0; i <= 10; i++) {
    st.Add(Labels::FromPairs({{"__name__", "reqs"}, {"job", "a"}, {"i", "0"}}), i * 60000, i * 60.0);
    st.Add(Labels::FromPairs({{"__name__", "reqs"}, {"job", "a"}, {"i", "1"}}), i * 60000, i * 120.0);
  }
  Engine engine;
  QueryContext ctx;
  auto r = engine.InstantQuery(st, "sum by (job) (rate(reqs[5m]))", 600000, ctx);
  REQUIRE(r.ok());
  REQUIRE(r->value.type == ValueType::kVector);
  REQUIRE(r->value.vector.size() == 1);
  CHECK(r->value.vector[0].v == Approx(3.0));
  CHECK(r->value.vector[0].metric.ToString() == "{job=\"a\"}");
  CHECK(r->stats.total_samples > 0);

  auto s = engine.InstantQuery(st, "scalar(count(reqs)) * 2", 600000, ctx);
  REQUIRE(s.ok());
  CHECK(s->value.type == ValueType::kScalar);
  CHECK(s->value.scalar.v == 4);

  auto m = engine.RangeQuery(st, "reqs{i=\"0\"}", 0, 600000, 60000, ctx);
  REQUIRE(m.ok());
  REQUIRE(m->value.matrix.size() == 1);
  CHECK(m->value.matrix[0].points.size() == 11);
}

TEST_CASE("engine range functions detect label sets that collide without __name__", "[promql][engine]") {
  testing::MemStorage st;
  for (int i = 0; i <= 10; i++) {
    st.Add(Labels::FromPairs({{"__name__", "a_total"}, {"job", "x"}}), i * 60000, i * 1.0);
    st.Add(Labels::FromPairs({{"__name__", "a_total"}, {"job", "y"}}), i * 60000, i * 2.0);
    st.Add(Labels::FromPairs({{"__name__", "b_total"}, {"job", "y"}}), i * 60000, i * 3.0);
    st.Add(Labels::FromPairs({{"__name__", "c_total"}, {"job", "z"}}), i * 60000, i * 4.0);
  }
  Engine engine;
  QueryContext ctx;
  // a_total{job="y"} and b_total{job="y"} both become {job="y"}.
  auto r = engine.InstantQuery(st, "rate({__name__=~\"a_total|b_total\"}[5m])", 600000, ctx);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "vector cannot contain metrics with the same labelset");
  // Different names whose other labels differ are fine; last_over_time keeps names.
  auto ok = engine.InstantQuery(st, "rate({__name__=~\"a_total|c_total\"}[5m])", 600000, ctx);
  REQUIRE(ok.ok());
  CHECK(ok->value.vector.size() == 3);
  auto last = engine.InstantQuery(st, "last_over_time({job=\"y\"}[5m])", 600000, ctx);
  REQUIRE(last.ok());
  CHECK(last->value.vector.size() == 2);
}

TEST_CASE("engine staleness, lookback and limits", "[promql][engine]") {
  testing::MemStorage st;
  Labels l = Labels::FromPairs({{"__name__", "x"}});
  st.Add(l, 0, 1);
  st.Add(l, 60000, model::StaleNaN());
  Engine engine;
  QueryContext ctx;
  CHECK(engine.InstantQuery(st, "x", 30000, ctx)->value.vector.size() == 1);
  CHECK(engine.InstantQuery(st, "x", 90000, ctx)->value.vector.empty());
  CHECK(engine.InstantQuery(st, "x offset 1m", 90000, ctx)->value.vector.size() == 1);

  EngineOptions opts;
  opts.max_samples = 5;
  Engine small(opts);
  auto r = small.RangeQuery(st, "x", 0, 600000, 1000, ctx);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(std::string(r.status().message()) == std::string(kTooManySamplesError));

  QueryContext cancelled;
  cancelled.Cancel();
  auto c = engine.InstantQuery(st, "x", 0, cancelled);
  REQUIRE(!c.ok());
  CHECK(c.status().code() == absl::StatusCode::kCancelled);
}

TEST_CASE("engine binary matching errors", "[promql][engine]") {
  testing::MemStorage st;
  st.Add(Labels::FromPairs({{"__name__", "a"}, {"x", "1"}, {"y", "1"}}), 0, 1);
  st.Add(Labels::FromPairs({{"__name__", "a"}, {"x", "1"}, {"y", "2"}}), 0, 2);
  st.Add(Labels::FromPairs({{"__name__", "b"}, {"x", "1"}}), 0, 10);
  Engine engine;
  QueryContext ctx;
  auto ok = engine.InstantQuery(st, "a * on(x) group_left b", 0, ctx);
  REQUIRE(ok.ok());
  CHECK(ok->value.vector.size() == 2);
  auto bad = engine.InstantQuery(st, "a * on(x) b", 0, ctx);
  REQUIRE(!bad.ok());
  CHECK(std::string(bad.status().message()).find("many-to-one matching must be explicit") != std::string::npos);
  auto dup = engine.InstantQuery(st, "b * on(x) a", 0, ctx);
  REQUIRE(!dup.ok());
  CHECK(std::string(dup.status().message()).find("found duplicate series for the match group") != std::string::npos);
  auto range = engine.RangeQuery(st, "a[5m]", 0, 1, 1, ctx);
  CHECK(!range.ok());
}

TEST_CASE("engine result types, modifiers and subqueries", "[promql][engine]") {
  testing::MemStorage st;
  Labels l = Labels::FromPairs({{"__name__", "g"}, {"k", "v"}});
  for (int i = 0; i <= 60; i++) st.Add(l, i * 10000, i);  // 0..600s, value = t/10s
  Engine engine;
  QueryContext ctx;

  auto str = engine.InstantQuery(st, "\"hello\"", 1000, ctx);
  REQUIRE(str.ok());
  CHECK(str->value.type == ValueType::kString);
  CHECK(str->value.string.v == "hello");

  auto mat = engine.InstantQuery(st, "g[1m]", 600000, ctx);
  REQUIRE(mat.ok());
  REQUIRE(mat->value.type == ValueType::kMatrix);
  REQUIRE(mat->value.matrix.size() == 1);
  CHECK(mat->value.matrix[0].points.size() == 7);  // 540s..600s inclusive

  auto at = engine.InstantQuery(st, "g @ 100", 600000, ctx);
  REQUIRE(at.ok());
  CHECK(at->value.vector[0].v == 10);
  auto at_start = engine.RangeQuery(st, "g @ start()", 100000, 200000, 50000, ctx);
  REQUIRE(at_start.ok());
  for (const auto& p : at_start->value.matrix[0].points) CHECK(p.v == 10);
  auto neg = engine.InstantQuery(st, "g offset -1m", 100000, ctx);
  REQUIRE(neg.ok());
  CHECK(neg->value.vector[0].v == 16);

  auto sub = engine.InstantQuery(st, "max_over_time(g[5m:1m])", 600000, ctx);
  REQUIRE(sub.ok());
  CHECK(sub->value.vector[0].v == 60);
  auto cnt = engine.InstantQuery(st, "count_over_time(g[5m:1m])", 600000, ctx);
  REQUIRE(cnt.ok());
  CHECK(cnt->value.vector[0].v == 6);  // 300s..600s at 60s steps, both ends included

  auto range = engine.RangeQuery(st, "rate(g[1m])", 60000, 600000, 60000, ctx);
  REQUIRE(range.ok());
  REQUIRE(range->value.matrix.size() == 1);
  CHECK(range->value.matrix[0].metric.ToString() == "{k=\"v\"}");
  CHECK(range->value.matrix[0].points.size() == 10);
  CHECK(range->value.matrix[0].points[0].v == Approx(0.1));

  auto sc = engine.RangeQuery(st, "time()", 0, 120000, 60000, ctx);
  REQUIRE(sc.ok());
  REQUIRE(sc->value.matrix.size() == 1);
  CHECK(sc->value.matrix[0].points[2].v == 120);
}

// Records the hints of every Select, delegating to a MemStorage.
class HintRecorder : public storage::Queryable {
 public:
  explicit HintRecorder(testing::MemStorage* st) : st_(st) {}
  absl::StatusOr<std::unique_ptr<storage::Querier>> NewQuerier(model::Timestamp mint, model::Timestamp maxt) override {
    mint_ = mint;
    maxt_ = maxt;
    auto q = st_->NewQuerier(mint, maxt);
    if (!q.ok()) return q.status();
    return std::unique_ptr<storage::Querier>(new Recording(std::move(*q), &hints_));
  }
  std::vector<storage::SelectHints> hints_;
  model::Timestamp mint_ = 0, maxt_ = 0;

 private:
  class Recording : public storage::Querier {
   public:
    Recording(std::unique_ptr<storage::Querier> q, std::vector<storage::SelectHints>* h) : q_(std::move(q)), h_(h) {}
    std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                               const std::vector<model::Matcher>& m) override {
      h_->push_back(hints);
      return q_->Select(sorted, hints, m);
    }
    absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& n, const std::vector<model::Matcher>& m) override {
      return q_->LabelValues(n, m);
    }
    absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<model::Matcher>& m) override {
      return q_->LabelNames(m);
    }

   private:
    std::unique_ptr<storage::Querier> q_;
    std::vector<storage::SelectHints>* h_;
  };
  testing::MemStorage* st_;
};

TEST_CASE("engine selects each selector once with hints", "[promql][engine]") {
  testing::MemStorage st;
  st.Add(Labels::FromPairs({{"__name__", "c"}}), 0, 1);
  HintRecorder rec(&st);
  Engine engine;
  QueryContext ctx;
  auto r = engine.RangeQuery(rec, "rate(c[5m]) + abs(c offset 1h)", 3600000, 7200000, 60000, ctx);
  REQUIRE(r.ok());
  REQUIRE(rec.hints_.size() == 2);
  CHECK(rec.hints_[0].func == "rate");
  CHECK(rec.hints_[0].range_ms == 300000);
  CHECK(rec.hints_[0].start == 3600000 - 300000);
  CHECK(rec.hints_[0].end == 7200000);
  CHECK(rec.hints_[0].step_ms == 60000);
  CHECK(rec.hints_[1].func == "abs");
  CHECK(rec.hints_[1].start == 0 - 300000);  // offset 1h minus the 5m lookback
  CHECK(rec.hints_[1].end == 3600000);
  CHECK(rec.mint_ == -300000);
  CHECK(rec.maxt_ == 7200000);
}

TEST_CASE("engine deadline and parse errors", "[promql][engine]") {
  testing::MemStorage st;
  st.Add(Labels::FromPairs({{"__name__", "g"}}), 0, 1);
  Engine engine;
  QueryContext expired(std::chrono::steady_clock::now() - std::chrono::seconds(1));
  auto r = engine.InstantQuery(st, "g", 0, expired);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == absl::StatusCode::kDeadlineExceeded);
  QueryContext ctx;
  auto p = engine.InstantQuery(st, "sum(", 0, ctx);
  REQUIRE(!p.ok());
  CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
  auto dup = engine.InstantQuery(st, "label_replace(vector(1) or vector(2), \"a\", \"b\", \"\", \"\")", 0, ctx);
  CHECK(dup.ok());  // `or` drops the rhs duplicate, so no collision
  auto step = engine.RangeQuery(st, "g", 0, 10, 0, ctx);
  CHECK(step.status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace omni::promql
