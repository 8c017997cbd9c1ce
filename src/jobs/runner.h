#pragma once
// Runner: the one background thread that drives a Scheduler and a JobQueue, so no module
// starts threads of its own for periodic or queued work.
//
// Until Stop(), the thread repeatedly calls scheduler.Tick() and then queue.RunDue(1) until no
// job is due (at most max_jobs_per_poll jobs per poll; when that limit is hit it polls again
// at once), then sleeps for poll_interval or until Wake()/Stop(). Real time is used only for
// that sleep; every decision about what is due comes from the Clock given to the scheduler
// and the queue. Errors from RunDue (store failures) go to on_error and the loop carries on.
//
// Stop() is graceful: it wakes the thread, lets the task or job in flight finish, runs no
// further work and joins the thread. It returns as soon as the in-flight work is done, not
// after a poll interval.
// Thread-safety: Start, Stop and Wake are safe from any thread except the runner's own (a
// task or handler must not call Stop: it would wait for itself; it only requests the stop).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "jobs/job_queue.h"
#include "jobs/lease.h"
#include "jobs/scheduler.h"

namespace tf::jobs {

struct RunnerOptions {
  std::chrono::milliseconds poll_interval{1000};
  //! Jobs run per poll before the scheduler gets another Tick.
  int max_jobs_per_poll = 32;
  //! Called with store errors from RunDue; should log. May be empty.
  std::function<void(const absl::Status&)> on_error;
  //! When set, the scheduler ticks only while this lease is held (several instances on one
  //! database run each periodic task once); the lease is released on Stop. Jobs run on every
  //! instance either way: each job has a lease of its own.
  Lease* scheduler_lease = nullptr;
};

class Runner {
 public:
  //! Either of `scheduler` and `queue` may be null. Both must outlive the Runner.
  Runner(Scheduler* scheduler, JobQueue* queue, RunnerOptions options = {});
  //! Stops the thread if it is running.
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  //! Starts the thread. FailedPrecondition when already started (a stopped Runner can start
  //! again).
  [[nodiscard]] absl::Status Start();

  //! Asks the thread to stop, waits for the work in flight and joins. Idempotent.
  void Stop();

  //! Makes the thread poll now instead of at the end of its sleep (e.g. after an Enqueue).
  void Wake();

  //! Completed polls since construction (for tests and health output).
  int64_t polls() const;

 private:
  void Loop();
  //! One poll; false when a stop was requested in the middle of it.
  bool PollOnce();
  bool StopRequested() const;
  //! Whether this instance runs the periodic tasks now (holds the scheduler lease).
  bool MayTick();

  Scheduler* scheduler_;
  JobQueue* queue_;
  RunnerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;  // guarded by mu_
  bool wake_requested_ = false;  // guarded by mu_
  int64_t polls_ = 0;            // guarded by mu_

  std::mutex lifecycle_mu_;  // serialises Start and Stop
  std::thread thread_;
  std::atomic<std::thread::id> loop_thread_id_{};
};

}  // namespace tf::jobs
