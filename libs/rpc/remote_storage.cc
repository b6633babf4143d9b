#include "libs/rpc/remote_storage.h"

#include <netdb.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/logging.h"
#include "libs/rpc/convert.h"
#include "libs/rpc/credentials.h"

namespace omni::rpc {
namespace {

// Splits "host:port" (host may be [v6]).
bool SplitHostPort(const std::string& addr, std::string* host, std::string* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return false;
  *host = addr.substr(0, colon);
  *port = addr.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return !host->empty() && !port->empty();
}

absl::StatusOr<std::vector<std::string>> ResolveAll(const std::string& hostport) {
  std::string host, port;
  if (!SplitHostPort(hostport, &host, &port)) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", hostport, "\" is not host:port"));
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("resolving ", host, ": ", gai_strerror(rc)));
  }
  std::set<std::string> out;
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (p->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, buf, sizeof(buf));
      out.insert(absl::StrCat(buf, ":", port));
    } else if (p->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, buf, sizeof(buf));
      out.insert(absl::StrCat("[", buf, "]:", port));
    }
  }
  freeaddrinfo(res);
  return std::vector<std::string>(out.begin(), out.end());
}

using ShardSeries = std::vector<std::pair<model::Labels, std::vector<model::Sample>>>;

class RemoteQuerier final : public storage::Querier {
 public:
  RemoteQuerier(CollectorPool* pool, model::Timestamp mint, model::Timestamp maxt)
      : pool_(pool), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                             const std::vector<model::Matcher>& matchers) override {
    omniscope::v1::SelectRequest req;
    req.set_start_ms(std::max(hints.start, mint_));
    req.set_end_ms(std::min(hints.end, maxt_));
    req.set_step_ms(hints.step_ms);
    req.set_func(hints.func);
    req.set_range_ms(hints.range_ms);
    req.set_series_only(hints.series_only);
    req.set_raw_samples(true);
    MatchersToProto(matchers, req.mutable_matchers());

    auto shards = pool_->Shards();
    std::vector<std::future<absl::StatusOr<ShardSeries>>> futures;
    for (const auto& shard : shards) {
      futures.push_back(std::async(std::launch::async, [this, shard, &req]() -> absl::StatusOr<ShardSeries> {
        ShardSeries out;
        absl::Status st = CallWithRetry(pool_->options(), [&](grpc::ClientContext* ctx) {
          out.clear();
          auto reader = shard.stub->Select(ctx, req);
          omniscope::v1::SelectResponse resp;
          while (reader->Read(&resp)) {
            for (const auto& s : resp.series()) {
              std::vector<model::Sample> samples;
              samples.reserve(s.samples_size());
              for (const auto& p : s.samples()) samples.push_back({p.timestamp_ms(), p.value()});
              out.emplace_back(LabelsFromProto(s.labels()), std::move(samples));
            }
          }
          return reader->Finish();
        });
        if (!st.ok()) {
          return absl::Status(st.code(), absl::StrCat("collector ", shard.address, ": ", st.message()));
        }
        return out;
      }));
    }
    std::vector<ShardSeries> per_shard;
    for (auto& f : futures) {
      auto r = f.get();
      if (!r.ok()) return storage::NewErrorSeriesSet(r.status());
      per_shard.push_back(std::move(*r));
    }
    (void)sorted;  // always sorted: merging needs it anyway
    return storage::NewVectorSeriesSet(MergeShardSeries(std::move(per_shard)));
  }

  absl::StatusOr<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<model::Matcher>& matchers) override {
    omniscope::v1::LabelValuesRequest req;
    req.set_name(name);
    req.set_start_ms(mint_);
    req.set_end_ms(maxt_);
    MatchersToProto(matchers, req.mutable_matchers());
    return FanOutStrings([&](CollectorPool::Stub& stub, grpc::ClientContext* ctx, std::vector<std::string>* out) {
      omniscope::v1::LabelValuesResponse resp;
      grpc::Status st = stub.LabelValues(ctx, req, &resp);
      out->assign(resp.values().begin(), resp.values().end());
      return st;
    });
  }

  absl::StatusOr<std::vector<std::string>> LabelNames(
      const std::vector<model::Matcher>& matchers) override {
    omniscope::v1::LabelNamesRequest req;
    req.set_start_ms(mint_);
    req.set_end_ms(maxt_);
    MatchersToProto(matchers, req.mutable_matchers());
    return FanOutStrings([&](CollectorPool::Stub& stub, grpc::ClientContext* ctx, std::vector<std::string>* out) {
      omniscope::v1::LabelNamesResponse resp;
      grpc::Status st = stub.LabelNames(ctx, req, &resp);
      out->assign(resp.names().begin(), resp.names().end());
      return st;
    });
  }

 private:
  using StringsCall =
      std::function<grpc::Status(CollectorPool::Stub&, grpc::ClientContext*, std::vector<std::string>*)>;

  // Calls every shard and returns the sorted union of their string lists.
  absl::StatusOr<std::vector<std::string>> FanOutStrings(const StringsCall& call) {
    auto shards = pool_->Shards();
    std::vector<std::future<absl::StatusOr<std::vector<std::string>>>> futures;
    for (const auto& shard : shards) {
      futures.push_back(std::async(std::launch::async, [this, shard, &call]() -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> out;
        absl::Status st = CallWithRetry(pool_->options(),
                                        [&](grpc::ClientContext* ctx) { return call(*shard.stub, ctx, &out); });
        if (!st.ok()) return absl::Status(st.code(), absl::StrCat("collector ", shard.address, ": ", st.message()));
        return out;
      }));
    }
    std::set<std::string> merged;
    for (auto& f : futures) {
      auto r = f.get();
      if (!r.ok()) return r.status();
      merged.insert(r->begin(), r->end());
    }
    return std::vector<std::string>(merged.begin(), merged.end());
  }

  CollectorPool* pool_;
  model::Timestamp mint_;
  model::Timestamp maxt_;
};

}  // namespace

absl::Status CallWithRetry(const ChannelOptions& options,
                           const std::function<grpc::Status(grpc::ClientContext*)>& call) {
  absl::Duration backoff = options.initial_backoff;
  absl::Status last;
  for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(absl::ToInt64Milliseconds(options.timeout)));
    last = FromGrpcStatus(call(&ctx));
    if (last.code() != absl::StatusCode::kUnavailable) return last;
    if (attempt < options.max_attempts) {
      // Backoff between attempts against a shard that is restarting; this is
      // a retry delay, not a wait for time in tests.
      std::this_thread::sleep_for(std::chrono::milliseconds(absl::ToInt64Milliseconds(backoff)));
      backoff *= 2;
    }
  }
  return last;
}

CollectorPool::CollectorPool(std::vector<std::string> addresses, ChannelOptions options)
    : addresses_(std::move(addresses)), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<CollectorPool>> CollectorPool::Create(std::vector<std::string> addresses,
                                                                     ChannelOptions options) {
  if (addresses.empty()) return absl::InvalidArgumentError("no collector address given");
  std::unique_ptr<CollectorPool> pool(new CollectorPool(std::move(addresses), std::move(options)));
  std::lock_guard<std::mutex> lock(pool->mu_);
  absl::Status st = pool->Resolve();
  if (!st.ok()) return st;
  return pool;
}

absl::Status CollectorPool::Resolve() {
  auto creds = ChannelCredentials(options_);
  if (!creds.ok()) return creds.status();
  std::vector<std::string> resolved;
  for (const std::string& a : addresses_) {
    if (absl::StartsWith(a, "dns+")) {
      auto all = ResolveAll(a.substr(4));
      if (!all.ok()) return all.status();
      resolved.insert(resolved.end(), all->begin(), all->end());
    } else {
      resolved.push_back(a);
    }
  }
  std::vector<Shard> shards;
  for (const std::string& addr : resolved) {
    auto existing = std::find_if(shards_.begin(), shards_.end(),
                                 [&](const Shard& s) { return s.address == addr; });
    if (existing != shards_.end()) {
      shards.push_back(*existing);
      continue;
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    auto channel = grpc::CreateCustomChannel(addr, *creds, args);
    shards.push_back(Shard{addr, std::shared_ptr<Stub>(omniscope::v1::CollectorService::NewStub(channel))});
  }
  shards_ = std::move(shards);
  resolved_at_ = absl::Now();
  return absl::OkStatus();
}

std::vector<CollectorPool::Shard> CollectorPool::Shards() {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Now() - resolved_at_ > options_.resolve_interval) {
    absl::Status st = Resolve();
    if (!st.ok()) {
      // Keep the last known shards: a DNS hiccup must not empty the pool.
      OMNI_LOG(kWarn, "rpc").Msg("Re-resolving collectors failed").Kv("err", st);
      resolved_at_ = absl::Now();
    }
  }
  return shards_;
}

absl::StatusOr<std::unique_ptr<storage::Querier>> RemoteStorage::NewQuerier(model::Timestamp mint,
                                                                            model::Timestamp maxt) {
  return std::unique_ptr<storage::Querier>(new RemoteQuerier(pool_, mint, maxt));
}

std::vector<std::unique_ptr<storage::Series>> MergeShardSeries(std::vector<ShardSeries> per_shard) {
  ShardSeries all;
  for (auto& s : per_shard) {
    for (auto& e : s) all.push_back(std::move(e));
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::unique_ptr<storage::Series>> out;
  for (size_t i = 0; i < all.size();) {
    size_t j = i + 1;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    std::vector<model::Sample> samples = std::move(all[i].second);
    if (j > i + 1) {
      for (size_t k = i + 1; k < j; ++k) {
        std::vector<model::Sample> merged;
        merged.reserve(samples.size() + all[k].second.size());
        auto a = samples.begin(), b = all[k].second.begin();
        while (a != samples.end() || b != all[k].second.end()) {
          if (b == all[k].second.end() || (a != samples.end() && a->t <= b->t)) {
            if (b != all[k].second.end() && a->t == b->t) ++b;  // duplicate timestamp: first wins
            merged.push_back(*a++);
          } else {
            merged.push_back(*b++);
          }
        }
        samples = std::move(merged);
      }
    }
    out.push_back(storage::NewListSeries(std::move(all[i].first), std::move(samples)));
    i = j;
  }
  return out;
}

namespace {

// Buffers a batch; Commit sends it to every shard.
class RemoteAppender final : public storage::Appender {
 public:
  explicit RemoteAppender(CollectorPool* pool) : pool_(pool) {}

  absl::StatusOr<storage::SeriesRef> Append(storage::SeriesRef, const model::Labels& labels, model::Timestamp t,
                                            double v) override {
    omniscope::v1::TimeSeries* ts = request_.add_series();
    LabelsToProto(labels, ts->mutable_labels());
    omniscope::v1::Sample* s = ts->add_samples();
    s->set_timestamp_ms(t);
    s->set_value(v);
    return 0;
  }

  absl::Status Commit() override {
    if (request_.series_size() == 0) return absl::OkStatus();
    std::vector<CollectorPool::Shard> shards = pool_->Shards();
    if (shards.empty()) return absl::UnavailableError("no collector to write to");
    std::string errors;
    int stored = 0;
    for (const CollectorPool::Shard& shard : shards) {
      omniscope::v1::WriteResponse resp;
      absl::Status st = CallWithRetry(pool_->options(), [&](grpc::ClientContext* ctx) {
        return shard.stub->Write(ctx, request_, &resp);
      });
      if (st.ok()) {
        ++stored;
        continue;
      }
      OMNI_LOG(kWarn, "rpc").Msg("Writing to collector failed").Kv("collector", shard.address).Kv("err", st);
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", shard.address, ": ", st.message());
    }
    request_.Clear();
    if (stored == 0) return absl::UnavailableError(absl::StrCat("no collector stored the samples: ", errors));
    return absl::OkStatus();
  }

  void Rollback() override { request_.Clear(); }

 private:
  CollectorPool* pool_;
  omniscope::v1::WriteRequest request_;
};

}  // namespace

std::unique_ptr<storage::Appender> RemoteWriter::NewAppender() { return std::make_unique<RemoteAppender>(pool_); }

}  // namespace omni::rpc
