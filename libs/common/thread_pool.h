#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

#include "absl/time/time.h"

namespace omni::common {

// Runs tasks on at most `max_threads` threads, started on demand. A burst of
// work reuses warm threads (and whatever they cache, such as an HTTP
// connection) instead of paying for a new thread per task; a thread idle for
// `idle_timeout` exits, so a quiet daemon holds none. Tasks beyond
// `max_threads` wait in FIFO order.
class ThreadPool {
 public:
  struct Options {
    int max_threads = 64;  // values below 1 count as 1
    absl::Duration idle_timeout = absl::Minutes(5);
  };

  explicit ThreadPool(Options opts);
  ThreadPool() : ThreadPool(Options{}) {}
  // Runs every task already submitted, then waits for the threads to exit.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);

  // Threads alive right now (busy or idle); for tests and metrics.
  int Threads() const;
  // Threads waiting for work right now.
  int IdleThreads() const;

 private:
  void WorkerLoop();

  const Options opts_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable exit_cv_;
  std::deque<std::function<void()>> queue_;
  int threads_ = 0;
  int idle_ = 0;
  bool stopping_ = false;
};

}  // namespace omni::common
