#include "libs/common/glob.h"

#include <glob.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace omni::common {

absl::StatusOr<std::vector<std::string>> GlobFiles(std::string_view pattern) {
  const std::string pat(pattern);
  glob_t g{};
  const int rc = ::glob(pat.c_str(), 0, nullptr, &g);
  std::vector<std::string> paths;
  if (rc == 0) paths.assign(g.gl_pathv, g.gl_pathv + g.gl_pathc);
  globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return absl::InternalError(absl::StrCat("glob ", pat, ": error ", rc));
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace omni::common
