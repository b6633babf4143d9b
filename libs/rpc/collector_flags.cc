#include "libs/rpc/collector_flags.h"

#include "absl/strings/str_cat.h"

namespace omni::rpc {

void CollectorFlags::Register(common::FlagSet& flags, std::string_view purpose) {
  flags.StringList("collector",
                   absl::StrCat("gRPC address of a collector to ", std::string(purpose),
                                " (repeatable); dns+host:port uses every address of host."),
                   &addresses);
  flags.Duration("collector.timeout", "Deadline of each gRPC call to a collector.", &channel.timeout);
  flags.Int("collector.max-attempts", "Attempts for gRPC calls that fail with UNAVAILABLE.", &max_attempts);
  flags.String("collector.tls-ca-file", "CA for TLS to the collectors (enables TLS).", &channel.tls_ca_file);
  flags.String("collector.tls-cert-file", "Client certificate for mTLS to the collectors.", &channel.tls_cert_file);
  flags.String("collector.tls-key-file", "Client key for mTLS to the collectors.", &channel.tls_key_file);
}

ChannelOptions CollectorFlags::ToChannelOptions() const {
  ChannelOptions out = channel;
  out.max_attempts = static_cast<int>(max_attempts);
  return out;
}

}  // namespace omni::rpc
