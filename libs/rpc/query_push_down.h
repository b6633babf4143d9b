// Query push-down for the viewer: when it reads from a single collector, a
// whole PromQL query goes to that collector's gRPC Query RPC instead of being
// evaluated in the viewer over RemoteStorage (which streams every selected
// series to the viewer). The answer is the collector's API "data" JSON, so
// the viewer returns the same bytes as the local path.
//
// Example:
//   CollectorQueryPushDown push_down(pool.get(), /*configured_addresses=*/1);
//   promapi::PromApiOptions opts;
//   opts.push_down = &push_down;   // used while the pool has exactly one shard
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/promapi/promapi.h"
#include "libs/rpc/remote_storage.h"
#include "omniscope/v1/collector.pb.h"

namespace omni::rpc {

// The status of a QueryResponse: OK, or the query's failure with the
// collector engine's code and message. Collectors that predate error_code
// send only error_type; its code is then the one the API maps to that type.
absl::Status QueryResponseStatus(const omniscope::v1::QueryResponse& resp);

// promapi::QueryPushDown over a CollectorPool. Enabled while exactly one
// address is configured and it resolves to exactly one collector. Each query
// passes the viewer's max-samples, lookback delta and remaining timeout; the
// gRPC deadline adds a grace period so that the collector's own "query timed
// out" answer arrives first. UNAVAILABLE is retried as for the other calls;
// a cancelled query cancels its call. Thread-safe.
class CollectorQueryPushDown final : public promapi::QueryPushDown {
 public:
  CollectorQueryPushDown(CollectorPool* pool, size_t configured_addresses)
      : pool_(pool), configured_addresses_(configured_addresses) {}

  // promapi::QueryPushDown
  bool Enabled() override;
  absl::StatusOr<promapi::PushedResult> Run(const promapi::PushedQuery& q,
                                            const promql::QueryContext& ctx) override;

  // Queries sent to the collector so far (for a self metric).
  uint64_t queries() const { return queries_.load(std::memory_order_relaxed); }

 private:
  CollectorPool* pool_;
  size_t configured_addresses_;
  std::atomic<uint64_t> queries_{0};
};

}  // namespace omni::rpc
