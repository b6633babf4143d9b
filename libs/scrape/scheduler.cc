#include "libs/scrape/scheduler.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "libs/common/logging.h"
#include "libs/common/thread_priority.h"

namespace omni::scrape {

ScrapeScheduler::ScrapeScheduler(int workers, int worker_nice) {
  timer_ = std::thread([this] { TimerLoop(); });
  for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this, worker_nice] { WorkerLoop(worker_nice); });
}

ScrapeScheduler::~ScrapeScheduler() { Stop(); }

absl::Time ScrapeScheduler::NextAligned(absl::Time after, absl::Duration interval,
                                        absl::Duration offset) {
  int64_t iv = absl::ToInt64Nanoseconds(interval);
  int64_t off = absl::ToInt64Nanoseconds(offset) % iv;
  int64_t now = absl::ToUnixNanos(after);
  int64_t base = now - ((now % iv) + iv) % iv;  // floor to interval
  int64_t t = base + off;
  if (t < now) t += iv;
  return absl::FromUnixNanos(t);
}

ScrapeScheduler::TaskId ScrapeScheduler::Add(absl::Duration interval, absl::Duration offset,
                                             std::function<void(absl::Time)> fn) {
  if (interval <= absl::ZeroDuration()) interval = absl::Seconds(1);
  std::lock_guard<std::mutex> lock(mu_);
  TaskId id = next_id_++;
  Task& t = tasks_[id];
  t.interval = interval;
  t.offset = offset;
  t.fn = std::move(fn);
  t.next = NextAligned(absl::Now(), interval, offset);
  heap_.push({t.next, id});
  timer_cv_.notify_one();
  return id;
}

void ScrapeScheduler::Remove(TaskId id) {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] {
    auto it = tasks_.find(id);
    return it == tasks_.end() || !it->second.running;
  });
  tasks_.erase(id);
}

void ScrapeScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  timer_cv_.notify_all();
  work_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& w : workers_) w.join();
  workers_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  tasks_.clear();
}

uint64_t ScrapeScheduler::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

void ScrapeScheduler::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (heap_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    auto [when, id] = heap_.top();
    absl::Time now = absl::Now();
    if (when > now) {
      timer_cv_.wait_for(lock, absl::ToChronoNanoseconds(when - now));
      continue;
    }
    heap_.pop();
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second.next != when || it->second.queued || it->second.running) continue;
    it->second.queued = true;
    ready_.push_back(id);
    work_cv_.notify_one();
  }
}

void ScrapeScheduler::WorkerLoop(int nice) {
  if (absl::Status st = common::LowerCurrentThreadPriority(nice); !st.ok()) {
    OMNI_LOG(kWarn, "scrape").Msg("Cannot lower the scrape worker's priority").Kv("err", st);
  }
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
    if (stopping_) return;
    TaskId id = ready_.front();
    ready_.pop_front();
    auto it = tasks_.find(id);
    if (it == tasks_.end()) continue;
    Task& task = it->second;
    task.queued = false;
    task.running = true;
    ++runs_;
    auto fn = task.fn;  // the task may be removed while running; keep a copy
    lock.unlock();
    fn(absl::Now());
    lock.lock();
    it = tasks_.find(id);
    if (it != tasks_.end()) {
      Task& t = it->second;
      t.running = false;
      absl::Time next = t.next + t.interval;
      absl::Time now = absl::Now();
      if (next <= now) next = NextAligned(now, t.interval, t.offset);
      t.next = next;
      // The timer sleeps until the earliest entry; wake it only when this one
      // is earlier (otherwise every scrape would cost two more context switches).
      bool earlier = heap_.empty() || next < heap_.top().first;
      heap_.push({next, id});
      if (earlier) timer_cv_.notify_one();
    }
    done_cv_.notify_all();
  }
}

}  // namespace omni::scrape
