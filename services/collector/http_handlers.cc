#include "services/collector/http_handlers.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/support/status.h"
#include "libs/common/absl_compat.h"
#include "libs/common/go_time.h"
#include "libs/httpapi/api.h"
#include "libs/json/json_writer.h"
#include "libs/rpc/convert.h"
#include "services/collector/collector.h"

namespace omni::collector {
namespace {

using httpapi::ErrorType;
using httpapi::Request;
using httpapi::Response;
using httpapi::WriteApiError;
using httpapi::WriteApiSuccess;

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfinitePast()) return "0001-01-01T00:00:00Z";
  return common::FormatRfc3339Nano(t);
}

void WriteNameCounts(json::JsonWriter& w, std::string_view key, const std::vector<tsdb::NameCount>& v) {
  w.Key(key);
  w.BeginArray();
  for (const auto& nc : v) {
    w.BeginObject();
    w.KeyString("name", nc.name);
    w.KeyInt("value", nc.count);
    w.EndObject();
  }
  w.EndArray();
}

// Admin endpoints answer 503 unless --web.enable-admin-api, as Prometheus.
bool AdminEnabled(const HandlerContext& ctx, Response& resp) {
  if (ctx.options->enable_admin_api) return true;
  WriteApiError(resp, ErrorType::kUnavailable, "admin APIs disabled");
  return false;
}

}  // namespace

void RegisterCollectorHandlers(httpapi::Router& router, HandlerContext ctx) {
  router.Handle({"GET", "HEAD"}, "/-/healthy", [](Request&, Response& resp) {
    resp.Send(200, "text/plain; charset=utf-8", "OmniScope Collector is Healthy.\n");
  });
  router.Handle({"GET", "HEAD"}, "/-/ready", [ctx](Request&, Response& resp) {
    if (ctx.ready->load()) {
      resp.Send(200, "text/plain; charset=utf-8", "OmniScope Collector is Ready.\n");
    } else {
      resp.Send(503, "text/plain; charset=utf-8", "Service Unavailable\n");
    }
  });
  router.Handle({"POST", "PUT"}, "/-/reload", [ctx](Request&, Response& resp) {
    if (!ctx.options->enable_lifecycle) {
      return resp.Send(403, "text/plain; charset=utf-8", "Lifecycle API is not enabled.\n");
    }
    absl::Status st = ctx.reload();
    if (!st.ok()) {
      return resp.Send(500, "text/plain; charset=utf-8",
                       absl::StrCat("failed to reload config: ", common::AbslViewOf(st), "\n"));
    }
    resp.Send(200, "text/plain; charset=utf-8", "");
  });
  router.Handle({"POST", "PUT"}, "/-/quit", [ctx](Request&, Response& resp) {
    if (!ctx.options->enable_lifecycle) {
      return resp.Send(403, "text/plain; charset=utf-8", "Lifecycle API is not enabled.\n");
    }
    resp.Send(200, "text/plain; charset=utf-8", "Requesting termination... Goodbye!\n");
    ctx.quit();
  });
  router.Get("/metrics", [ctx](Request&, Response& resp) {
    resp.Send(200, selfmetrics::kTextContentType, ctx.metrics->ExpositionText());
  });
  router.Get("/", [](Request&, Response& resp) {
    resp.Send(200, "text/html; charset=utf-8",
              "<!doctype html><title>OmniScope Collector</title><h1>OmniScope Collector</h1><ul>"
              "<li><a href=\"/api/v1/targets\">/api/v1/targets</a></li>"
              "<li><a href=\"/api/v1/status/tsdb\">/api/v1/status/tsdb</a></li>"
              "<li><a href=\"/api/v1/status/config\">/api/v1/status/config</a></li>"
              "<li><a href=\"/api/v1/status/flags\">/api/v1/status/flags</a></li>"
              "<li><a href=\"/metrics\">/metrics</a></li></ul>"
              "<p>Query with the Prometheus HTTP API (/api/v1/query) or the OmniScope viewer.</p>");
  });

  router.Get("/api/v1/targets", [ctx](Request& req, Response& resp) {
    std::string state = req.FormValue("state");
    if (state.empty()) state = "any";
    std::string pool_filter = req.FormValue("scrapePool");
    bool active = state == "any" || state == "active";
    bool dropped = state == "any" || state == "dropped";
    auto active_targets = active ? ctx.scrape->ActiveTargets() : decltype(ctx.scrape->ActiveTargets()){};
    auto dropped_targets = dropped ? ctx.scrape->DroppedTargets() : decltype(ctx.scrape->DroppedTargets()){};
    WriteApiSuccess(resp, [&](json::JsonWriter& w) {
      w.BeginObject();
      w.Key("activeTargets");
      w.BeginArray();
      for (const auto& [pool, targets] : active_targets) {
        if (!pool_filter.empty() && pool != pool_filter) continue;
        for (const auto& t : targets) {
          w.BeginObject();
          w.Key("discoveredLabels");
          promapi::WriteLabels(w, t.discovered_labels);
          w.Key("labels");
          promapi::WriteLabels(w, t.labels);
          w.KeyString("scrapePool", t.scrape_pool);
          w.KeyString("scrapeUrl", t.scrape_url);
          w.KeyString("globalUrl", t.global_url);
          w.KeyString("lastError", t.last_error);
          w.KeyString("lastScrape", Rfc3339(t.last_scrape));
          w.Key("lastScrapeDuration");
          w.Double(absl::ToDoubleSeconds(t.last_scrape_duration));
          w.KeyString("health", scrape::TargetHealthName(t.health));
          w.KeyString("scrapeInterval", config::FormatDuration(t.scrape_interval));
          w.KeyString("scrapeTimeout", config::FormatDuration(t.scrape_timeout));
          w.EndObject();
        }
      }
      w.EndArray();
      w.Key("droppedTargets");
      w.BeginArray();
      for (const auto& [pool, targets] : dropped_targets) {
        if (!pool_filter.empty() && pool != pool_filter) continue;
        for (const auto& l : targets) {
          w.BeginObject();
          w.Key("discoveredLabels");
          promapi::WriteLabels(w, l);
          w.EndObject();
        }
      }
      w.EndArray();
      w.EndObject();
    });
  });

  router.Get("/api/v1/status/config", [ctx](Request&, Response& resp) {
    auto cfg = ctx.config();
    WriteApiSuccess(resp, [&](json::JsonWriter& w) {
      w.BeginObject();
      w.KeyString("yaml", config::RedactedYaml(*cfg));
      w.EndObject();
    });
  });
  router.Get("/api/v1/status/flags", [ctx](Request&, Response& resp) {
    WriteApiSuccess(resp, [&](json::JsonWriter& w) {
      w.BeginObject();
      for (const auto& [k, v] : ctx.options->flag_values) w.KeyString(k, v);
      w.EndObject();
    });
  });
  router.Get("/api/v1/status/runtimeinfo", [ctx](Request&, Response& resp) {
    std::error_code ec;
    std::string cwd = std::filesystem::current_path(ec).string();
    WriteApiSuccess(resp, [&](json::JsonWriter& w) {
      w.BeginObject();
      w.KeyString("startTime", Rfc3339(ctx.start_time));
      w.KeyString("CWD", cwd);
      w.KeyBool("reloadConfigSuccess", ctx.last_reload_ok());
      w.KeyString("lastConfigTime", Rfc3339(absl::Now()));
      w.KeyInt("corruptionCount", 0);
      w.KeyInt("goroutineCount", static_cast<int64_t>(std::filesystem::is_directory("/proc/self/task", ec)
                                     ? std::distance(std::filesystem::directory_iterator("/proc/self/task", ec),
                                                     std::filesystem::directory_iterator())
                                     : 0));
      w.KeyInt("GOMAXPROCS", static_cast<int64_t>(std::thread::hardware_concurrency()));
      w.KeyString("GOGC", "");
      w.KeyString("GODEBUG", "");
      w.KeyString("storageRetention", config::FormatDuration(ctx.options->retention_time));
      w.EndObject();
    });
  });
  router.Get("/api/v1/status/tsdb", [ctx](Request& req, Response& resp) {
    int64_t limit = 10;
    if (req.HasFormValue("limit")) {
      if (!absl::SimpleAtoi(req.FormValue("limit"), &limit) || limit <= 0) {
        return WriteApiError(resp, ErrorType::kBadData, "limit must be a positive number");
      }
    }
    auto sets = promapi::ParseMatchSets(req);
    if (!sets.ok()) {
      return WriteApiError(resp, ErrorType::kBadData,
                           absl::StrCat("invalid parameter \"match[]\": ", common::AbslViewOf(sets.status())));
    }
    tsdb::CardinalityStats stats = ctx.db->Stats(static_cast<int>(limit), *sets);
    tsdb::TsdbCounters counters = ctx.db->Counters();
    WriteApiSuccess(resp, [&](json::JsonWriter& w) {
      w.BeginObject();
      w.Key("headStats");
      w.BeginObject();
      w.KeyInt("numSeries", stats.head.num_series);
      w.KeyInt("numLabelPairs", stats.num_label_pairs);
      w.KeyInt("chunkCount", counters.head_chunks);
      w.KeyInt("minTime", stats.head.min_time);
      w.KeyInt("maxTime", stats.head.max_time);
      w.EndObject();
      WriteNameCounts(w, "seriesCountByMetricName", stats.series_count_by_metric_name);
      WriteNameCounts(w, "labelValueCountByLabelName", stats.label_value_count_by_label_name);
      WriteNameCounts(w, "memoryInBytesByLabelName", stats.memory_in_bytes_by_label_name);
      WriteNameCounts(w, "seriesCountByLabelValuePair", stats.series_count_by_label_value_pair);
      w.EndObject();
    });
  });
  // Rules and alerts are evaluated by the alerter; the collector has none.
  router.Get("/api/v1/rules", [](Request&, Response& resp) {
    WriteApiSuccess(resp, [](json::JsonWriter& w) {
      w.BeginObject();
      w.Key("groups");
      w.BeginArray();
      w.EndArray();
      w.EndObject();
    });
  });
  router.Get("/api/v1/alerts", [](Request&, Response& resp) {
    WriteApiSuccess(resp, [](json::JsonWriter& w) {
      w.BeginObject();
      w.Key("alerts");
      w.BeginArray();
      w.EndArray();
      w.EndObject();
    });
  });

  router.Handle({"POST", "PUT"}, "/api/v1/admin/tsdb/snapshot", [ctx](Request& req, Response& resp) {
    if (!AdminEnabled(ctx, resp)) return;
    bool skip_head = req.FormValue("skip_head") == "true";
    auto name = ctx.snapshot(skip_head);
    if (!name.ok()) {
      return WriteApiError(resp, ErrorType::kInternal,
                           absl::StrCat("create snapshot: ", common::AbslViewOf(name.status())));
    }
    WriteApiSuccess(resp, [&](json::JsonWriter& w) {
      w.BeginObject();
      w.KeyString("name", *name);
      w.EndObject();
    });
  });
  router.Handle({"POST", "PUT"}, "/api/v1/admin/tsdb/delete_series", [ctx](Request& req, Response& resp) {
    if (!AdminEnabled(ctx, resp)) return;
    if (req.FormValues("match[]").empty()) {
      return WriteApiError(resp, ErrorType::kBadData, "no match[] parameter provided");
    }
    int64_t start = model::kMinTime, end = model::kMaxTime;
    if (!req.FormValue("start").empty()) {
      auto t = promapi::ParseApiTime(req.FormValue("start"));
      if (!t.ok()) {
        return WriteApiError(resp, ErrorType::kBadData,
                             absl::StrCat("invalid parameter \"start\": ", common::AbslViewOf(t.status())));
      }
      start = *t;
    }
    if (!req.FormValue("end").empty()) {
      auto t = promapi::ParseApiTime(req.FormValue("end"));
      if (!t.ok()) {
        return WriteApiError(resp, ErrorType::kBadData,
                             absl::StrCat("invalid parameter \"end\": ", common::AbslViewOf(t.status())));
      }
      end = *t;
    }
    auto sets = promapi::ParseMatchSets(req);
    if (!sets.ok()) {
      return WriteApiError(resp, ErrorType::kBadData,
                           absl::StrCat("invalid parameter \"match[]\": ", common::AbslViewOf(sets.status())));
    }
    for (const auto& matchers : *sets) {
      absl::Status st = ctx.db->DeleteSeries(matchers, start, end);
      if (!st.ok()) return WriteApiError(resp, ErrorType::kInternal, common::StatusMessage(st));
    }
    resp.Send(204, "", "");
  });
  router.Handle({"POST", "PUT"}, "/api/v1/admin/tsdb/clean_tombstones", [ctx](Request&, Response& resp) {
    if (!AdminEnabled(ctx, resp)) return;
    absl::Status st = ctx.db->CleanTombstones();
    if (!st.ok()) return WriteApiError(resp, ErrorType::kInternal, common::StatusMessage(st));
    resp.Send(204, "", "");
  });
}

grpc::Status GrpcQuery(promapi::PromApi& api, const omniscope::v1::QueryRequest& req,
                       omniscope::v1::QueryResponse* resp) {
  bool range = req.step_ms() > 0;
  int64_t start = range ? req.start_ms() : req.time_ms();
  auto timeout = std::chrono::milliseconds(req.timeout_ms() > 0 ? req.timeout_ms() : 120000);
  promapi::QueryLimits limits{req.max_samples(), req.lookback_delta_ms()};
  auto result = api.RunQuery(req.query(), start, range ? req.end_ms() : start, range ? req.step_ms() : 0, timeout,
                             nullptr, limits);
  if (!result.ok()) {
    resp->set_error_type(std::string(httpapi::ErrorTypeName(promapi::QueryErrorType(result.status()))));
    resp->set_error(std::string(common::StatusMessage(result.status())));
    resp->set_error_code(static_cast<int32_t>(result.status().code()));
    return grpc::Status::OK;
  }
  std::string data;
  json::JsonWriter w(&data);
  w.BeginObject();
  promapi::WriteQueryData(w, result->value);
  w.EndObject();
  resp->set_result_type(promql::ValueTypeApiName(result->value.type));
  resp->set_data_json(std::move(data));
  for (const auto& warning : result->warnings) resp->add_warnings(warning);
  const promql::QueryStats& st = result->stats;
  omniscope::v1::QueryStats* stats = resp->mutable_stats();
  stats->set_total_samples(st.total_samples);
  stats->set_peak_samples(st.peak_samples);
  stats->set_parse_seconds(st.parse_seconds);
  stats->set_prepare_seconds(st.prepare_seconds);
  stats->set_eval_seconds(st.eval_seconds);
  stats->set_total_seconds(st.total_seconds);
  return grpc::Status::OK;
}

void FillTargets(const scrape::ScrapeManager& scrape, const std::string& state,
                 omniscope::v1::TargetsResponse* resp) {
  bool any = state.empty() || state == "any";
  if (any || state == "active") {
    for (const auto& [pool, targets] : scrape.ActiveTargets()) {
      for (const auto& t : targets) {
        auto* p = resp->add_active_targets();
        rpc::LabelsToProto(t.discovered_labels, p->mutable_discovered_labels());
        rpc::LabelsToProto(t.labels, p->mutable_labels());
        p->set_scrape_pool(t.scrape_pool);
        p->set_scrape_url(t.scrape_url);
        p->set_global_url(t.global_url);
        p->set_last_error(t.last_error);
        p->set_last_scrape_ms(t.last_scrape == absl::InfinitePast() ? 0 : absl::ToUnixMillis(t.last_scrape));
        p->set_last_scrape_duration_seconds(absl::ToDoubleSeconds(t.last_scrape_duration));
        p->set_health(std::string(scrape::TargetHealthName(t.health)));
        p->set_scrape_interval(config::FormatDuration(t.scrape_interval));
        p->set_scrape_timeout(config::FormatDuration(t.scrape_timeout));
      }
    }
  }
  if (any || state == "dropped") {
    for (const auto& [pool, targets] : scrape.DroppedTargets()) {
      for (const auto& l : targets) rpc::LabelsToProto(l, resp->add_dropped_targets()->mutable_discovered_labels());
    }
  }
}

}  // namespace omni::collector
