#include "libs/common/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace omni::common {

ThreadPool::ThreadPool(Options opts)
    : opts_{.max_threads = std::max(1, opts.max_threads), .idle_timeout = opts.idle_timeout} {}

ThreadPool::~ThreadPool() {
  std::unique_lock<std::mutex> l(mu_);
  stopping_ = true;
  work_cv_.notify_all();
  exit_cv_.wait(l, [&] { return threads_ == 0; });
}

void ThreadPool::Submit(std::function<void()> task) {
  std::lock_guard<std::mutex> l(mu_);
  queue_.push_back(std::move(task));
  // Every queued task beyond the idle threads wants a thread of its own.
  if (static_cast<int>(queue_.size()) > idle_ && threads_ < opts_.max_threads) {
    ++threads_;
    // Detached: the destructor waits on threads_ instead of joining, which
    // lets an idle thread retire on its own.
    std::thread([this] { WorkerLoop(); }).detach();
  } else {
    work_cv_.notify_one();
  }
}

int ThreadPool::Threads() const {
  std::lock_guard<std::mutex> l(mu_);
  return threads_;
}

int ThreadPool::IdleThreads() const {
  std::lock_guard<std::mutex> l(mu_);
  return idle_;
}

void ThreadPool::WorkerLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    if (!queue_.empty()) {
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      l.unlock();
      task();
      task = nullptr;  // destroy captures outside the lock
      l.lock();
      continue;
    }
    if (stopping_) break;
    ++idle_;
    bool woken = work_cv_.wait_for(l, absl::ToChronoNanoseconds(opts_.idle_timeout),
                                   [&] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (!woken) break;  // idle for the whole timeout: retire
  }
  --threads_;
  exit_cv_.notify_all();
}

}  // namespace omni::common
