// Issue acceptance: a viewer over 3 collector shards (series split by a hash
// of their labels) answers every query exactly as a viewer over one
// collector holding all the data (which pushes its queries down to that
// collector), and a viewer over one collector answers exactly as the
// collector itself, with and without push-down, errors included.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/create_channel.h"
#include "libs/model/labels.h"
#include "omniscope/v1/collector.grpc.pb.h"
#include "tests/e2e/harness.h"

namespace omni::e2e {
namespace {

constexpr int64_t kStartMs = 1700000000000;
constexpr int kSteps = 240;  // 1 hour at 15 s

struct Collector {
  std::string dir;
  std::unique_ptr<Daemon> daemon;
  std::string http;
  std::string grpc;
  std::unique_ptr<omniscope::v1::CollectorService::Stub> stub;
};

std::unique_ptr<Collector> StartCollector() {
  auto c = std::make_unique<Collector>();
  c->dir = MakeTempDir("omni_shard_");
  WriteFile(c->dir + "/prometheus.yml", "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
  c->daemon = std::make_unique<Daemon>(
      BinaryPath("omniscope-collector"),
      std::vector<std::string>{"--config.file=" + c->dir + "/prometheus.yml", "--storage.tsdb.path=" + c->dir + "/data",
                               "--web.listen-address=127.0.0.1:0", "--grpc.listen-address=127.0.0.1:0"});
  c->daemon->Start();
  c->grpc = c->daemon->ListenAddress("grpc");
  c->http = c->daemon->ListenAddress("web");
  REQUIRE_FALSE(c->grpc.empty());
  c->stub = omniscope::v1::CollectorService::NewStub(
      grpc::CreateChannel(c->grpc, grpc::InsecureChannelCredentials()));
  return c;
}

struct Viewer {
  std::unique_ptr<Daemon> daemon;
  std::string http;
};

Viewer StartViewer(const std::vector<Collector*>& shards, const std::vector<std::string>& extra_args = {}) {
  std::vector<std::string> args = {"--web.listen-address=127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  for (auto* s : shards) args.push_back("--collector=" + s->grpc);
  Viewer v;
  v.daemon = std::make_unique<Daemon>(BinaryPath("omniscope-viewer"), args);
  v.daemon->Start();
  v.http = v.daemon->ListenAddress("web");
  REQUIRE_FALSE(v.http.empty());
  return v;
}

// A deterministic data set: counters, gauges and classic histograms over
// several jobs and instances, with a gap and a staleness-free restart.
std::vector<omniscope::v1::TimeSeries> MakeData() {
  std::vector<omniscope::v1::TimeSeries> out;
  auto add = [&](std::vector<std::pair<std::string, std::string>> labels, auto value_at) {
    omniscope::v1::TimeSeries ts;
    std::vector<model::Label> ls;
    for (auto& [n, v] : labels) ls.push_back({n, v});
    for (const auto& l : model::Labels::FromUnsorted(ls)) {
      auto* p = ts.add_labels();
      p->set_name(l.name);
      p->set_value(l.value);
    }
    for (int i = 0; i < kSteps; ++i) {
      double v = value_at(i);
      if (v < 0) continue;  // negative = no sample at this step
      auto* s = ts.add_samples();
      s->set_timestamp_ms(kStartMs + i * 15000LL);
      s->set_value(v);
    }
    out.push_back(std::move(ts));
  };
  for (int job = 0; job < 3; ++job) {
    for (int inst = 0; inst < 6; ++inst) {
      std::string j = "job" + std::to_string(job), in = "host" + std::to_string(inst) + ":9100";
      for (std::string code : {"200", "404", "500"}) {
        int rate = (job + 1) * (inst + 2) * (code == "200" ? 10 : 1);
        add({{"__name__", "http_requests_total"}, {"job", j}, {"instance", in}, {"code", code}},
            [rate, inst](int i) { return i == 100 + inst ? -1.0 : (i < 150 ? i * rate : (i - 150) * rate); });
      }
      add({{"__name__", "temperature_celsius"}, {"job", j}, {"instance", in}},
          [inst](int i) { return 20 + inst + (i % 7) * 0.5; });
      double cumulative = 0;
      std::vector<double> bounds = {0.1, 0.5, 1, 5};
      for (size_t b = 0; b <= bounds.size(); ++b) {
        std::string le = b < bounds.size() ? std::to_string(bounds[b]).substr(0, 3) : "+Inf";
        if (le == "1.0") le = "1";
        if (le == "5.0") le = "5";
        cumulative += (b + 1) * (inst + 1);
        double per_step = cumulative;
        add({{"__name__", "latency_seconds_bucket"}, {"job", j}, {"instance", in}, {"le", le}},
            [per_step](int i) { return i * per_step; });
      }
    }
  }
  return out;
}

void Write(Collector& c, const std::vector<omniscope::v1::TimeSeries>& series) {
  omniscope::v1::WriteRequest req;
  for (const auto& s : series) *req.add_series() = s;
  omniscope::v1::WriteResponse resp;
  grpc::ClientContext ctx;
  grpc::Status st = c.stub->Write(&ctx, req, &resp);
  REQUIRE(st.ok());
  REQUIRE(resp.samples_rejected().empty());
}

uint64_t SeriesHash(const omniscope::v1::TimeSeries& ts) {
  std::vector<model::Label> ls;
  for (const auto& l : ts.labels()) ls.push_back({l.name(), l.value()});
  return model::Labels::FromUnsorted(ls).Hash();
}

// The queries both tests compare; each returns data.
const std::vector<std::string>& Queries() {
  static const auto* q = new std::vector<std::string>{
      "http_requests_total",
      "sum by (job) (rate(http_requests_total[5m]))",
      "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))",
      "topk(3, rate(http_requests_total[1m]))",
      "histogram_quantile(0.9, sum by (le, job) (rate(latency_seconds_bucket[5m])))",
      "avg_over_time(temperature_celsius[10m])",
      "max by (instance) (temperature_celsius) - min by (instance) (temperature_celsius)",
      "count by (__name__) ({__name__=~\".+\"})",
      "increase(http_requests_total{job=\"job1\"}[1h])",
      "absent(nonexistent_metric)",
      "rate(http_requests_total[5m]) >= on(job, instance, code) group_left rate(http_requests_total[1m])",
      "label_replace(temperature_celsius, \"host\", \"$1\", \"instance\", \"(.*):.*\")",
  };
  return *q;
}

// The value of a counter in a /metrics exposition, or -1 when absent.
double MetricValue(const std::string& exposition, const std::string& name) {
  size_t pos = exposition.find("\n" + name + " ");
  if (pos == std::string::npos) return -1;
  return std::strtod(exposition.c_str() + pos + name.size() + 2, nullptr);
}

TEST_CASE("viewer over 3 shards answers exactly as one collector with all data", "[e2e][viewer]") {
  auto all = StartCollector();
  std::vector<std::unique_ptr<Collector>> shards;
  for (int i = 0; i < 3; ++i) shards.push_back(StartCollector());

  auto data = MakeData();
  Write(*all, data);
  std::vector<std::vector<omniscope::v1::TimeSeries>> split(3);
  for (const auto& ts : data) split[SeriesHash(ts) % 3].push_back(ts);
  for (int i = 0; i < 3; ++i) {
    REQUIRE_FALSE(split[i].empty());
    Write(*shards[i], split[i]);
  }

  Viewer single = StartViewer({all.get()});
  Viewer sharded = StartViewer({shards[0].get(), shards[1].get(), shards[2].get()});

  const int64_t end_s = (kStartMs + (kSteps - 1) * 15000LL) / 1000;
  const int64_t start_s = kStartMs / 1000;
  const std::vector<std::string>& queries = Queries();
  int compared = 0;
  for (const auto& q : queries) {
    std::string qe = UrlEncode(q);
    for (const std::string& path :
         {"/api/v1/query?query=" + qe + "&time=" + std::to_string(end_s),
          "/api/v1/query_range?query=" + qe + "&start=" + std::to_string(start_s) + "&end=" +
              std::to_string(end_s) + "&step=60"}) {
      HttpResponse a = HttpGet("http://" + single.http + path);
      HttpResponse b = HttpGet("http://" + sharded.http + path);
      INFO("query: " << q << " path: " << path << " error: " << a.error << " logs: " << single.daemon->Logs());
      REQUIRE(a.status == 200);
      REQUIRE(b.status == a.status);
      REQUIRE(b.body == a.body);
      REQUIRE(a.body.find("\"result\":[]") == std::string::npos);  // each query returns data
      ++compared;
    }
  }
  for (const std::string& path :
       {std::string("/api/v1/labels"), std::string("/api/v1/label/instance/values"),
        "/api/v1/series?match%5B%5D=" + UrlEncode("temperature_celsius{job=\"job2\"}")}) {
    HttpResponse a = HttpGet("http://" + single.http + path);
    HttpResponse b = HttpGet("http://" + sharded.http + path);
    INFO("path: " << path);
    REQUIRE(a.status == 200);
    REQUIRE(b.body == a.body);
    ++compared;
  }
  REQUIRE(compared == static_cast<int>(queries.size()) * 2 + 3);
  // The single-collector viewer pushed its queries down; the sharded one cannot.
  CHECK(MetricValue(HttpGet("http://" + single.http + "/metrics").body, "omniscope_viewer_query_push_downs_total") >=
        static_cast<double>(queries.size()) * 2);
  CHECK(MetricValue(HttpGet("http://" + sharded.http + "/metrics").body, "omniscope_viewer_query_push_downs_total") ==
        0);
}

TEST_CASE("viewer over one collector answers as the collector, with and without push-down", "[e2e][viewer]") {
  auto collector = StartCollector();
  Write(*collector, MakeData());
  Viewer pushed = StartViewer({collector.get()});
  Viewer local = StartViewer({collector.get()}, {"--query.push-down=false"});

  const std::string end_s = std::to_string((kStartMs + (kSteps - 1) * 15000LL) / 1000);
  const std::string start_s = std::to_string(kStartMs / 1000);
  const std::string range = "&start=" + start_s + "&end=" + end_s + "&step=60";
  std::vector<std::string> paths;
  for (const auto& q : Queries()) {
    paths.push_back("/api/v1/query?query=" + UrlEncode(q) + "&time=" + end_s);
    paths.push_back("/api/v1/query_range?query=" + UrlEncode(q) + range);
  }
  // Errors: parse errors with positions (instant and range texts differ),
  // a range vector in a range query, evaluation errors, a timeout.
  for (const std::string q : {"sum(rate(x[5m])", "foo{", "1 +", "http_requests_total[5m]",
                              "http_requests_total + on(job) temperature_celsius",
                              "label_replace(temperature_celsius, \"job\", \"x\", \"instance\", \".*\")",
                              "topk(scalar(count(nonexistent)), http_requests_total)"}) {
    paths.push_back("/api/v1/query?query=" + UrlEncode(q) + "&time=" + end_s);
    paths.push_back("/api/v1/query_range?query=" + UrlEncode(q) + range);
  }
  paths.push_back("/api/v1/query?query=http_requests_total&time=" + end_s + "&timeout=0");
  paths.push_back("/api/v1/query_range?query=http_requests_total" + range + "&timeout=0");
  paths.push_back("/api/v1/query_range?query=http_requests_total&start=10&end=5&step=1");
  int errors = 0;
  for (const std::string& path : paths) {
    HttpResponse c = HttpGet("http://" + collector->http + path);
    HttpResponse p = HttpGet("http://" + pushed.http + path);
    HttpResponse l = HttpGet("http://" + local.http + path);
    INFO("path: " << path << "\ncollector: " << c.body.substr(0, 300) << "\npushed:    " << p.body.substr(0, 300)
                  << "\nlocal:     " << l.body.substr(0, 300));
    REQUIRE(c.status != 0);
    CHECK(p.status == c.status);
    CHECK(p.body == c.body);
    CHECK(l.status == c.status);
    CHECK(l.body == c.body);
    errors += c.status != 200;
  }
  CHECK(errors == 16);  // every error case above (the instant range selector is no error)

  {  // stats=all has the same shape and sample counts on both paths.
    const std::string path = "/api/v1/query_range?query=" + UrlEncode("sum(rate(http_requests_total[5m]))") +
                             range + "&stats=all";
    auto p = json::Parse(HttpGet("http://" + pushed.http + path).body);
    auto l = json::Parse(HttpGet("http://" + local.http + path).body);
    REQUIRE(p.ok());
    REQUIRE(l.ok());
    const json::JsonValue* ps = p->Find("data")->Find("stats");
    const json::JsonValue* ls = l->Find("data")->Find("stats");
    REQUIRE(ps != nullptr);
    REQUIRE(ls != nullptr);
    std::vector<std::string> pkeys, lkeys;
    for (const auto& [k, v] : ps->Find("timings")->AsObject()) pkeys.push_back(k);
    for (const auto& [k, v] : ls->Find("timings")->AsObject()) lkeys.push_back(k);
    CHECK(pkeys == lkeys);
    CHECK(ps->Find("samples")->Serialize() == ls->Find("samples")->Serialize());
    CHECK(ps->Find("samples")->GetInt("totalQueryableSamples") > 0);
  }

  const double pushed_count =
      MetricValue(HttpGet("http://" + pushed.http + "/metrics").body, "omniscope_viewer_query_push_downs_total");
  CHECK(pushed_count >= static_cast<double>(Queries().size()) * 2);
  CHECK(MetricValue(HttpGet("http://" + local.http + "/metrics").body, "omniscope_viewer_query_push_downs_total") ==
        -1);
}

TEST_CASE("a pushed-down query uses the viewer's --query.* limits", "[e2e][viewer]") {
  auto collector = StartCollector();  // default limits: 50M samples, 5m lookback
  Write(*collector, MakeData());
  const std::vector<std::string> limits = {"--query.max-samples=500", "--query.lookback-delta=1m"};
  Viewer pushed = StartViewer({collector.get()}, limits);
  std::vector<std::string> local_args = limits;
  local_args.push_back("--query.push-down=false");
  Viewer local = StartViewer({collector.get()}, local_args);

  // 3 minutes after the last sample: empty with a 1m lookback, data with 5m.
  const std::string after = std::to_string((kStartMs + (kSteps - 1) * 15000LL) / 1000 + 180);
  const std::string lookback = "/api/v1/query?query=temperature_celsius&time=" + after;
  // More than 500 samples in memory at once.
  const std::string too_many = "/api/v1/query?query=" + UrlEncode("http_requests_total[30m]") + "&time=" + after;
  for (const std::string& path : {lookback, too_many}) {
    HttpResponse c = HttpGet("http://" + collector->http + path);
    HttpResponse p = HttpGet("http://" + pushed.http + path);
    HttpResponse l = HttpGet("http://" + local.http + path);
    INFO("path: " << path << "\ncollector: " << c.body.substr(0, 200) << "\npushed: " << p.body.substr(0, 300)
                  << "\nlocal: " << l.body.substr(0, 300));
    CHECK(p.status == l.status);
    CHECK(p.body == l.body);
    CHECK(c.body != p.body);  // the viewer's limits made the difference
  }
  CHECK(HttpGet("http://" + pushed.http + lookback).body.find("\"result\":[]") != std::string::npos);
  HttpResponse tm = HttpGet("http://" + pushed.http + too_many);
  CHECK(tm.status == 422);
  CHECK(tm.body.find("query processing would load too many samples into memory in query execution") !=
        std::string::npos);
}

}  // namespace
}  // namespace omni::e2e
