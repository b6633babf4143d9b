#include "libs/promapi/promapi.h"

#include <catch2/catch.hpp>

#include "libs/httpapi/request.h"
#include "libs/httpapi/response.h"
#include "libs/promql/testing/mem_storage.h"

namespace omni::promapi {
namespace {

using model::Labels;

struct Fixture {
  promql::testing::MemStorage storage;
  httpapi::Router router;
  std::unique_ptr<PromApi> api;

  Fixture() {
    for (int i = 0; i <= 10; ++i) {
      storage.Add(Labels::FromPairs({{"__name__", "up"}, {"job", "a"}}), i * 15000, 1);
      storage.Add(Labels::FromPairs({{"__name__", "up"}, {"job", "b"}}), i * 15000, 0);
      storage.Add(Labels::FromPairs({{"__name__", "req_total"}, {"job", "a"}}), i * 15000, i * 30.0);
    }
    PromApiOptions opts;
    opts.now_ms = [] { return 150000; };
    api = std::make_unique<PromApi>(&storage, opts);
    api->Register(router);
  }

  std::pair<int, std::string> Call(const std::string& method, const std::string& target,
                                   const std::string& body = "") {
    httpapi::HeaderList headers;
    if (!body.empty()) headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    httpapi::Request req = httpapi::Request::Make(method, target, body, headers);
    httpapi::Response resp;
    router.Dispatch(req, resp);
    return {resp.status(), resp.body()};
  }
};

TEST_CASE("instant query returns Prometheus's vector JSON", "[promapi]") {
  Fixture f;
  auto [code, body] = f.Call("GET", "/api/v1/query?query=up&time=150");
  REQUIRE(code == 200);
  REQUIRE(body ==
          R"({"status":"success","data":{"resultType":"vector","result":[)"
          R"({"metric":{"__name__":"up","job":"a"},"value":[150,"1"]},)"
          R"({"metric":{"__name__":"up","job":"b"},"value":[150,"0"]}]}})");
}

TEST_CASE("scalar and POST form queries", "[promapi]") {
  Fixture f;
  auto [code, body] = f.Call("POST", "/api/v1/query", "query=1%2B1&time=10.5");
  REQUIRE(code == 200);
  REQUIRE(body == R"({"status":"success","data":{"resultType":"scalar","result":[10.5,"2"]}})");
}

TEST_CASE("range query returns a matrix", "[promapi]") {
  Fixture f;
  auto [code, body] =
      f.Call("GET", "/api/v1/query_range?query=rate(req_total%5B1m%5D)&start=60&end=90&step=15");
  REQUIRE(code == 200);
  REQUIRE(body ==
          R"({"status":"success","data":{"resultType":"matrix","result":[)"
          R"({"metric":{"job":"a"},"values":[[60,"2"],[75,"2"],[90,"2"]]}]}})");
}

TEST_CASE("errors carry Prometheus's type, code and message", "[promapi]") {
  Fixture f;
  auto [code, body] = f.Call("GET", "/api/v1/query?query=sum(");
  REQUIRE(code == 400);
  REQUIRE(body.find(R"("errorType":"bad_data")") != std::string::npos);
  REQUIRE(body.find(R"(invalid parameter \"query\": 1:5: parse error)") != std::string::npos);

  std::tie(code, body) = f.Call("GET", "/api/v1/query_range?query=up&start=10&end=5&step=1");
  REQUIRE(code == 400);
  REQUIRE(body.find(R"(invalid parameter \"end\": end timestamp must not be before start time)") != std::string::npos);

  // A range query's parse errors carry no parameter name (Prometheus 2.42).
  std::tie(code, body) = f.Call("GET", "/api/v1/query_range?query=sum(&start=1&end=2&step=1");
  REQUIRE(code == 400);
  REQUIRE(body == R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"})");

  std::tie(code, body) = f.Call("GET", "/api/v1/query_range?query=up&start=0&end=100000&step=1");
  REQUIRE(code == 400);
  REQUIRE(body.find("exceeded maximum resolution of 11,000 points") != std::string::npos);

  std::tie(code, body) = f.Call("GET", "/api/v1/query?query=up&time=yesterday");
  REQUIRE(code == 400);
  REQUIRE(body.find(R"(invalid parameter \"time\": Invalid time value for 'time': cannot parse \"yesterday\" to a valid timestamp)") !=
          std::string::npos);

  std::tie(code, body) = f.Call("GET", "/api/v1/series");
  REQUIRE(code == 400);
  REQUIRE(body.find("no match[] parameter provided") != std::string::npos);

  std::tie(code, body) = f.Call("GET", "/api/v1/label/1bad/values");
  REQUIRE(code == 400);
  REQUIRE(body.find(R"(invalid label name: \"1bad\")") != std::string::npos);
}

TEST_CASE("series, labels and label values", "[promapi]") {
  Fixture f;
  auto [code, body] = f.Call("GET", "/api/v1/series?match%5B%5D=up%7Bjob%3D%22a%22%7D");
  REQUIRE(code == 200);
  REQUIRE(body == R"({"status":"success","data":[{"__name__":"up","job":"a"}]})");
  std::tie(code, body) = f.Call("GET", "/api/v1/labels");
  REQUIRE(body == R"({"status":"success","data":["__name__","job"]})");
  std::tie(code, body) = f.Call("GET", "/api/v1/label/__name__/values");
  REQUIRE(body == R"({"status":"success","data":["req_total","up"]})");
  std::tie(code, body) = f.Call("GET", "/api/v1/label/job/values?match%5B%5D=req_total");
  REQUIRE(body == R"({"status":"success","data":["a"]})");
}

TEST_CASE("API time and duration parameters", "[promapi]") {
  REQUIRE(ParseApiTime("1700000000.123").value() == 1700000000123);
  REQUIRE(ParseApiTime("2023-11-14T22:13:20Z").value() == 1700000000000);
  REQUIRE(ParseApiTime("2023-11-14T22:13:20.5+01:00").value() == 1699996400500);
  REQUIRE_FALSE(ParseApiTime("now").ok());
  REQUIRE(ParseApiDuration("15").value() == 15000);
  REQUIRE(ParseApiDuration("1m30s").value() == 90000);
  REQUIRE(ParseApiDuration("0.5").value() == 500);
  REQUIRE_FALSE(ParseApiDuration("fast").ok());
}

TEST_CASE("format_query pretty-prints", "[promapi]") {
  Fixture f;
  auto [code, body] = f.Call("GET", "/api/v1/format_query?query=sum(up)by(job)");
  REQUIRE(code == 200);
  REQUIRE(body == R"json({"status":"success","data":"sum by (job) (up)"})json");
}

}  // namespace
}  // namespace omni::promapi
