#include "libs/rpc/query_push_down.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "libs/rpc/convert.h"

namespace omni::rpc {
namespace {

// Extra gRPC deadline beyond the query's own, for the answer to travel back.
constexpr auto kDeadlineGrace = std::chrono::seconds(5);
// How often a waiting call checks whether its query was cancelled.
constexpr auto kCancelPoll = std::chrono::milliseconds(20);

// The code the API's errorType stands for (see promapi::QueryErrorType).
absl::StatusCode CodeOfErrorType(const std::string& type) {
  if (type == "bad_data") return absl::StatusCode::kInvalidArgument;
  if (type == "execution") return absl::StatusCode::kFailedPrecondition;
  if (type == "timeout") return absl::StatusCode::kDeadlineExceeded;
  if (type == "canceled") return absl::StatusCode::kCancelled;
  if (type == "not_found") return absl::StatusCode::kNotFound;
  if (type == "unavailable") return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kInternal;
}

}  // namespace

absl::Status QueryResponseStatus(const omniscope::v1::QueryResponse& resp) {
  if (resp.error_type().empty() && resp.error_code() == 0) return absl::OkStatus();
  absl::StatusCode code = resp.error_code() != 0 ? static_cast<absl::StatusCode>(resp.error_code())
                                                  : CodeOfErrorType(resp.error_type());
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kInternal;
  return absl::Status(code, resp.error());
}

bool CollectorQueryPushDown::Enabled() { return configured_addresses_ == 1 && pool_->Shards().size() == 1; }

absl::StatusOr<promapi::PushedResult> CollectorQueryPushDown::Run(const promapi::PushedQuery& q,
                                                                   const promql::QueryContext& ctx) {
  std::vector<CollectorPool::Shard> shards = pool_->Shards();
  if (shards.size() != 1) return absl::UnavailableError("query push-down needs exactly one collector");
  const CollectorPool::Shard& shard = shards.front();
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(q.deadline - std::chrono::steady_clock::now());
  if (remaining.count() <= 0) return absl::DeadlineExceededError("query timed out in query execution");

  omniscope::v1::QueryRequest req;
  req.set_query(q.query);
  if (q.step_ms == 0) {
    req.set_time_ms(q.start_ms);
  } else {
    req.set_start_ms(q.start_ms);
    req.set_end_ms(q.end_ms);
    req.set_step_ms(q.step_ms);
  }
  req.set_timeout_ms(remaining.count());
  req.set_max_samples(q.max_samples);
  req.set_lookback_delta_ms(q.lookback_delta_ms);

  queries_.fetch_add(1, std::memory_order_relaxed);
  ChannelOptions call_options = pool_->options();
  call_options.timeout = absl::FromChrono(remaining + kDeadlineGrace);
  omniscope::v1::QueryResponse resp;
  bool cancelled = false;
  absl::Status st = CallWithRetry(call_options, [&](grpc::ClientContext* call) {
    resp.Clear();
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status result;
    shard.stub->async()->Query(call, &req, &resp, [&](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      result = std::move(s);
      done = true;
      cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(mu);
    while (!cv.wait_for(lock, kCancelPoll, [&] { return done; })) {
      if (ctx.cancelled() && !cancelled) {
        cancelled = true;
        call->TryCancel();  // the callback still runs, with CANCELLED
      }
    }
    return result;
  });
  // The same texts as the local engine for a cancelled or timed-out query.
  if (cancelled) return absl::CancelledError("query was canceled in query execution");
  if (st.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError("query timed out in query execution");
  }
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("collector ", shard.address, ": ", st.message()));
  if (absl::Status failed = QueryResponseStatus(resp); !failed.ok()) return failed;

  promapi::PushedResult out;
  out.data_json = std::move(*resp.mutable_data_json());
  out.warnings.assign(resp.warnings().begin(), resp.warnings().end());
  const omniscope::v1::QueryStats& s = resp.stats();
  out.stats.total_samples = s.total_samples();
  out.stats.peak_samples = s.peak_samples();
  out.stats.parse_seconds = s.parse_seconds();
  out.stats.prepare_seconds = s.prepare_seconds();
  out.stats.eval_seconds = s.eval_seconds();
  out.stats.total_seconds = s.total_seconds();
  return out;
}

}  // namespace omni::rpc
