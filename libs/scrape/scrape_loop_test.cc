#include <catch2/catch.hpp>

#include <cmath>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "libs/scrape/scrape_loop.h"
#include "libs/scrape/testing/fake_appendable.h"
#include "libs/scrape/testing/test_http_server.h"

namespace omni::scrape {
namespace {

using testing::FakeAppendable;
using testing::TestHttpServer;

// A metrics endpoint whose response the test changes between scrapes.
struct Endpoint {
  std::mutex mu;
  TestHttpServer::Response response;
  TestHttpServer::Request last_request;
  std::unique_ptr<TestHttpServer> server;

  Endpoint() {
    auto s = TestHttpServer::Start([this](const TestHttpServer::Request& r) {
      std::lock_guard<std::mutex> lock(mu);
      last_request = r;
      return response;
    });
    REQUIRE(s.ok());
    server = std::move(*s);
  }
  void Set(std::string body, int status = 200) {
    std::lock_guard<std::mutex> lock(mu);
    response = TestHttpServer::Response();
    response.body = std::move(body);
    response.status = status;
  }
};

struct Harness {
  Endpoint ep;
  FakeAppendable store;
  ScrapeStats stats;
  config::ScrapeConfig sc;
  std::unique_ptr<ScrapeLoop> loop;

  Harness() {
    sc.job_name = "job";
    sc.scrape_interval = absl::Seconds(10);
    sc.scrape_timeout = absl::Seconds(5);
  }
  void Build(model::Labels extra = {}) {
    discovery::TargetGroup g;
    g.source = "0";
    g.labels = extra;
    g.targets = {model::Labels::FromPairs({{"__address__", ep.server->address()}})};
    auto r = TargetsFromGroup(g, sc);
    REQUIRE(r.targets.size() == 1);
    auto scraper = HttpScraper::Create(r.targets[0]->URL(), sc.http_client, r.targets[0]->timeout(),
                                       sc.body_size_limit);
    REQUIRE(scraper.ok());
    loop = std::make_unique<ScrapeLoop>(r.targets[0], std::move(*scraper), &store, ScrapeLoopOptionsFrom(sc),
                                        &stats);
  }
  model::Labels L(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
    model::LabelsBuilder b(model::Labels::FromPairs(pairs));
    b.Set("job", "job");
    b.Set("instance", ep.server->address());
    return b.Build();
  }
  double Value(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
    auto s = store.Latest(L(pairs));
    REQUIRE(s.has_value());
    return s->v;
  }
};

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST_CASE("Scrape stores samples with target labels and report series", "[scrape][loop][unit]") {
  Harness h;
  h.ep.Set("# TYPE a counter\na{x=\"1\"} 5\nb 2.5\n");
  h.Build();
  REQUIRE(h.loop->ScrapeOnce(kT0).ok());
  CHECK(h.Value({{"__name__", "a"}, {"x", "1"}}) == 5);
  CHECK(h.Value({{"__name__", "b"}}) == 2.5);
  CHECK(h.Value({{"__name__", "up"}}) == 1);
  CHECK(h.Value({{"__name__", "scrape_samples_scraped"}}) == 2);
  CHECK(h.Value({{"__name__", "scrape_samples_post_metric_relabeling"}}) == 2);
  CHECK(h.Value({{"__name__", "scrape_series_added"}}) == 2);
  CHECK(h.Value({{"__name__", "scrape_duration_seconds"}}) >= 0);
  CHECK(h.store.Latest(h.L({{"__name__", "a"}, {"x", "1"}}))->t == absl::ToUnixMillis(kT0));
  {
    std::lock_guard<std::mutex> lock(h.ep.mu);
    CHECK(h.ep.last_request.headers["accept"].find("application/openmetrics-text") == 0);
    CHECK(h.ep.last_request.headers["x-prometheus-scrape-timeout-seconds"] == "5");
    CHECK(h.ep.last_request.headers["accept-encoding"].find("gzip") != std::string::npos);
  }
  auto st = h.loop->target()->Status();
  CHECK(st.health == TargetHealth::kUp);
  CHECK(st.last_scrape == kT0);

  // Steady state: same series, no new series added, cache not grown; keep-alive.
  REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(10)).ok());
  REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(20)).ok());
  CHECK(h.Value({{"__name__", "scrape_series_added"}}) == 0);
  CHECK(h.loop->cache_size() == 2);
  CHECK(h.ep.server->connections() == 1);
}

TEST_CASE("Malformed exposition marks the target down and stores nothing", "[scrape][loop][unit]") {
  Harness h;
  h.ep.Set("good 1\n");
  h.Build();
  REQUIRE(h.loop->ScrapeOnce(kT0).ok());
  h.ep.Set("ok_before 1\nthis is { not valid\nafter 2\n");
  absl::Status st = h.loop->ScrapeOnce(kT0 + absl::Seconds(10));
  CHECK(!st.ok());
  CHECK(h.store.SamplesNamed("ok_before").empty());
  CHECK(h.store.SamplesNamed("after").empty());
  CHECK(h.Value({{"__name__", "up"}}) == 0);
  // The previously scraped series is marked stale by the failed scrape.
  CHECK(model::IsStaleNaN(h.Value({{"__name__", "good"}})));
  auto status = h.loop->target()->Status();
  CHECK(status.health == TargetHealth::kDown);
  CHECK(!status.last_error.empty());

  SECTION("binary garbage never crashes") {
    std::string garbage;
    for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 7919) % 256));
    h.ep.Set(garbage);
    CHECK(!h.loop->ScrapeOnce(kT0 + absl::Seconds(20)).ok());
    h.ep.Set("x{a=\"unterminated} 1\n");
    CHECK(!h.loop->ScrapeOnce(kT0 + absl::Seconds(30)).ok());
    h.ep.Set("good 3\n");
    CHECK(h.loop->ScrapeOnce(kT0 + absl::Seconds(40)).ok());
    CHECK(h.Value({{"__name__", "good"}}) == 3);
  }
}

TEST_CASE("HTTP failures: status, body size limit, unreachable", "[scrape][loop][unit]") {
  Harness h;
  SECTION("HTTP 500") {
    h.ep.Set("x 1\n", 500);
    h.Build();
    absl::Status st = h.loop->ScrapeOnce(kT0);
    CHECK(st.message() == "server returned HTTP status 500 Internal Server Error");
    CHECK(h.Value({{"__name__", "up"}}) == 0);
    CHECK(h.store.SamplesNamed("x").empty());
  }
  SECTION("body_size_limit") {
    h.sc.body_size_limit = 100;
    h.ep.Set(std::string(50, '#') + "\n" + std::string(100, '#') + "\n");
    h.Build();
    absl::Status st = h.loop->ScrapeOnce(kT0);
    CHECK(absl::IsResourceExhausted(st));
    CHECK(h.stats.body_size_limit_exceeded == 1);
  }
  SECTION("gzip") {
    h.Build();
    {
      std::lock_guard<std::mutex> lock(h.ep.mu);
      h.ep.response.body = "zipped 7\n";
      h.ep.response.gzip = true;
    }
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    CHECK(h.Value({{"__name__", "zipped"}}) == 7);
  }
}

TEST_CASE("Series that disappear get staleness markers", "[scrape][loop][unit]") {
  Harness h;
  h.ep.Set("a 1\nb 1\nts_explicit 1 1000\n");
  h.Build();
  REQUIRE(h.loop->ScrapeOnce(kT0).ok());
  h.ep.Set("a 2\n");
  REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(10)).ok());
  auto b = h.store.Latest(h.L({{"__name__", "b"}}));
  REQUIRE(b.has_value());
  CHECK(model::IsStaleNaN(b->v));
  CHECK(b->t == absl::ToUnixMillis(kT0 + absl::Seconds(10)));
  CHECK(h.Value({{"__name__", "a"}}) == 2);
  // Samples with explicit timestamps are not tracked for staleness.
  CHECK(h.Value({{"__name__", "ts_explicit"}}) == 1);
  CHECK(h.store.Latest(h.L({{"__name__", "ts_explicit"}}))->t == 1000);
  // A reappearing series is stored normally again.
  h.ep.Set("a 3\nb 3\n");
  REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(20)).ok());
  CHECK(h.Value({{"__name__", "b"}}) == 3);

  SECTION("end of run marks everything stale, report series included") {
    h.loop->WriteEndOfRunStaleness(kT0 + absl::Seconds(25));
    CHECK(model::IsStaleNaN(h.Value({{"__name__", "a"}})));
    CHECK(model::IsStaleNaN(h.Value({{"__name__", "b"}})));
    CHECK(model::IsStaleNaN(h.Value({{"__name__", "up"}})));
    CHECK(model::IsStaleNaN(h.Value({{"__name__", "scrape_series_added"}})));
  }
}

TEST_CASE("The cache keeps no labels: they are re-derived when the storage forgets a ref", "[scrape][loop][unit]") {
  Harness h;
  // Escapes and a target-label conflict, so re-deriving runs the whole path.
  const std::string body = "m{path=\"a\\\"b\",job=\"inner\"} 1\nother 1\n";
  const std::vector<std::pair<std::string_view, std::string_view>> m = {
      {"__name__", "m"}, {"path", "a\"b"}, {"exported_job", "inner"}};
  auto m_labels = [&] {
    model::LabelsBuilder b(h.L({}));
    for (const auto& [k, v] : m) b.Set(k, v);
    return b.Build();
  };
  h.ep.Set(body);
  SECTION("a forgotten ref gets the same labels back, for samples and staleness") {
    h.Build();
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    REQUIRE(h.store.Latest(m_labels()).has_value());
    h.store.ForgetRefs();
    h.ep.Set("other 2\n");
    REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(10)).ok());
    auto stale = h.store.Latest(m_labels());
    REQUIRE(stale.has_value());
    CHECK(model::IsStaleNaN(stale->v));
    CHECK(h.Value({{"__name__", "other"}}) == 2);
    h.store.ForgetRefs();
    h.ep.Set(body);
    REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(20)).ok());
    CHECK(h.store.Latest(m_labels())->v == 1);
  }
  SECTION("a storage without AppendByRef gets labels every time") {
    h.store.SetAppendByRef(false);
    h.Build();
    for (int i = 0; i < 3; ++i) REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(10 * i)).ok());
    CHECK(h.store.SamplesNamed("m").size() == 3);
    CHECK(h.store.Latest(m_labels())->t == absl::ToUnixMillis(kT0 + absl::Seconds(20)));
  }
  SECTION("OpenMetrics keys are re-parsed as OpenMetrics") {
    h.store.SetAppendByRef(false);
    h.Build();
    for (int i = 0; i < 2; ++i) {
      {
        std::lock_guard<std::mutex> lock(h.ep.mu);
        h.ep.response = TestHttpServer::Response();
        h.ep.response.content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
        h.ep.response.body = "# TYPE om counter\nom_total{a=\"x\\ny\"} 4\n# EOF\n";
      }
      REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(10 * i)).ok());
    }
    CHECK(h.store.SamplesNamed("om_total").size() == 2);
    CHECK(h.Value({{"__name__", "om_total"}, {"a", "x\ny"}}) == 4);
  }
}

TEST_CASE("honor_labels and exported_ prefixes", "[scrape][loop][unit]") {
  Harness h;
  h.ep.Set("m{job=\"inner\",instance=\"i\",exported_job=\"taken\"} 1\n");
  SECTION("conflicts are renamed") {
    h.Build();
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    auto s = h.store.LatestMatching(model::Labels::FromPairs({{"__name__", "m"}}));
    REQUIRE(s.has_value());
    CHECK(s->labels.Get("job") == "job");
    CHECK(s->labels.Get("instance") == h.ep.server->address());
    CHECK(s->labels.Get("exported_instance") == "i");
    CHECK(s->labels.Get("exported_job") == "taken");
    CHECK(s->labels.Get("exported_exported_job") == "inner");
  }
  SECTION("honor_labels keeps scraped values") {
    h.sc.honor_labels = true;
    h.Build(model::Labels::FromPairs({{"extra", "e"}}));
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    auto s = h.store.LatestMatching(model::Labels::FromPairs({{"__name__", "m"}}));
    REQUIRE(s.has_value());
    CHECK(s->labels.Get("job") == "inner");
    CHECK(s->labels.Get("instance") == "i");
    CHECK(s->labels.Get("extra") == "e");
  }
}

TEST_CASE("honor_timestamps false uses the scrape time", "[scrape][loop][unit]") {
  Harness h;
  h.sc.honor_timestamps = false;
  h.ep.Set("a 1 1000\n");
  h.Build();
  REQUIRE(h.loop->ScrapeOnce(kT0).ok());
  CHECK(h.store.Latest(h.L({{"__name__", "a"}}))->t == absl::ToUnixMillis(kT0));
}

TEST_CASE("metric_relabel_configs drop and rewrite, cached", "[scrape][loop][unit]") {
  Harness h;
  relabel::RelabelConfig drop;
  drop.action = relabel::Action::kDrop;
  drop.source_labels = {"__name__"};
  REQUIRE(drop.SetRegex("go_.*").ok());
  relabel::RelabelConfig rename;
  rename.source_labels = {"__name__"};
  REQUIRE(rename.SetRegex("http_(.*)").ok());
  rename.target_label = "__name__";
  rename.replacement = "web_$1";
  h.sc.metric_relabel_configs = {drop, rename};
  h.ep.Set("go_goroutines 10\nhttp_requests_total 3\n");
  h.Build();
  REQUIRE(h.loop->ScrapeOnce(kT0).ok());
  REQUIRE(h.loop->ScrapeOnce(kT0 + absl::Seconds(10)).ok());
  CHECK(h.store.SamplesNamed("go_goroutines").empty());
  CHECK(h.store.SamplesNamed("web_requests_total").size() == 2);
  CHECK(h.Value({{"__name__", "scrape_samples_scraped"}}) == 2);
  CHECK(h.Value({{"__name__", "scrape_samples_post_metric_relabeling"}}) == 1);
  CHECK(h.loop->cache_size() == 2);  // one kept, one dropped entry
}

TEST_CASE("Label limits fail the scrape and store nothing", "[scrape][loop][unit]") {
  Harness h;
  const std::string big(10 * 1024 * 1024, 'v');  // a 10 MB label value
  h.ep.Set(absl::StrCat("small 1\nbig{v=\"", big, "\"} 1\n"));
  SECTION("value length limit") {
    h.sc.label_value_length_limit = 1024;
    h.Build();
    absl::Status st = h.loop->ScrapeOnce(kT0);
    CHECK(st.message().find("label_value_length_limit exceeded") == 0);
    CHECK(h.store.SamplesNamed("small").empty());
    CHECK(h.store.SamplesNamed("big").empty());
    CHECK(h.Value({{"__name__", "up"}}) == 0);
  }
  SECTION("without limits the 10 MB value is stored intact") {
    h.Build();
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    auto s = h.store.SamplesNamed("big");
    REQUIRE(s.size() == 1);
    CHECK(s[0].labels.Get("v").size() == big.size());
  }
  SECTION("label count and name length") {
    h.ep.Set("m{a=\"1\",b=\"2\",c=\"3\"} 1\n");
    h.sc.label_limit = 4;  // __name__, a, b, c, instance, job = 6
    h.Build();
    CHECK(h.loop->ScrapeOnce(kT0).message().find("label_limit exceeded") == 0);
    CHECK(h.stats.label_limit_exceeded == 1);
  }
}

TEST_CASE("sample_limit exceeded by a million series", "[scrape][loop][unit][slow]") {
  Harness h;
  h.sc.sample_limit = 1000;
  h.Build();
  // Stream the million lines in chunks rather than building them per request.
  constexpr int kSeries = 1000000;
  {
    std::lock_guard<std::mutex> lock(h.ep.mu);
    h.ep.response = TestHttpServer::Response();
    auto next = std::make_shared<int>(0);
    h.ep.response.stream = [next](std::string* chunk) {
      for (int i = 0; i < 20000 && *next < kSeries; ++i, ++*next) {
        absl::StrAppend(chunk, "series_", *next, "{shard=\"", *next % 16, "\"} ", *next, "\n");
      }
      return *next < kSeries;
    };
  }
  absl::Status st = h.loop->ScrapeOnce(kT0);
  CHECK(st.message() == "sample limit exceeded");
  CHECK(h.store.SamplesNamed("series_0").empty());
  CHECK(h.Value({{"__name__", "up"}}) == 0);
  CHECK(h.Value({{"__name__", "scrape_samples_scraped"}}) == kSeries);
  CHECK(h.stats.sample_limit_exceeded == 1);
  // Only report series were committed.
  for (const auto& s : h.store.Samples()) {
    CHECK(s.labels.MetricName().rfind("series_", 0) != 0);
  }
}

TEST_CASE("Forced error (target_limit) fails without contacting the target", "[scrape][loop][unit]") {
  Harness h;
  h.ep.Set("a 1\n");
  h.Build();
  h.loop->SetForcedError(absl::ResourceExhaustedError("target_limit exceeded"));
  CHECK(!h.loop->ScrapeOnce(kT0).ok());
  CHECK(h.ep.server->requests() == 0);
  h.loop->SetForcedError(absl::OkStatus());
  CHECK(h.loop->ScrapeOnce(kT0 + absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace omni::scrape

namespace omni::scrape {
namespace {

TEST_CASE("Auth headers, params and OpenMetrics payloads", "[scrape][loop][unit]") {
  Harness h;
  SECTION("basic auth") {
    h.sc.http_client.basic_auth = config::BasicAuth{"user", "", "pass", ""};
    h.ep.Set("a 1\n");
    h.Build();
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    std::lock_guard<std::mutex> lock(h.ep.mu);
    CHECK(h.ep.last_request.headers["authorization"] == "Basic dXNlcjpwYXNz");
  }
  SECTION("bearer token and params") {
    h.sc.http_client.authorization = config::Authorization{"Bearer", "s3cret", ""};
    h.sc.params["module"] = {"http_2xx"};
    h.ep.Set("a 1\n");
    h.Build();
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    std::lock_guard<std::mutex> lock(h.ep.mu);
    CHECK(h.ep.last_request.headers["authorization"] == "Bearer s3cret");
    CHECK(h.ep.last_request.query == "module=http_2xx");
  }
  SECTION("tls_config.server_name routes to the target address and keeps its Host") {
    h.sc.http_client.tls_config.server_name = "metrics.example.invalid";
    h.ep.Set("a 1\n");
    h.Build();
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    std::lock_guard<std::mutex> lock(h.ep.mu);
    CHECK(h.ep.last_request.headers["host"] == h.ep.server->address());
  }
  SECTION("OpenMetrics content type") {
    h.Build();
    {
      std::lock_guard<std::mutex> lock(h.ep.mu);
      h.ep.response = TestHttpServer::Response();
      h.ep.response.content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
      h.ep.response.body = "# TYPE om counter\nom_total 4\n# EOF\n";
    }
    REQUIRE(h.loop->ScrapeOnce(kT0).ok());
    CHECK(h.Value({{"__name__", "om_total"}}) == 4);
  }
}

}  // namespace
}  // namespace omni::scrape
