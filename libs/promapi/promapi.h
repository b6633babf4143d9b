// The Prometheus HTTP query API (web/api/v1) over any storage::Queryable: the
// collector serves it over its TSDB, the viewer over RemoteStorage (all
// collector shards). Same parameters, JSON shapes, number formatting, error
// types and HTTP codes as Prometheus 2.42, plus what Prometheus lacks:
// a list of running queries, cancelling one, and a slow-query log.
//
// Endpoints registered by Register():
//   GET/POST /api/v1/query, /api/v1/query_range, /api/v1/series,
//            /api/v1/labels, /api/v1/query_exemplars, /api/v1/format_query
//   GET      /api/v1/label/<name>/values, /api/v1/metadata, /api/v1/status/buildinfo
//   GET      /api/v1/status/active_queries            (OmniScope)
//   DELETE   /api/v1/admin/queries/<id>               (OmniScope; cancels a running query)
//
// Example:
//   PromApi api(&tsdb, PromApiOptions{});
//   api.Register(router);
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/httpapi/api.h"
#include "libs/httpapi/router.h"
#include "libs/json/json_writer.h"
#include "libs/promql/engine.h"
#include "libs/storage/storage.h"

namespace omni::promapi {

struct BuildInfo {
  std::string version = "0.1.0";
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string go_version = "n/a (C++20)";
};

// A query handed to a QueryPushDown instead of the local engine.
struct PushedQuery {
  std::string query;
  int64_t start_ms = 0;  // the evaluation time of an instant query
  int64_t end_ms = 0;
  int64_t step_ms = 0;   // 0: instant query
  // The query's deadline (its timeout, time spent queueing included).
  std::chrono::steady_clock::time_point deadline;
  // The engine limits this API would evaluate with (--query.max-samples,
  // --query.lookback-delta).
  int64_t max_samples = 0;
  int64_t lookback_delta_ms = 0;
};

struct PushedResult {
  std::string data_json;  // the API's "data" object: {"resultType":...,"result":...}
  std::vector<std::string> warnings;
  promql::QueryStats stats;
};

// Evaluates queries somewhere else: the viewer pushes them down to its only
// collector. Implementations must be thread-safe.
class QueryPushDown {
 public:
  virtual ~QueryPushDown() = default;
  // Whether queries go there now; false: evaluate them locally (e.g. a DNS
  // name that resolves to several collectors).
  virtual bool Enabled() = 0;
  // Runs `q`. `ctx` is cancelled through DELETE /api/v1/admin/queries/<id>.
  // Errors carry the local engine's codes and messages (InvalidArgument for
  // bad queries, DeadlineExceeded "query timed out in query execution", ...).
  virtual absl::StatusOr<PushedResult> Run(const PushedQuery& q, const promql::QueryContext& ctx) = 0;
};

// Per-query engine limits that override PromApiOptions::engine; 0 keeps the
// configured value (the collector's gRPC Query passes its caller's limits).
struct QueryLimits {
  int64_t max_samples = 0;
  int64_t lookback_delta_ms = 0;
};

struct PromApiOptions {
  promql::EngineOptions engine;
  // --query.timeout: default and upper bound of the `timeout` parameter.
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // --query.max-concurrency: queries evaluated at once; others wait (queue time in stats).
  int max_concurrency = 20;
  // Queries slower than this are logged as JSON lines; zero disables.
  std::chrono::milliseconds slow_query_threshold{std::chrono::seconds(10)};
  // Where the slow-query log goes: a file path, or "" for the daemon's log (stderr).
  std::string slow_query_log_file;
  BuildInfo build_info;
  // Writes the `data` of /api/v1/metadata (an object metric -> [{type,help,unit}]).
  // Empty: {}.
  std::function<void(json::JsonWriter&, const std::string& metric, int limit)> metadata;
  // Now, for default query times (tests use a fixed clock).
  std::function<int64_t()> now_ms;
  // When set and Enabled(), /api/v1/query and /api/v1/query_range are
  // answered by it (with this API's parsing, limits, queueing, active-query
  // list and slow log); not owned.
  QueryPushDown* push_down = nullptr;
};

// Parses a Prometheus API time: float Unix seconds or RFC 3339.
absl::StatusOr<int64_t> ParseApiTime(std::string_view s);
// Parses a Prometheus API duration: float seconds or a PromQL duration.
absl::StatusOr<int64_t> ParseApiDuration(std::string_view s);

// The API error type of a failed query (parse errors are bad_data,
// evaluation errors and the sample limit execution, timeouts timeout, ...).
httpapi::ErrorType QueryErrorType(const absl::Status& status);

// Writes a label set as the API's JSON object {"name":"value",...}.
void WriteLabels(json::JsonWriter& w, const model::Labels& labels);
// Parses every match[] parameter as a series selector. Like Prometheus,
// refuses a selector whose matchers all match the empty string.
absl::StatusOr<std::vector<std::vector<model::Matcher>>> ParseMatchSets(const httpapi::Request& req);

// Writes a query result as the API's `data` object {"resultType":..,"result":..}.
void WriteQueryData(json::JsonWriter& w, const promql::QueryValue& value);

class PromApi {
 public:
  PromApi(storage::Queryable* storage, PromApiOptions options);
  ~PromApi();

  void Register(httpapi::Router& router);

  // Runs an instant (step_ms == 0) or range query with the API's limits and
  // bookkeeping (concurrency, active list, slow log). Errors carry the
  // API's error type through their status code (see httpapi::ErrorTypeFromStatus).
  absl::StatusOr<promql::QueryResult> RunQuery(const std::string& query, int64_t start_ms,
                                               int64_t end_ms, int64_t step_ms,
                                               std::chrono::milliseconds timeout,
                                               double* queue_seconds = nullptr, const QueryLimits& limits = {});

  struct ActiveQuery {
    uint64_t id;
    std::string query;
    std::chrono::system_clock::time_point started;
    std::shared_ptr<promql::QueryContext> ctx;
  };
  std::vector<ActiveQuery> ActiveQueries() const;
  // Cancels a running query; false when no query has that id.
  bool Cancel(uint64_t id);

 private:
  // Reads `timeout` and `stats`, runs the query and writes the API response.
  void RunAndWrite(httpapi::Request& req, httpapi::Response& resp, int64_t start_ms, int64_t end_ms,
                   int64_t step_ms);
  // Waits for a slot (the deadline includes the wait), lists the query as
  // active, runs `eval` and logs the query when slow. Returns eval's status.
  absl::Status Admit(const std::string& query, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                     std::chrono::milliseconds timeout, double* queue_seconds,
                     const std::function<absl::Status(const promql::QueryContext&, promql::QueryStats*)>& eval);
  // RunAndWrite through options_.push_down.
  void PushDownAndWrite(httpapi::Request& req, httpapi::Response& resp, int64_t start_ms, int64_t end_ms,
                        int64_t step_ms, std::chrono::milliseconds timeout);
  void HandleQuery(httpapi::Request& req, httpapi::Response& resp);
  void HandleQueryRange(httpapi::Request& req, httpapi::Response& resp);
  void HandleSeries(httpapi::Request& req, httpapi::Response& resp);
  void HandleLabels(httpapi::Request& req, httpapi::Response& resp);
  void HandleLabelValues(httpapi::Request& req, httpapi::Response& resp);
  void HandleFormatQuery(httpapi::Request& req, httpapi::Response& resp);
  void HandleActiveQueries(httpapi::Request& req, httpapi::Response& resp);
  void HandleCancel(httpapi::Request& req, httpapi::Response& resp);
  void LogSlowQuery(const std::string& query, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                    double seconds, const promql::QueryStats& stats, const absl::Status& status);
  int64_t Now() const;

  storage::Queryable* storage_;
  PromApiOptions options_;
  promql::Engine engine_;

  std::mutex mu_;
  std::condition_variable slot_freed_;
  int running_ = 0;  // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;  // GUARDED_BY(mu_)
  std::map<uint64_t, ActiveQuery> active_;  // GUARDED_BY(mu_)
  std::mutex slow_log_mu_;
};

}  // namespace omni::promapi
