// Remote storage over the collectors' gRPC API: the viewer and the alerter
// evaluate PromQL with the same engine as the collector, but read through
// this Queryable, which fans Select/LabelNames/LabelValues out to every
// collector shard and merges the answers (identical series from several
// shards are merged sample by sample, so replicas and resharding overlap
// are harmless).
//
// Example:
//   OMNI_ASSIGN_OR_RETURN(auto pool, CollectorPool::Create({"dns+collector-headless:9095"}, {}));
//   RemoteStorage storage(pool.get());
//   promql_engine.Query(storage, "sum(rate(x[5m]))", now);
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/storage/storage.h"
#include "omniscope/v1/collector.grpc.pb.h"

namespace omni::rpc {

struct ChannelOptions {
  // Per-call deadline.
  absl::Duration timeout = absl::Minutes(2);
  // Attempts for calls that fail with UNAVAILABLE (connection refused, shard restarting).
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  // TLS: when ca_file is set, channels use TLS with that CA (and client cert if given).
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // How often DNS names ("dns+host:port") are re-resolved.
  absl::Duration resolve_interval = absl::Seconds(30);
};

// CollectorPool holds one channel per collector shard. Addresses are
// "host:port" (one shard) or "dns+host:port" (every A/AAAA record of host is
// a shard, as with a Kubernetes headless Service). Thread-safe.
class CollectorPool {
 public:
  static absl::StatusOr<std::unique_ptr<CollectorPool>> Create(std::vector<std::string> addresses,
                                                               ChannelOptions options);
  using Stub = omniscope::v1::CollectorService::Stub;
  struct Shard {
    std::string address;  // resolved host:port
    std::shared_ptr<Stub> stub;
  };
  // The current shards (re-resolving DNS names when due).
  std::vector<Shard> Shards();
  const ChannelOptions& options() const { return options_; }

 private:
  CollectorPool(std::vector<std::string> addresses, ChannelOptions options);
  absl::Status Resolve();

  std::vector<std::string> addresses_;
  ChannelOptions options_;
  std::mutex mu_;
  std::vector<Shard> shards_;  // GUARDED_BY(mu_)
  absl::Time resolved_at_;     // GUARDED_BY(mu_)
};

// Runs `call` with the pool's deadline and retries UNAVAILABLE with backoff.
absl::Status CallWithRetry(const ChannelOptions& options,
                           const std::function<grpc::Status(grpc::ClientContext*)>& call);

// A Queryable over all shards of a pool.
class RemoteStorage final : public storage::Queryable {
 public:
  explicit RemoteStorage(CollectorPool* pool) : pool_(pool) {}
  absl::StatusOr<std::unique_ptr<storage::Querier>> NewQuerier(model::Timestamp mint,
                                                               model::Timestamp maxt) override;

 private:
  CollectorPool* pool_;
};

// Writes through the collectors' Write RPC: what the alerter's rules record
// (recording rules, ALERTS, stale markers). Every shard receives every
// sample: with replicas each keeps a whole copy, and with shards the readers
// merge identical series, so both layouts answer the same. A Commit succeeds
// when at least one shard stored the batch; shards that failed are logged.
class RemoteWriter final : public storage::Appendable {
 public:
  explicit RemoteWriter(CollectorPool* pool) : pool_(pool) {}
  std::unique_ptr<storage::Appender> NewAppender() override;

 private:
  CollectorPool* pool_;
};

// Merges series lists from several shards: sorted by labels; series with
// identical labels are merged by timestamp (first value wins on ties).
std::vector<std::unique_ptr<storage::Series>> MergeShardSeries(
    std::vector<std::vector<std::pair<model::Labels, std::vector<model::Sample>>>> per_shard);

}  // namespace omni::rpc
