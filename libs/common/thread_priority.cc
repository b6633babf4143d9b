#include "libs/common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace omni::common {
namespace {

id_t CurrentTid() { return static_cast<id_t>(syscall(SYS_gettid)); }

}  // namespace

int CurrentThreadNice() { return getpriority(PRIO_PROCESS, CurrentTid()); }

absl::Status LowerCurrentThreadPriority(int nice_increment) {
  if (nice_increment < 0 || nice_increment > 19) {
    return absl::InvalidArgumentError(absl::StrCat("nice increment ", nice_increment, " is outside 0..19"));
  }
  if (nice_increment == 0) return absl::OkStatus();
  int target = std::min(19, CurrentThreadNice() + nice_increment);
  if (setpriority(PRIO_PROCESS, CurrentTid(), target) != 0) {
    return absl::InternalError(absl::StrCat("setpriority(", target, "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace omni::common
