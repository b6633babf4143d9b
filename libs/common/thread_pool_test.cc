#include "libs/common/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "catch2/catch.hpp"

namespace omni::common {
namespace {

TEST_CASE("ThreadPool runs every task, on no more than max_threads threads", "[thread_pool]") {
  std::atomic<int> done{0};
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  {
    ThreadPool pool({.max_threads = 3});
    for (int i = 0; i < 200; ++i) {
      pool.Submit([&] {
        int now = ++running;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        --running;
        ++done;
      });
    }
    REQUIRE(pool.Threads() <= 3);
  }  // the destructor drains the queue
  REQUIRE(done.load() == 200);
  REQUIRE(peak.load() <= 3);
}

TEST_CASE("ThreadPool starts a new thread when every thread is busy", "[thread_pool]") {
  // Two tasks that each wait for the other can only finish if they run at
  // the same time, so this deadlocks unless the pool grows.
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  auto rendezvous = [&] {
    std::unique_lock<std::mutex> l(mu);
    ++arrived;
    cv.notify_all();
    cv.wait(l, [&] { return arrived == 2; });
  };
  ThreadPool pool({.max_threads = 2});
  pool.Submit(rendezvous);
  pool.Submit(rendezvous);
  std::unique_lock<std::mutex> l(mu);
  REQUIRE(cv.wait_for(l, std::chrono::seconds(30), [&] { return arrived == 2; }));
}

TEST_CASE("ThreadPool reuses an idle thread instead of starting another", "[thread_pool]") {
  ThreadPool pool({.max_threads = 8});
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) {
    pool.Submit([&] { ++ran; });
    // Wait (bounded) until the task ran and its thread is idle again.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((ran.load() != i + 1 || pool.IdleThreads() != pool.Threads()) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  }
  REQUIRE(ran.load() == 50);
  REQUIRE(pool.Threads() == 1);
}

TEST_CASE("ThreadPool threads retire after the idle timeout", "[thread_pool]") {
  ThreadPool pool({.max_threads = 4, .idle_timeout = absl::Milliseconds(1)});
  std::atomic<bool> ran{false};
  pool.Submit([&] { ran = true; });
  // Bounded poll: the only way Threads() returns to 0 is the idle exit.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((pool.Threads() != 0 || !ran) && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(ran.load());
  REQUIRE(pool.Threads() == 0);
}

}  // namespace
}  // namespace omni::common
