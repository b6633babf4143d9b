#include "libs/promapi/promapi.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/common/absl_compat.h"
#include "libs/common/logging.h"
#include "libs/httpapi/api.h"
#include "libs/promql/format.h"
#include "libs/promql/parser.h"

namespace omni::promapi {
namespace {

using httpapi::ErrorType;
using httpapi::Request;
using httpapi::Response;
using httpapi::WriteApiError;

constexpr int64_t kMaxPointsPerSeries = 11000;

// Go's %q for the plain strings that appear in these errors.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void BadParam(Response& resp, std::string_view param, std::string_view message) {
  WriteApiError(resp, ErrorType::kBadData, absl::StrCat("invalid parameter ", GoQuote(param), ": ", common::AbslView(message)));
}

// Reads a time parameter, with a default when absent.
// Errors read "Invalid time value for 'NAME': ..." as Prometheus's
// parseTimeParam (query's time, the metadata endpoints' start and end).
absl::StatusOr<int64_t> TimeParam(const Request& req, std::string_view name, int64_t def) {
  if (!req.HasFormValue(name) || req.FormValue(name).empty()) return def;
  auto t = ParseApiTime(req.FormValue(name));
  if (!t.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid time value for '", common::AbslView(name),
                                                   "': ", common::AbslView(common::StatusMessage(t.status()))));
  }
  return t;
}

void WriteStats(json::JsonWriter& w, const promql::QueryStats& s, double queue_seconds) {
  w.Key("stats");
  w.BeginObject();
  w.Key("timings");
  w.BeginObject();
  w.Key("evalTotalTime");
  w.Double(s.total_seconds);
  w.Key("resultSortTime");
  w.Double(0);
  w.Key("queryPreparationTime");
  w.Double(s.prepare_seconds);
  w.Key("innerEvalTime");
  w.Double(s.eval_seconds);
  w.Key("execQueueTime");
  w.Double(queue_seconds);
  w.Key("execTotalTime");
  w.Double(s.total_seconds + queue_seconds);
  w.EndObject();
  w.Key("samples");
  w.BeginObject();
  w.KeyInt("totalQueryableSamples", s.total_samples);
  w.KeyInt("peakSamples", s.peak_samples);
  w.EndObject();
  w.EndObject();
}

}  // namespace

void WriteLabels(json::JsonWriter& w, const model::Labels& labels) {
  w.BeginObject();
  for (const auto& l : labels) {
    w.Key(l.name);
    w.String(l.value);
  }
  w.EndObject();
}

absl::StatusOr<std::vector<std::vector<model::Matcher>>> ParseMatchSets(const httpapi::Request& req) {
  std::vector<std::vector<model::Matcher>> sets;
  for (const std::string& m : req.FormValues("match[]")) {
    auto matchers = promql::ParseMetricSelector(m);
    if (!matchers.ok()) return matchers.status();
    bool any_non_empty = false;
    for (const auto& mm : *matchers) any_non_empty |= !mm.MatchesEmpty();
    if (!any_non_empty) {
      return absl::InvalidArgumentError("match[] must contain at least one non-empty matcher");
    }
    sets.push_back(std::move(*matchers));
  }
  return sets;
}

absl::StatusOr<int64_t> ParseApiTime(std::string_view s) {
  std::string str(s);
  char* end = nullptr;
  double f = std::strtod(str.c_str(), &end);
  if (!str.empty() && end == str.c_str() + str.size() && std::isfinite(f)) {
    double whole;
    double frac = std::modf(f, &whole);
    return static_cast<int64_t>(whole) * 1000 + static_cast<int64_t>(std::round(frac * 1000));
  }
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, str, &t, &err)) return absl::ToUnixMillis(t);
  return absl::InvalidArgumentError(absl::StrCat("cannot parse ", GoQuote(s), " to a valid timestamp"));
}

absl::StatusOr<int64_t> ParseApiDuration(std::string_view s) {
  std::string str(s);
  char* end = nullptr;
  double f = std::strtod(str.c_str(), &end);
  if (!str.empty() && end == str.c_str() + str.size() && std::isfinite(f)) {
    double ms = f * 1000;
    if (ms >= 9.2e15 || ms <= -9.2e15) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot parse ", GoQuote(s), " to a valid duration. It overflows int64"));
    }
    return static_cast<int64_t>(std::llround(ms));
  }
  auto d = promql::ParseDuration(s);
  if (d.ok()) return *d;
  return absl::InvalidArgumentError(absl::StrCat("cannot parse ", GoQuote(s), " to a valid duration"));
}

httpapi::ErrorType QueryErrorType(const absl::Status& status) {
  // Storage failures are "internal"; too many samples and evaluation errors "execution".
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return ErrorType::kBadData;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kFailedPrecondition: return ErrorType::kExecution;
    default: return httpapi::ErrorTypeFromStatus(status.code());
  }
}

void WriteQueryData(json::JsonWriter& w, const promql::QueryValue& value) {
  w.KeyString("resultType", promql::ValueTypeApiName(value.type));
  w.Key("result");
  switch (value.type) {
    case promql::ValueType::kVector:
      w.BeginArray();
      for (const auto& s : value.vector) {
        w.BeginObject();
        w.Key("metric");
        WriteLabels(w, s.metric);
        w.Key("value");
        w.PromPoint(s.t, s.v);
        w.EndObject();
      }
      w.EndArray();
      break;
    case promql::ValueType::kMatrix: {
      // A point takes ~20-30 bytes ([1700000000.123,"12.5"],); reserving
      // more than used only costs untouched address space.
      size_t points = 0;
      for (const auto& s : value.matrix) points += s.points.size();
      w.Reserve(points * 32 + value.matrix.size() * 256);
      w.BeginArray();
      for (const auto& s : value.matrix) {
        w.BeginObject();
        w.Key("metric");
        WriteLabels(w, s.metric);
        w.Key("values");
        w.PromPointArray(s.points);
        w.EndObject();
      }
      w.EndArray();
      break;
    }
    case promql::ValueType::kScalar:
      w.BeginArray();
      w.PromScalarTimestamp(value.scalar.t);
      w.PromScalarFloat(value.scalar.v);
      w.EndArray();
      break;
    case promql::ValueType::kString:
      w.BeginArray();
      w.PromScalarTimestamp(value.string.t);
      w.String(value.string.v);
      w.EndArray();
      break;
    case promql::ValueType::kNone:
      w.Null();
      break;
  }
}

PromApi::PromApi(storage::Queryable* storage, PromApiOptions options)
    : storage_(storage), options_(std::move(options)), engine_(options_.engine) {}

PromApi::~PromApi() = default;

int64_t PromApi::Now() const {
  if (options_.now_ms) return options_.now_ms();
  return absl::ToUnixMillis(absl::Now());
}

void PromApi::Register(httpapi::Router& router) {
  auto bind = [this](void (PromApi::*fn)(Request&, Response&)) {
    return [this, fn](Request& req, Response& resp) { (this->*fn)(req, resp); };
  };
  router.Handle({"GET", "POST"}, "/api/v1/query", bind(&PromApi::HandleQuery));
  router.Handle({"GET", "POST"}, "/api/v1/query_range", bind(&PromApi::HandleQueryRange));
  router.Handle({"GET", "POST"}, "/api/v1/series", bind(&PromApi::HandleSeries));
  router.Handle({"GET", "POST"}, "/api/v1/labels", bind(&PromApi::HandleLabels));
  router.Get("/api/v1/label/<name>/values", bind(&PromApi::HandleLabelValues));
  router.Handle({"GET", "POST"}, "/api/v1/format_query", bind(&PromApi::HandleFormatQuery));
  router.Handle({"GET", "POST"}, "/api/v1/query_exemplars", [](Request&, Response& resp) {
    httpapi::WriteApiSuccess(resp, [](json::JsonWriter& w) {
      w.BeginArray();
      w.EndArray();
    });
  });
  router.Get("/api/v1/metadata", [this](Request& req, Response& resp) {
    int64_t limit = -1;
    if (req.HasFormValue("limit") && !absl::SimpleAtoi(req.FormValue("limit"), &limit)) {
      return WriteApiError(resp, ErrorType::kBadData, "limit must be a number");
    }
    std::string metric = req.FormValue("metric");
    httpapi::WriteApiSuccess(resp, [&](json::JsonWriter& w) {
      if (options_.metadata) {
        options_.metadata(w, metric, static_cast<int>(limit));
      } else {
        w.BeginObject();
        w.EndObject();
      }
    });
  });
  router.Get("/api/v1/status/buildinfo", [this](Request&, Response& resp) {
    const BuildInfo& b = options_.build_info;
    httpapi::WriteApiSuccess(resp, [&](json::JsonWriter& w) {
      w.BeginObject();
      w.KeyString("version", b.version);
      w.KeyString("revision", b.revision);
      w.KeyString("branch", b.branch);
      w.KeyString("buildUser", b.build_user);
      w.KeyString("buildDate", b.build_date);
      w.KeyString("goVersion", b.go_version);
      w.EndObject();
    });
  });
  router.Get("/api/v1/status/active_queries", bind(&PromApi::HandleActiveQueries));
  router.Delete("/api/v1/admin/queries/<id>", bind(&PromApi::HandleCancel));
}

absl::StatusOr<promql::QueryResult> PromApi::RunQuery(const std::string& query, int64_t start_ms,
                                                      int64_t end_ms, int64_t step_ms,
                                                      std::chrono::milliseconds timeout,
                                                      double* queue_seconds_out, const QueryLimits& limits) {
  auto expr = promql::ParseExpr(query);
  if (!expr.ok()) return expr.status();
  promql::EngineOptions engine_options = options_.engine;
  if (limits.max_samples > 0) engine_options.max_samples = limits.max_samples;
  if (limits.lookback_delta_ms > 0) engine_options.lookback_delta_ms = limits.lookback_delta_ms;
  const promql::Engine custom_engine(engine_options);
  const promql::Engine& engine =
      limits.max_samples > 0 || limits.lookback_delta_ms > 0 ? custom_engine : engine_;
  absl::StatusOr<promql::QueryResult> result = absl::UnknownError("query not run");
  absl::Status st = Admit(query, start_ms, end_ms, step_ms, timeout, queue_seconds_out,
                          [&](const promql::QueryContext& ctx, promql::QueryStats* stats) {
                            result = step_ms == 0
                                         ? engine.InstantQueryExpr(*storage_, **expr, start_ms, ctx)
                                         : engine.RangeQueryExpr(*storage_, **expr, start_ms, end_ms, step_ms, ctx);
                            if (result.ok()) *stats = result->stats;
                            return result.status();
                          });
  if (!st.ok()) return st;
  return result;
}

absl::Status PromApi::Admit(
    const std::string& query, int64_t start_ms, int64_t end_ms, int64_t step_ms, std::chrono::milliseconds timeout,
    double* queue_seconds_out,
    const std::function<absl::Status(const promql::QueryContext&, promql::QueryStats*)>& eval) {
  auto queued_at = std::chrono::steady_clock::now();
  auto ctx = std::make_shared<promql::QueryContext>(queued_at + timeout);
  uint64_t id;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // Queue for a slot; the deadline includes the time spent waiting, as in Prometheus.
    bool got = slot_freed_.wait_until(lock, ctx->deadline(),
                                      [&] { return running_ < std::max(1, options_.max_concurrency); });
    if (!got) return absl::DeadlineExceededError("query timed out in query queue");
    ++running_;
    id = next_id_++;
    active_[id] = ActiveQuery{id, query, std::chrono::system_clock::now(), ctx};
  }
  double queue_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - queued_at).count();
  promql::QueryStats stats;
  absl::Status status = eval(*ctx, &stats);
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    active_.erase(id);
  }
  slot_freed_.notify_one();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - queued_at).count();
  if (options_.slow_query_threshold.count() > 0 &&
      seconds * 1000 >= static_cast<double>(options_.slow_query_threshold.count())) {
    LogSlowQuery(query, start_ms, end_ms, step_ms, seconds, status.ok() ? stats : promql::QueryStats{}, status);
  }
  if (queue_seconds_out != nullptr) *queue_seconds_out = queue_seconds;
  return status;
}

void PromApi::LogSlowQuery(const std::string& query, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                           double seconds, const promql::QueryStats& stats, const absl::Status& status) {
  std::string line;
  json::JsonWriter w(&line);
  w.BeginObject();
  w.KeyString("ts", absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()));
  w.KeyString("query", query);
  w.Key("params");
  w.BeginObject();
  w.KeyInt("start_ms", start_ms);
  w.KeyInt("end_ms", step_ms == 0 ? start_ms : end_ms);
  w.KeyInt("step_ms", step_ms);
  w.EndObject();
  w.Key("durationSeconds");
  w.Double(seconds);
  w.KeyInt("samples", stats.total_samples);
  w.KeyInt("peakSamples", stats.peak_samples);
  if (!status.ok()) w.KeyString("error", common::StatusMessage(status));
  w.EndObject();
  if (options_.slow_query_log_file.empty()) {
    OMNI_LOG(kWarn, "query").Msg("Slow query").Kv("entry", line);
    return;
  }
  std::lock_guard<std::mutex> lock(slow_log_mu_);
  std::ofstream out(options_.slow_query_log_file, std::ios::app);
  out << line << "\n";
}

std::vector<PromApi::ActiveQuery> PromApi::ActiveQueries() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(mu_));
  std::vector<ActiveQuery> out;
  for (const auto& [id, q] : active_) out.push_back(q);
  return out;
}

bool PromApi::Cancel(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(id);
  if (it == active_.end()) return false;
  it->second.ctx->Cancel();
  return true;
}

namespace {

// Effective timeout: the `timeout` parameter, capped by --query.timeout.
absl::StatusOr<std::chrono::milliseconds> TimeoutParam(const Request& req, std::chrono::milliseconds def) {
  if (!req.HasFormValue("timeout") || req.FormValue("timeout").empty()) return def;
  auto d = ParseApiDuration(req.FormValue("timeout"));
  if (!d.ok()) return d.status();
  return std::min(def, std::chrono::milliseconds(*d));
}

// Prometheus 2.42 prefixes an instant query's parse errors with the
// parameter name, but not a range query's.
void WriteQueryError(Response& resp, const absl::Status& st, bool instant) {
  if (st.code() == absl::StatusCode::kInvalidArgument && instant) {
    return BadParam(resp, "query", common::StatusMessage(st));
  }
  WriteApiError(resp, QueryErrorType(st), common::StatusMessage(st));
}

}  // namespace

void PromApi::RunAndWrite(Request& req, Response& resp, int64_t start_ms, int64_t end_ms, int64_t step_ms) {
  auto timeout = TimeoutParam(req, options_.timeout);
  if (!timeout.ok()) return BadParam(resp, "timeout", common::StatusMessage(timeout.status()));
  if (options_.push_down != nullptr && options_.push_down->Enabled()) {
    return PushDownAndWrite(req, resp, start_ms, end_ms, step_ms, *timeout);
  }
  double queue_seconds = 0;
  auto result = RunQuery(req.FormValue("query"), start_ms, end_ms, step_ms, *timeout, &queue_seconds);
  if (!result.ok()) return WriteQueryError(resp, result.status(), step_ms == 0);
  bool stats = !req.FormValue("stats").empty();
  httpapi::WriteApiSuccess(
      resp,
      [&](json::JsonWriter& w) {
        w.BeginObject();
        WriteQueryData(w, result->value);
        if (stats) WriteStats(w, result->stats, queue_seconds);
        w.EndObject();
      },
      result->warnings);
}

void PromApi::PushDownAndWrite(Request& req, Response& resp, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                               std::chrono::milliseconds timeout) {
  const std::string query(req.FormValue("query"));
  // Parse errors are answered here, as the local path does, without a round trip.
  if (auto expr = promql::ParseExpr(query); !expr.ok()) return WriteQueryError(resp, expr.status(), step_ms == 0);
  PushedResult pushed;
  double queue_seconds = 0;
  absl::Status st = Admit(query, start_ms, end_ms, step_ms, timeout, &queue_seconds,
                          [&](const promql::QueryContext& ctx, promql::QueryStats* stats) {
                            PushedQuery q{query,
                                          start_ms,
                                          end_ms,
                                          step_ms,
                                          ctx.deadline(),
                                          options_.engine.max_samples,
                                          options_.engine.lookback_delta_ms};
                            auto r = options_.push_down->Run(q, ctx);
                            if (!r.ok()) return r.status();
                            pushed = std::move(*r);
                            *stats = pushed.stats;
                            return absl::OkStatus();
                          });
  if (!st.ok()) return WriteQueryError(resp, st, step_ms == 0);
  // The members of the "data" object, so that stats can follow them.
  std::string_view members = pushed.data_json;
  if (members.size() < 3 || members.front() != '{' || members.back() != '}') {
    return WriteApiError(resp, ErrorType::kInternal, "malformed query result from the push-down target");
  }
  members = members.substr(1, members.size() - 2);
  bool stats = !req.FormValue("stats").empty();
  httpapi::WriteApiSuccess(
      resp,
      [&](json::JsonWriter& w) {
        w.BeginObject();
        w.Raw(members);
        if (stats) WriteStats(w, pushed.stats, queue_seconds);
        w.EndObject();
      },
      pushed.warnings);
}

void PromApi::HandleQuery(Request& req, Response& resp) {
  auto ts = TimeParam(req, "time", Now());
  if (!ts.ok()) return BadParam(resp, "time", common::StatusMessage(ts.status()));
  RunAndWrite(req, resp, *ts, *ts, 0);
}

void PromApi::HandleQueryRange(Request& req, Response& resp) {
  auto start = ParseApiTime(req.FormValue("start"));
  if (!start.ok()) return BadParam(resp, "start", common::StatusMessage(start.status()));
  auto end = ParseApiTime(req.FormValue("end"));
  if (!end.ok()) return BadParam(resp, "end", common::StatusMessage(end.status()));
  if (*end < *start) return BadParam(resp, "end", "end timestamp must not be before start time");
  auto step = ParseApiDuration(req.FormValue("step"));
  if (!step.ok()) return BadParam(resp, "step", common::StatusMessage(step.status()));
  if (*step <= 0) {
    return BadParam(resp, "step", "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if ((*end - *start) / *step > kMaxPointsPerSeries) {
    return WriteApiError(resp, ErrorType::kBadData,
                         "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
  }
  RunAndWrite(req, resp, *start, *end, *step);
}

namespace {

// The parameters shared by the metadata endpoints (series, labels, label
// values): start, end, match[] and a querier over that range.
struct MetadataRequest {
  int64_t start = model::kMinTime;
  int64_t end = model::kMaxTime;
  std::vector<std::vector<model::Matcher>> match_sets;
  std::unique_ptr<storage::Querier> querier;
};

// Parses the parameters; on error writes Prometheus's error and returns false.
// Only /api/v1/series names the parameter in match[] errors (as 2.42 does).
bool ParseMetadataRequest(const Request& req, Response& resp, storage::Queryable& storage,
                          MetadataRequest* out, bool name_match_param = false) {
  auto start = TimeParam(req, "start", model::kMinTime);
  if (!start.ok()) {
    BadParam(resp, "start", common::StatusMessage(start.status()));
    return false;
  }
  auto end = TimeParam(req, "end", model::kMaxTime);
  if (!end.ok()) {
    BadParam(resp, "end", common::StatusMessage(end.status()));
    return false;
  }
  auto sets = ParseMatchSets(req);
  if (!sets.ok()) {
    if (name_match_param) {
      BadParam(resp, "match[]", common::StatusMessage(sets.status()));
    } else {
      WriteApiError(resp, ErrorType::kBadData, common::StatusMessage(sets.status()));
    }
    return false;
  }
  auto q = storage.NewQuerier(*start, *end);
  if (!q.ok()) {
    WriteApiError(resp, ErrorType::kExecution, common::StatusMessage(q.status()));
    return false;
  }
  out->start = *start;
  out->end = *end;
  out->match_sets = std::move(*sets);
  out->querier = std::move(*q);
  return true;
}

// Unions a string list over every match[] set (or all series without one)
// and writes it as the sorted JSON array the API returns.
void WriteStringUnion(
    Response& resp, MetadataRequest& mr,
    const std::function<absl::StatusOr<std::vector<std::string>>(const std::vector<model::Matcher>&)>& list) {
  if (mr.match_sets.empty()) mr.match_sets.push_back({});
  // Queriers return sorted unique lists: one needs no merging.
  std::vector<std::string> one;
  std::set<std::string> all;
  for (const auto& matchers : mr.match_sets) {
    auto r = list(matchers);
    if (!r.ok()) return WriteApiError(resp, ErrorType::kExecution, common::StatusMessage(r.status()));
    if (mr.match_sets.size() == 1) {
      one = std::move(*r);
    } else {
      all.insert(r->begin(), r->end());
    }
  }
  httpapi::WriteApiSuccess(resp, [&](json::JsonWriter& w) {
    w.BeginArray();
    for (const auto& v : one) w.String(v);
    for (const auto& v : all) w.String(v);
    w.EndArray();
  });
}

}  // namespace

void PromApi::HandleSeries(Request& req, Response& resp) {
  if (req.FormValues("match[]").empty()) {
    return WriteApiError(resp, ErrorType::kBadData, "no match[] parameter provided");
  }
  MetadataRequest mr;
  if (!ParseMetadataRequest(req, resp, *storage_, &mr, /*name_match_param=*/true)) return;
  storage::SelectHints hints;
  hints.start = mr.start;
  hints.end = mr.end;
  hints.func = "series";
  hints.series_only = true;
  // One selector's sorted Select is already the answer; several are merged
  // (sorted, without duplicates) through a set.
  std::vector<model::Labels> series;
  std::set<model::Labels> merged;
  for (const auto& matchers : mr.match_sets) {
    auto set = mr.querier->Select(true, hints, matchers);
    while (set->Next()) {
      if (mr.match_sets.size() == 1) {
        // Sorted: a storage that merges replicas could repeat a series only adjacently.
        if (series.empty() || !(series.back() == set->At().labels())) series.push_back(set->At().labels());
      } else {
        merged.insert(set->At().labels());
      }
    }
    if (!set->status().ok()) return WriteApiError(resp, ErrorType::kExecution, common::StatusMessage(set->status()));
  }
  httpapi::WriteApiSuccess(resp, [&](json::JsonWriter& w) {
    w.BeginArray();
    for (const auto& l : series) WriteLabels(w, l);
    for (const auto& l : merged) WriteLabels(w, l);
    w.EndArray();
  });
}

void PromApi::HandleLabels(Request& req, Response& resp) {
  MetadataRequest mr;
  if (!ParseMetadataRequest(req, resp, *storage_, &mr)) return;
  WriteStringUnion(resp, mr, [&](const std::vector<model::Matcher>& m) { return mr.querier->LabelNames(m); });
}

void PromApi::HandleLabelValues(Request& req, Response& resp) {
  std::string name(req.PathParam("name"));
  if (!model::IsValidLabelName(name)) {
    return WriteApiError(resp, ErrorType::kBadData, absl::StrCat("invalid label name: ", GoQuote(name)));
  }
  MetadataRequest mr;
  if (!ParseMetadataRequest(req, resp, *storage_, &mr)) return;
  WriteStringUnion(resp, mr,
                   [&](const std::vector<model::Matcher>& m) { return mr.querier->LabelValues(name, m); });
}

void PromApi::HandleFormatQuery(Request& req, Response& resp) {
  auto pretty = promql::FormatQuery(req.FormValue("query"));
  if (!pretty.ok()) return BadParam(resp, "query", common::StatusMessage(pretty.status()));
  httpapi::WriteApiSuccess(resp, [&](json::JsonWriter& w) { w.String(*pretty); });
}

void PromApi::HandleActiveQueries(Request&, Response& resp) {
  auto queries = ActiveQueries();
  auto now = std::chrono::system_clock::now();
  httpapi::WriteApiSuccess(resp, [&](json::JsonWriter& w) {
    w.BeginArray();
    for (const auto& q : queries) {
      w.BeginObject();
      w.KeyString("id", absl::StrCat(q.id));
      w.KeyString("query", q.query);
      w.KeyString("startedAt", absl::FormatTime(absl::RFC3339_full, absl::FromChrono(q.started),
                                                absl::UTCTimeZone()));
      w.Key("durationSeconds");
      w.Double(std::chrono::duration<double>(now - q.started).count());
      w.EndObject();
    }
    w.EndArray();
  });
}

void PromApi::HandleCancel(Request& req, Response& resp) {
  uint64_t id = 0;
  if (!absl::SimpleAtoi(std::string(req.PathParam("id")), &id)) {
    return WriteApiError(resp, ErrorType::kBadData, "query id must be a number");
  }
  if (!Cancel(id)) {
    return WriteApiError(resp, ErrorType::kNotFound, absl::StrCat("no running query with id ", id));
  }
  httpapi::WriteApiSuccess(resp, [](json::JsonWriter& w) { w.Null(); });
}

}  // namespace omni::promapi
