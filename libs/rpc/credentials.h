// gRPC credentials from PEM files: the daemons' optional TLS on gRPC
// (collector and alerter servers; clients in the viewer and the alerter).
//
// Example:
//   OMNI_ASSIGN_OR_RETURN(auto creds, ServerCredentials({.cert_file = c, .key_file = k}));
//   builder.AddListeningPort(addr, creds, &port);
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "libs/rpc/remote_storage.h"

namespace omni::rpc {

struct ServerTlsOptions {
  std::string cert_file;       // empty: plaintext
  std::string key_file;
  std::string client_ca_file;  // set: clients must present a certificate signed by it
};

// Insecure credentials without a certificate; TLS (and mutual TLS with a
// client CA) otherwise. Errors name the file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const ServerTlsOptions& tls);

// Insecure credentials without tls_ca_file; TLS verified against that CA
// (with a client certificate when tls_cert_file is set) otherwise.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const ChannelOptions& options);

}  // namespace omni::rpc
