// ScrapeScheduler runs periodic tasks (one per scrape loop) on a small pool of
// worker threads driven by one timer thread, so that hundreds of targets do
// not need hundreds of OS threads. Each task runs at the wall-clock times t
// with t % interval == offset, never twice at once; a run that overruns skips
// the missed slots.
//
// Example:
//   ScrapeScheduler sched(/*workers=*/8);
//   auto id = sched.Add(absl::Seconds(15), target->Offset(absl::Seconds(15), seed),
//                       [&](absl::Time now) { loop.ScrapeOnce(now); });
//   sched.Remove(id);   // waits for a running scrape to finish
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace omni::scrape {

class ScrapeScheduler {
 public:
  using TaskId = uint64_t;
  // `worker_nice` (0..19) is added to the workers' niceness: scrapes then
  // yield to query threads when the cores are busy.
  explicit ScrapeScheduler(int workers, int worker_nice = 0);
  ~ScrapeScheduler();  // Stop()

  // Schedules `fn(now)` every `interval` (> 0), first at the next time t >= now
  // with t % interval == offset % interval. Thread-safe.
  TaskId Add(absl::Duration interval, absl::Duration offset, std::function<void(absl::Time)> fn);
  // Cancels a task; if it is running, waits until that run returns. Must not
  // be called from inside the task. Unknown ids are ignored. Thread-safe.
  void Remove(TaskId id);
  // Cancels everything and joins the threads. Idempotent.
  void Stop();

  // Number of runs started so far (for tests and self-metrics).
  uint64_t runs() const;

 private:
  struct Task {
    absl::Duration interval;
    absl::Duration offset;
    std::function<void(absl::Time)> fn;
    absl::Time next;
    bool running = false;
    bool queued = false;
  };
  static absl::Time NextAligned(absl::Time after, absl::Duration interval, absl::Duration offset);
  void TimerLoop();
  void WorkerLoop(int nice);

  mutable std::mutex mu_;
  std::condition_variable timer_cv_, work_cv_, done_cv_;
  std::map<TaskId, Task> tasks_;
  // (next run, id); stale entries (task removed or rescheduled) are skipped.
  std::priority_queue<std::pair<absl::Time, TaskId>, std::vector<std::pair<absl::Time, TaskId>>,
                      std::greater<>> heap_;
  std::deque<TaskId> ready_;
  TaskId next_id_ = 1;
  uint64_t runs_ = 0;
  bool stopping_ = false;
  std::thread timer_;
  std::vector<std::thread> workers_;
};

}  // namespace omni::scrape
