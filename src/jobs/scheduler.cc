#include "jobs/scheduler.h"

#include <algorithm>
#include <exception>

#include "core/clock.h"
#include "core/status.h"
#include "core/strings.h"

namespace tf::jobs {

namespace {

//! "30s", "1h30m", "250ms".
std::string FormatInterval(std::chrono::microseconds d) {
  int64_t us = d.count();
  struct Unit {
    int64_t micros;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {
      {kMicrosPerHour, "h"}, {kMicrosPerMinute, "m"}, {kMicrosPerSecond, "s"}, {1'000, "ms"}, {1, "us"}};
  std::string out;
  for (const Unit& unit : kUnits) {
    if (us >= unit.micros) {
      StrAppend(&out, us / unit.micros, unit.suffix);
      us %= unit.micros;
    }
  }
  return out;
}

absl::Status RunGuarded(const Scheduler::Task& task) {
  try {
    return task();
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("task threw an exception: ", e.what()));
  } catch (...) {
    return absl::InternalError("task threw a non-standard exception");
  }
}

absl::Status ValidateNameAndTask(const std::string& name, const Scheduler::Task& task) {
  if (name.empty()) return absl::InvalidArgumentError("a scheduled task needs a name");
  if (!task) return absl::InvalidArgumentError(StrCat("scheduled task ", name, " has no function"));
  return absl::OkStatus();
}

}  // namespace

struct Scheduler::Entry {
  std::string name;
  std::string schedule;
  Task task;
  std::optional<CronExpr> cron;         //!< set for Cron tasks
  std::chrono::microseconds interval{};  //!< set for Every tasks
  SysTime next_run;
  std::optional<SysTime> last_run;
  std::string last_error;
  int64_t runs = 0;
  int64_t failures = 0;
  bool running = false;

  //! Moves next_run to the first scheduled time strictly after `now`.
  void Reschedule(SysTime now) {
    if (cron) {
      next_run = cron->Next(now);
      return;
    }
    if (next_run <= now) {
      int64_t missed = (now - next_run) / interval;
      next_run += interval * (missed + 1);
    }
  }
};

Scheduler::Scheduler(const Clock& clock, SchedulerOptions options)
    : clock_(clock), options_(std::move(options)) {}

Scheduler::~Scheduler() = default;

absl::Status Scheduler::Every(std::string name, std::chrono::microseconds interval, Task task) {
  TF_RETURN_IF_ERROR(ValidateNameAndTask(name, task));
  if (interval.count() <= 0) {
    return absl::InvalidArgumentError(
        StrCat("scheduled task ", name, " needs a positive interval"));
  }
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->schedule = StrCat("every ", FormatInterval(interval));
  entry->task = std::move(task);
  entry->interval = interval;
  entry->next_run = clock_.Now() + interval;
  return Add(std::move(entry));
}

absl::Status Scheduler::Cron(std::string name, std::string_view expr, Task task) {
  TF_RETURN_IF_ERROR(ValidateNameAndTask(name, task));
  absl::StatusOr<CronExpr> cron = CronExpr::Parse(expr);
  if (!cron.ok()) {
    return absl::InvalidArgumentError(
        StrCat("scheduled task ", name, ": ", cron.status().message()));
  }
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->schedule = cron->text();
  entry->task = std::move(task);
  entry->next_run = cron->Next(clock_.Now());
  entry->cron = std::move(*cron);
  return Add(std::move(entry));
}

absl::Status Scheduler::Add(std::unique_ptr<Entry> entry) {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->name == entry->name) {
      return absl::AlreadyExistsError(
          StrCat("a scheduled task named ", entry->name, " already exists"));
    }
  }
  entries_.push_back(std::move(entry));
  return absl::OkStatus();
}

int Scheduler::Tick() {
  const SysTime now = clock_.Now();
  std::vector<Entry*> due;
  {
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
      if (e->running || e->next_run > now) continue;
      e->running = true;
      e->runs++;
      e->last_run = now;
      due.push_back(e.get());
    }
  }
  for (Entry* e : due) {
    absl::Status status = RunGuarded(e->task);
    // Reschedule from the time the run ended, so a run longer than its period does not make
    // the next Tick run it again at once.
    SysTime after = std::max(now, clock_.Now());
    {
      std::lock_guard lock(mu_);
      e->running = false;
      e->Reschedule(after);
      if (status.ok()) {
        e->last_error.clear();
      } else {
        e->failures++;
        e->last_error = status.ToString();
      }
    }
    if (!status.ok() && options_.on_failure) options_.on_failure(e->name, status);
  }
  return static_cast<int>(due.size());
}

std::optional<SysTime> Scheduler::NextDue() const {
  std::lock_guard lock(mu_);
  std::optional<SysTime> earliest;
  for (const auto& e : entries_) {
    if (!earliest || e->next_run < *earliest) earliest = e->next_run;
  }
  return earliest;
}

std::vector<TaskStatus> Scheduler::Tasks() const {
  std::vector<TaskStatus> out;
  {
    std::lock_guard lock(mu_);
    out.reserve(entries_.size());
    for (const auto& e : entries_) {
      out.push_back(TaskStatus{e->name, e->schedule, e->next_run, e->last_run, e->last_error,
                               e->runs, e->failures, e->running});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const TaskStatus& a, const TaskStatus& b) { return a.name < b.name; });
  return out;
}

}  // namespace tf::jobs
