#pragma once
// Scheduler: in-process periodic tasks ("every 30 s", "0 2 * * *") driven by the Clock, so
// modules register their periodic work here instead of starting threads of their own, and
// tests move a FakeClock and call Tick() instead of sleeping.
//
// Tick() runs every task whose next run is due at clock.Now(), one after the other on the
// calling thread (the Runner's thread in production). A task that missed several periods (the
// process was paused, a task ran long) runs ONCE and is rescheduled to its next period after
// now: the scheduler catches up by skipping, never by repeating. `Every` tasks keep their
// phase (start + k * interval); `Cron` tasks take the cron expression's next minute after now.
// Task failures (a non-OK status or an exception) are counted, reported to the failure
// callback and never propagate.
//
// Every instance of trustd runs its own scheduler. Work that must happen once per period
// across a cluster should be a task that enqueues a job with an idempotency key naming the
// period (see JobQueue), not the work itself.
// Thread-safety: all methods are safe from any thread. Tasks run without the scheduler's lock
// held, so a task may call Tasks(); a task is never run by two Tick() calls at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/clock.h"
#include "jobs/cron.h"

namespace tf::jobs {

//! One task as /health/detailed shows it.
struct TaskStatus {
  std::string name;
  std::string schedule;             //!< "every 30s" or the cron text
  SysTime next_run;                 //!< CronExpr::kNever when it will not run again
  std::optional<SysTime> last_run;  //!< when the last run started
  std::string last_error;           //!< the last run's error; empty when it succeeded
  int64_t runs = 0;                 //!< runs started, failed ones included
  int64_t failures = 0;             //!< runs that returned an error or threw
  bool running = false;             //!< a Tick() is running it right now
};

struct SchedulerOptions {
  //! Called (on the ticking thread) for each failed run; should log it. May be empty.
  std::function<void(std::string_view task_name, const absl::Status& error)> on_failure;
};

class Scheduler {
 public:
  using Task = std::function<absl::Status()>;

  explicit Scheduler(const Clock& clock, SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  //! Runs `task` every `interval`, first at Now() + interval. InvalidArgument for an empty
  //! name, a null task or a non-positive interval; AlreadyExists when the name is taken.
  [[nodiscard]] absl::Status Every(std::string name, std::chrono::microseconds interval, Task task);

  //! Runs `task` at each minute matching the cron expression `expr` (UTC), first at the next
  //! matching minute after Now(). InvalidArgument for a bad expression (the message names the
  //! field), an empty name or a null task; AlreadyExists when the name is taken.
  [[nodiscard]] absl::Status Cron(std::string name, std::string_view expr, Task task);

  //! Runs every task due at clock.Now() once; returns how many ran (failed ones included).
  int Tick();

  //! The earliest next run of any task, or nullopt when there are none (lets a runner sleep).
  std::optional<SysTime> NextDue() const;

  //! Every task's status, sorted by name.
  std::vector<TaskStatus> Tasks() const;

 private:
  struct Entry;

  [[nodiscard]] absl::Status Add(std::unique_ptr<Entry> entry);

  const Clock& clock_;
  SchedulerOptions options_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_; entries are never removed
};

}  // namespace tf::jobs
