#include "libs/common/thread_priority.h"

#include <catch2/catch.hpp>
#include <thread>

namespace omni::common {
namespace {

TEST_CASE("LowerCurrentThreadPriority changes only the calling thread", "[unit][common]") {
  int before = CurrentThreadNice();
  int inside = 0;
  absl::Status st;
  std::thread t([&] {
    st = LowerCurrentThreadPriority(5);
    inside = CurrentThreadNice();
  });
  t.join();
  REQUIRE(st.ok());
  CHECK(inside == std::min(19, before + 5));
  CHECK(CurrentThreadNice() == before);
  CHECK(LowerCurrentThreadPriority(0).ok());
  CHECK(CurrentThreadNice() == before);
  CHECK(LowerCurrentThreadPriority(-1).code() == absl::StatusCode::kInvalidArgument);
  CHECK(LowerCurrentThreadPriority(20).code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace omni::common
