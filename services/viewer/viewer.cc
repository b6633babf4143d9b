#include "services/viewer/viewer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/logging.h"
#include "grpcpp/create_channel.h"
#include "libs/httpapi/web_config.h"
#include "libs/rpc/convert.h"
#include "libs/rpc/credentials.h"
#include "libs/rules/rules_api.h"
#include "libs/rules/rules_proto.h"

namespace omni::viewer {

Viewer::Viewer(ViewerOptions options) : options_(std::move(options)) {}

Viewer::~Viewer() { Stop(); }

absl::Status Viewer::Start() {
  auto pool = rpc::CollectorPool::Create(options_.collectors, options_.channel);
  if (!pool.ok()) return pool.status();
  pool_ = std::move(*pool);
  storage_ = std::make_unique<rpc::RemoteStorage>(pool_.get());
  std::vector<std::string> shards;
  for (const auto& s : pool_->Shards()) shards.push_back(s.address);
  OMNI_LOG(kInfo, "rpc").Msg("Collector shards").Kv("shards", absl::StrJoin(shards, ","));

  selfmetrics::RegisterProcessMetrics(metrics_);
  selfmetrics::RegisterBuildInfo(metrics_, "omniscope_viewer_build_info",
                                 {options_.query.build_info.version, options_.query.build_info.revision,
                                  options_.query.build_info.branch});
  rpc::CollectorPool* p = pool_.get();
  metrics_.AddGaugeFunc("omniscope_viewer_collector_shards", "Collector shards the viewer queries.",
                        [p] { return static_cast<double>(p->Shards().size()); });

  promapi::PromApiOptions query_options = options_.query;
  if (options_.query_push_down) {
    push_down_ = std::make_unique<rpc::CollectorQueryPushDown>(pool_.get(), options_.collectors.size());
    query_options.push_down = push_down_.get();
    rpc::CollectorQueryPushDown* pd = push_down_.get();
    metrics_.AddCounterFunc("omniscope_viewer_query_push_downs_total",
                            "Queries sent whole to the single collector's gRPC Query (--query.push-down).",
                            [pd] { return static_cast<double>(pd->queries()); });
  }
  OMNI_LOG(kInfo, "query").Msg("Query push-down").Kv("enabled", push_down_ != nullptr && push_down_->Enabled());
  api_ = std::make_unique<promapi::PromApi>(storage_.get(), std::move(query_options));
  api_->Register(router_);
  if (!options_.alerter.empty()) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = rpc::ChannelCredentials(options_.alerter_channel);
    if (!creds.ok()) return creds.status();
    alerter_ = omniscope::v1::AlerterService::NewStub(grpc::CreateChannel(options_.alerter, *creds));
  }
  rules::RegisterRulesApi(&router_, [this]() -> absl::StatusOr<std::vector<rules::GroupSnapshot>> {
    if (alerter_ == nullptr) return std::vector<rules::GroupSnapshot>{};
    omniscope::v1::ListRulesResponse resp;
    absl::Status st = rpc::CallWithRetry(options_.alerter_channel, [&](grpc::ClientContext* ctx) {
      return alerter_->ListRules(ctx, omniscope::v1::ListRulesRequest(), &resp);
    });
    if (!st.ok()) return absl::UnavailableError(absl::StrCat("alerter ", options_.alerter, ": ", st.message()));
    return rules::RuleGroupsFromProto(resp);
  });
  router_.Handle({"GET", "HEAD"}, "/-/healthy", [](httpapi::Request&, httpapi::Response& resp) {
    resp.Send(200, "text/plain; charset=utf-8", "OmniScope Viewer is Healthy.\n");
  });
  router_.Handle({"GET", "HEAD"}, "/-/ready", [this](httpapi::Request&, httpapi::Response& resp) {
    if (ready_.load()) {
      resp.Send(200, "text/plain; charset=utf-8", "OmniScope Viewer is Ready.\n");
    } else {
      resp.Send(503, "text/plain; charset=utf-8", "Service Unavailable\n");
    }
  });
  router_.Get("/metrics", [this](httpapi::Request&, httpapi::Response& resp) {
    resp.Send(200, selfmetrics::kTextContentType, metrics_.ExpositionText());
  });

  httpapi::HttpServerOptions http_opts;
  http_opts.listen_address = options_.web_listen_address;
  http_opts.metrics_registry = &metrics_;
  http_opts.metrics_prefix = "omniscope_viewer";
  if (!options_.web_config_file.empty()) {
    auto wc = httpapi::LoadWebConfig(options_.web_config_file);
    if (!wc.ok()) return wc.status();
    http_opts.web_config = std::move(*wc);
  }
  http_ = std::make_unique<httpapi::HttpServer>(http_opts, &router_);
  absl::Status st = http_->Start();
  if (!st.ok()) return st;
  ready_.store(true);
  OMNI_LOG(kInfo, "web").Msg("Server is ready to receive web requests.");
  return absl::OkStatus();
}

void Viewer::Stop() {
  ready_.store(false);
  if (http_) http_->Stop();
}

}  // namespace omni::viewer
