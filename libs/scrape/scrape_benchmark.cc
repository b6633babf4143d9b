// Steady-state cost of appending one scrape: the scrape cache should make a
// repeated payload cost little more than parsing it.
//
//   ninja -C build bench/scrape_benchmark && build/bench/scrape_benchmark
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "libs/scrape/scrape_loop.h"

namespace omni::scrape {
namespace {

class NullAppender final : public storage::Appender {
 public:
  absl::StatusOr<storage::SeriesRef> Append(storage::SeriesRef ref, const model::Labels&, model::Timestamp,
                                            double) override {
    return ref ? ref : ++next_;
  }
  absl::StatusOr<storage::SeriesRef> AppendByRef(storage::SeriesRef ref, model::Timestamp, double) override {
    return ref;
  }
  absl::Status Commit() override { return absl::OkStatus(); }
  void Rollback() override {}

 private:
  storage::SeriesRef next_ = 0;
};

class NullAppendable final : public storage::Appendable {
 public:
  std::unique_ptr<storage::Appender> NewAppender() override { return std::make_unique<NullAppender>(); }
};

class NoScraper final : public Scraper {
 public:
  absl::StatusOr<std::string> Scrape(std::string*) override { return std::string(); }
};

std::string Payload(int series) {
  std::string body;
  for (int i = 0; i < series; ++i) {
    absl::StrAppend(&body, "http_requests_total{method=\"GET\",handler=\"/api/v1/query\",code=\"", 200 + i % 5,
                    "\",shard=\"", i, "\"} ", i * 3, "\n");
  }
  return body;
}

void BM_AppendSteadyState(benchmark::State& state) {
  const int series = static_cast<int>(state.range(0));
  const std::string body = Payload(series);
  NullAppendable storage;
  auto target = std::make_shared<Target>("job", model::Labels::FromPairs({{"job", "job"}, {"instance", "x:1"}}),
                                         model::Labels(), std::map<std::string, std::vector<std::string>>{},
                                         absl::Seconds(15), absl::Seconds(10));
  ScrapeLoop loop(target, std::make_unique<NoScraper>(), &storage, ScrapeLoopOptions{}, nullptr);
  NullAppender app;
  int64_t ts = 1;
  loop.Append(app, body, "text/plain", ts);  // warm the cache
  for (auto _ : state) {
    AppendResult r = loop.Append(app, body, "text/plain", ++ts);
    benchmark::DoNotOptimize(r.added);
  }
  state.SetItemsProcessed(state.iterations() * series);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_AppendSteadyState)->Arg(1000)->Arg(100000);

void BM_AppendColdCache(benchmark::State& state) {
  const int series = static_cast<int>(state.range(0));
  const std::string body = Payload(series);
  NullAppendable storage;
  auto target = std::make_shared<Target>("job", model::Labels::FromPairs({{"job", "job"}, {"instance", "x:1"}}),
                                         model::Labels(), std::map<std::string, std::vector<std::string>>{},
                                         absl::Seconds(15), absl::Seconds(10));
  for (auto _ : state) {
    ScrapeLoop loop(target, std::make_unique<NoScraper>(), &storage, ScrapeLoopOptions{}, nullptr);
    NullAppender app;
    AppendResult r = loop.Append(app, body, "text/plain", 1);
    benchmark::DoNotOptimize(r.added);
  }
  state.SetItemsProcessed(state.iterations() * series);
}
BENCHMARK(BM_AppendColdCache)->Arg(1000)->Arg(100000);

}  // namespace
}  // namespace omni::scrape
