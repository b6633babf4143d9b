// The --collector* flags of the daemons that read from (and, for the
// alerter, write to) the collectors over gRPC.
//
// Example:
//   CollectorFlags cf;
//   cf.Register(flags, "query");
//   ... flags.Parse(...) ...
//   OMNI_ASSIGN_OR_RETURN(auto pool, CollectorPool::Create(cf.addresses, cf.ToChannelOptions()));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "libs/common/flags.h"
#include "libs/rpc/remote_storage.h"

namespace omni::rpc {

struct CollectorFlags {
  std::vector<std::string> addresses;
  ChannelOptions channel;
  int64_t max_attempts = 3;

  // `purpose` completes the --collector help: "gRPC address of a collector to <purpose> (repeatable)...".
  void Register(common::FlagSet& flags, std::string_view purpose);
  ChannelOptions ToChannelOptions() const;
};

}  // namespace omni::rpc
