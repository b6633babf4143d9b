// File name patterns (POSIX glob(3), as Go's filepath.Glob for the patterns
// configuration files use): rule_files, file_sd_configs and template files.
//
// Example:
//   OMNI_ASSIGN_OR_RETURN(std::vector<std::string> paths, GlobFiles("rules/*.yml"));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace omni::common {

// The paths matching `pattern`, sorted; empty when nothing matches. An
// error only when glob(3) itself fails (a read error, out of memory).
absl::StatusOr<std::vector<std::string>> GlobFiles(std::string_view pattern);

}  // namespace omni::common
