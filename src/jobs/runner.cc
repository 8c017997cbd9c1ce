#include "jobs/runner.h"

#include <algorithm>

namespace tf::jobs {

Runner::Runner(Scheduler* scheduler, JobQueue* queue, RunnerOptions options)
    : scheduler_(scheduler), queue_(queue), options_(std::move(options)) {
  options_.poll_interval = std::max(options_.poll_interval, std::chrono::milliseconds(1));
  options_.max_jobs_per_poll = std::max(options_.max_jobs_per_poll, 1);
}

Runner::~Runner() { Stop(); }

absl::Status Runner::Start() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (thread_.joinable()) return absl::FailedPreconditionError("the job runner is already running");
  {
    std::lock_guard lock(mu_);
    stop_requested_ = false;
    wake_requested_ = false;
  }
  loop_thread_id_.store(std::thread::id());
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Runner::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
  // Called by a task or handler on the runner's thread: only request; the owner joins later.
  if (std::this_thread::get_id() == loop_thread_id_.load()) return;
  std::lock_guard lifecycle(lifecycle_mu_);
  if (!thread_.joinable()) return;
  thread_.join();
  if (options_.scheduler_lease) {
    absl::Status released = options_.scheduler_lease->Release();
    if (!released.ok() && options_.on_error) options_.on_error(released);
  }
}

void Runner::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_requested_ = true;
  }
  cv_.notify_all();
}

int64_t Runner::polls() const {
  std::lock_guard lock(mu_);
  return polls_;
}

bool Runner::StopRequested() const {
  std::lock_guard lock(mu_);
  return stop_requested_;
}

bool Runner::MayTick() {
  if (options_.scheduler_lease == nullptr) return true;
  absl::StatusOr<bool> held = options_.scheduler_lease->Hold();
  if (!held.ok()) {
    if (options_.on_error) options_.on_error(held.status());
    return false;
  }
  return *held;
}

bool Runner::PollOnce() {
  if (scheduler_ && MayTick()) scheduler_->Tick();
  if (!queue_) return true;
  for (int i = 0; i < options_.max_jobs_per_poll; ++i) {
    if (StopRequested()) return false;
    absl::StatusOr<int> ran = queue_->RunDue(1);
    if (!ran.ok()) {
      if (options_.on_error) options_.on_error(ran.status());
      return true;
    }
    if (*ran == 0) return true;
  }
  // The per-poll limit was hit: more jobs are probably due, so poll again without sleeping.
  std::lock_guard lock(mu_);
  wake_requested_ = true;
  return true;
}

void Runner::Loop() {
  loop_thread_id_.store(std::this_thread::get_id());
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_requested_) return;
      wake_requested_ = false;
    }
    bool completed = PollOnce();
    std::unique_lock lock(mu_);
    if (completed) ++polls_;
    cv_.wait_for(lock, options_.poll_interval, [&] { return stop_requested_ || wake_requested_; });
  }
}

}  // namespace tf::jobs
