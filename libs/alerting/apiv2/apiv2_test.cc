#include "libs/alerting/apiv2/apiv2.h"

#include <catch2/catch.hpp>

#include "libs/httpapi/response.h"
#include "libs/json/json_value.h"

namespace omni::alerting::apiv2 {
namespace {

struct Fixture {
  common::FakeClock clock{absl::FromUnixSeconds(1700000000)};
  Marker marker;
  std::unique_ptr<Silences> silences;
  std::vector<Alert> stored;
  ConfigSnapshot cs;
  httpapi::Router router;
  std::unique_ptr<Api> api;
  Fixture() {
    Silences::Options so;
    so.clock = &clock;
    silences = *Silences::Open(so);
    auto cfg = config::LoadConfig("route:\n  receiver: web\nreceivers:\n- name: web\n");
    REQUIRE(cfg.ok());
    cs.route = std::shared_ptr<const Route>(*Route::Build(*(*cfg)->route));
    cs.config = std::move(*cfg);
    Deps d;
    d.silences = silences.get();
    d.marker = &marker;
    d.clock = &clock;
    d.put_alerts = [this](std::vector<Alert> as) {
      for (auto& a : as) stored.push_back(a);
    };
    d.alerts = [this] { return stored; };
    d.groups = [] { return std::vector<AlertGroupSnapshot>(); };
    d.config = [this] { return cs; };
    d.start_time = clock.Now();
    api = std::make_unique<Api>(d);
    api->Register(router);
  }
  std::pair<int, std::string> Do(const std::string& method, const std::string& path, const std::string& query = "",
                                 const std::string& body = "") {
    httpapi::Request req;
    req.set_method(method);
    req.set_path(path);
    req.set_raw_query(query);
    req.set_body(body);
    req.ParseForm();
    httpapi::Response resp;
    router.Dispatch(req, resp);
    return {resp.status(), resp.body()};
  }
};

TEST_CASE("POST /api/v2/alerts validates like AM and stores valid alerts", "[apiv2]") {
  Fixture f;
  auto [code, body] = f.Do("POST", "/api/v2/alerts", "", R"([{"labels":{"alertname":"x","e":""}}])");
  CHECK(code == 200);
  REQUIRE(f.stored.size() == 1);
  CHECK(f.stored[0].labels.size() == 1);  // empty label dropped
  CHECK(f.stored[0].ends_at == f.clock.Now() + absl::Minutes(5));
  auto [c2, b2] = f.Do("POST", "/api/v2/alerts", "", R"([{"labels":{"a-b":"x"}},{"labels":{}}])");
  CHECK(c2 == 400);
  CHECK(b2 == "\"invalid label set: invalid name \\\"a-b\\\"; at least one label pair required\"\n");
  auto [c3, b3] = f.Do("POST", "/api/v2/alerts", "", "garbage");
  CHECK(c3 == 400);
  CHECK(b3.find("\"code\":400") != std::string::npos);
}

TEST_CASE("POST and GET /api/v2/alerts keep empty annotation values, drop empty labels", "[apiv2]") {
  Fixture f;
  auto [code, body] = f.Do("POST", "/api/v2/alerts", "",
                           R"([{"labels":{"alertname":"x","e":""},"annotations":{"summary":"s","runbook":""}}])");
  CHECK(code == 200);
  REQUIRE(f.stored.size() == 1);
  CHECK(f.stored[0].annotations == Annotations::FromPairs({{"runbook", ""}, {"summary", "s"}}));
  CHECK_FALSE(f.stored[0].labels.Has("e"));
  auto [c2, b2] = f.Do("GET", "/api/v2/alerts");
  CHECK(c2 == 200);
  auto v = json::Parse(b2);
  REQUIRE(v.ok());
  REQUIRE(v->AsArray().size() == 1);
  const json::JsonValue* ann = v->AsArray()[0].Find("annotations");
  REQUIRE(ann != nullptr);
  REQUIRE(ann->Find("runbook") != nullptr);
  CHECK(ann->GetString("runbook").empty());
  CHECK(ann->GetString("summary") == "s");
  CHECK(v->AsArray()[0].Find("labels")->Find("e") == nullptr);
  // An invalid annotation name rejects the alert, empty value or not.
  auto [c3, b3] = f.Do("POST", "/api/v2/alerts", "", R"([{"labels":{"alertname":"y"},"annotations":{"a-b":""}}])");
  CHECK(c3 == 400);
  CHECK(b3 == "\"invalid annotations: invalid name \\\"a-b\\\"\"\n");
  CHECK(f.stored.size() == 1);
}

TEST_CASE("GET /api/v2/alerts renders gettable alerts with filters", "[apiv2]") {
  Fixture f;
  f.Do("POST", "/api/v2/alerts", "", R"([{"labels":{"alertname":"x"}},{"labels":{"alertname":"y"}}])");
  f.marker.SetActive(f.stored[0].GetFingerprint());
  auto [code, body] = f.Do("GET", "/api/v2/alerts");
  CHECK(code == 200);
  auto v = json::Parse(body);
  REQUIRE(v.ok());
  REQUIRE(v->AsArray().size() == 2);
  auto [c2, b2] = f.Do("GET", "/api/v2/alerts", "filter=alertname%3D%22x%22");
  auto v2 = json::Parse(b2);
  REQUIRE(v2->AsArray().size() == 1);
  const auto& a = v2->AsArray()[0];
  CHECK(a.Find("status")->GetString("state") == "active");
  CHECK(a.Find("receivers")->AsArray()[0].GetString("name") == "web");
  CHECK(a.GetString("startsAt") == "2023-11-14T22:13:20.000Z");
  auto [c3, b3] = f.Do("GET", "/api/v2/alerts", "active=false");
  CHECK(json::Parse(b3)->AsArray().size() == 1);  // only the unprocessed one
  auto [c4, b4] = f.Do("GET", "/api/v2/alerts", "receiver=nope");
  CHECK(json::Parse(b4)->AsArray().empty());
}

TEST_CASE("silences API: create, get, list, expire", "[apiv2]") {
  Fixture f;
  auto [code, body] = f.Do("POST", "/api/v2/silences", "",
                           R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2023-11-14T22:00:00Z",
                               "endsAt":"2023-11-15T00:00:00Z","createdBy":"me","comment":"c"})");
  REQUIRE(code == 200);
  std::string id = json::Parse(body)->GetString("silenceID");
  CHECK(!id.empty());
  auto [c2, b2] = f.Do("GET", "/api/v2/silence/" + id);
  CHECK(c2 == 200);
  auto s = json::Parse(b2);
  CHECK(s->Find("status")->GetString("state") == "active");
  CHECK(s->Find("matchers")->AsArray()[0].Find("isEqual")->AsBool());
  CHECK(f.Do("GET", "/api/v2/silence/nope").first == 404);
  CHECK(json::Parse(f.Do("GET", "/api/v2/silences", "filter=a%3D%22b%22").second)->AsArray().size() == 1);
  CHECK(json::Parse(f.Do("GET", "/api/v2/silences", "filter=a%3D%22c%22").second)->AsArray().empty());
  CHECK(f.Do("DELETE", "/api/v2/silence/" + id).first == 200);
  CHECK(json::Parse(f.Do("GET", "/api/v2/silence/" + id).second)->Find("status")->GetString("state") == "expired");
  auto [c3, b3] = f.Do("POST", "/api/v2/silences", "",
                       R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2023-11-14T22:00:00Z",
                           "endsAt":"2023-11-14T21:00:00Z","createdBy":"me","comment":"c"})");
  CHECK(c3 == 400);
  CHECK(b3.find("start time must be before end time") != std::string::npos);
}

TEST_CASE("status and receivers", "[apiv2]") {
  Fixture f;
  auto v = json::Parse(f.Do("GET", "/api/v2/status").second);
  REQUIRE(v.ok());
  CHECK(v->Find("cluster")->GetString("status") == "disabled");
  CHECK(v->Find("config")->GetString("original").find("receiver: web") != std::string::npos);
  CHECK(f.Do("GET", "/api/v2/receivers").second == "[{\"name\":\"web\"}]\n");
  CHECK(f.Do("POST", "/api/v1/alerts", "", R"([{"labels":{"alertname":"y"}}])").second == "{\"status\":\"success\"}");
}

}  // namespace
}  // namespace omni::alerting::apiv2
