// The alerter's gRPC API (omniscope.v1.AlerterService, see
// proto/omniscope/v1/alerter.proto) over an Alerter.
#pragma once

#include "omniscope/v1/alerter.grpc.pb.h"

namespace omni::alerter {

class Alerter;

class AlerterServiceImpl final : public omniscope::v1::AlerterService::Service {
 public:
  explicit AlerterServiceImpl(Alerter* alerter) : a_(alerter) {}

  grpc::Status PushAlerts(grpc::ServerContext*, const omniscope::v1::PushAlertsRequest* req,
                          omniscope::v1::PushAlertsResponse* resp) override;
  grpc::Status ListAlerts(grpc::ServerContext*, const omniscope::v1::ListAlertsRequest* req,
                          omniscope::v1::ListAlertsResponse* resp) override;
  grpc::Status ListGroups(grpc::ServerContext*, const omniscope::v1::ListGroupsRequest* req,
                          omniscope::v1::ListGroupsResponse* resp) override;
  grpc::Status ListRules(grpc::ServerContext*, const omniscope::v1::ListRulesRequest* req,
                         omniscope::v1::ListRulesResponse* resp) override;
  grpc::Status GetSilences(grpc::ServerContext*, const omniscope::v1::GetSilencesRequest* req,
                           omniscope::v1::GetSilencesResponse* resp) override;
  grpc::Status CreateSilence(grpc::ServerContext*, const omniscope::v1::CreateSilenceRequest* req,
                             omniscope::v1::CreateSilenceResponse* resp) override;
  grpc::Status ExpireSilence(grpc::ServerContext*, const omniscope::v1::ExpireSilenceRequest* req,
                             omniscope::v1::ExpireSilenceResponse* resp) override;
  grpc::Status Status(grpc::ServerContext*, const omniscope::v1::StatusRequest* req,
                      omniscope::v1::StatusResponse* resp) override;
  grpc::Status Explain(grpc::ServerContext*, const omniscope::v1::ExplainRequest* req,
                       omniscope::v1::ExplainResponse* resp) override;

 private:
  Alerter* a_;
};

}  // namespace omni::alerter
