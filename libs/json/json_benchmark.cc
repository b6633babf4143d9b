#include <benchmark/benchmark.h>

#include "libs/json/json.h"

namespace omni::json {
namespace {

void BM_WriteVector(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    JsonWriter w(&out);
    w.BeginArray();
    for (int i = 0; i < 1000; ++i) {
      w.BeginObject();
      w.Key("metric");
      w.BeginObject();
      w.KeyString("__name__", "http_requests_total");
      w.KeyString("instance", "10.0.0.1:9100");
      w.EndObject();
      w.Key("value");
      w.BeginArray();
      w.PromTimestamp(1700000000123);
      w.PromFloat(i * 1.25);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * out.size());
}
BENCHMARK(BM_WriteVector);

// A raw range selection: 1000 series of 120 points, counters (integers) and
// gauges (fractions), as /api/v1/query returns for `{instance="..."}[4m]`.
void BM_WriteMatrixPoints(benchmark::State& state) {
  struct Point {
    int64_t t;
    double v;
  };
  std::vector<Point> points(120);
  std::string out;
  for (auto _ : state) {
    out.clear();
    JsonWriter w(&out);
    w.BeginArray();
    for (int s = 0; s < 1000; ++s) {
      w.BeginObject();
      w.Key("values");
      for (int i = 0; i < 120; ++i) {
        double v = s % 2 == 0 ? 1000.0 + s * 7 + i : (s + i) / 7.0;
        points[i] = {1700000000000 + i * 2000 + s % 3, v};
      }
      w.PromPointArray(points);
      w.EndObject();
    }
    w.EndArray();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 120000);
  state.SetBytesProcessed(state.iterations() * out.size());
}
BENCHMARK(BM_WriteMatrixPoints);

void BM_Parse(benchmark::State& state) {
  std::string text;
  JsonWriter w(&text);
  w.BeginArray();
  for (int i = 0; i < 1000; ++i) {
    w.BeginObject();
    w.KeyString("name", "pod-abcdef-12345");
    w.KeyInt("port", 8080 + i);
    w.Key("ratio");
    w.Double(i / 7.0);
    w.EndObject();
  }
  w.EndArray();
  for (auto _ : state) {
    auto v = Parse(text);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Parse);

}  // namespace
}  // namespace omni::json
