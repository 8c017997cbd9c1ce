#pragma once
// JobQueue: the durable job queue in the store (table `jobs`), so modules hand off work that
// must survive a restart (send a notification, run a backup, re-check a rotation) with
// retries, backoff and a dead-letter state, instead of running it inline or in threads of
// their own.
//
// Delivery is at-least-once. Enqueue writes the job in the CALLER's transaction, so a job
// exists exactly when the change that caused it committed. An idempotency key makes a second
// Enqueue return the first job instead of inserting another.
//
// RunDue claims one due job at a time with a conditional UPDATE that sets a lease
// (lease_owner = worker id, lease_expires_at = now + lease_duration), so two processes sharing
// one database never run the same attempt twice. The handler runs outside any transaction;
// its result is recorded only while this worker still holds the lease for that attempt
// (fenced by lease_owner and attempts). A job whose lease expired (its worker died, or the
// handler ran longer than lease_duration) is reclaimed: the lost attempt counts as a failure,
// and the job is queued again at once or dead-lettered when it has no attempts left. Handlers
// must therefore be idempotent, and lease_duration must exceed the longest handler run.
//
// Retry backoff after the n-th failed attempt (n >= 1) is "full jitter":
//   ceiling(n) = min(backoff_cap, backoff_base * 2^(n-1))
//   delay(n)   = max(1 us, U * ceiling(n)), U uniform in [0, 1) from the Rng
// With the defaults (base 1 s, cap 1 h): below 1 s, 2 s, 4 s, ... and below 1 h from the 13th
// failure on. After max_attempts failed attempts the job is 'dead' until an operator Retry()s.
//
// Jobs of a kind with no registered handler are never claimed: they stay queued, untouched,
// for a binary that handles them.
// All due-ness decisions use the Clock; ids come from NewUuidV7(clock, rng).
// Thread-safety: all methods are safe from any thread. Concurrent RunDue calls (threads or
// processes) never run the same attempt twice; handlers may then run concurrently.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/rng.h"
#include "store/database.h"

namespace tf::jobs {

enum class JobState { kQueued, kRunning, kSucceeded, kDead };

//! "queued", "running", "succeeded", "dead" (the values stored in jobs.state).
std::string_view JobStateName(JobState state);
std::optional<JobState> ParseJobState(std::string_view name);

//! What to enqueue.
struct JobSpec {
  std::string kind;  //!< selects the handler, e.g. "notifications.send"
  nlohmann::json payload = nlohmann::json::object();
  std::string tenant_id;  //!< owning tenant; empty for platform-wide work
  //! Unique across all jobs, so include the kind and tenant in it ("backup:2026-11-24").
  std::optional<std::string> idempotency_key;
  int max_attempts = 5;
  std::optional<SysTime> run_at;  //!< not before; default now
};

//! One attempt of one job, as its handler sees it.
struct Job {
  std::string id;
  std::string kind;
  std::string tenant_id;
  nlohmann::json payload;
  int attempt = 1;  //!< 1 for the first attempt
  int max_attempts = 5;
  std::optional<std::string> idempotency_key;
};

//! A job row, as operators see it.
struct JobRecord {
  std::string id;
  std::string tenant_id;
  std::string kind;
  nlohmann::json payload;
  std::optional<std::string> idempotency_key;
  JobState state = JobState::kQueued;
  int attempts = 0;  //!< failed attempts so far
  int max_attempts = 0;
  SysTime run_at;
  std::optional<std::string> lease_owner;
  std::optional<SysTime> lease_expires_at;
  std::optional<std::string> last_error;
  SysTime created_at;
  SysTime updated_at;
  std::optional<SysTime> finished_at;
};

//! A page of ListJobs, ordered by id; pass next_cursor back to get the following page.
struct JobPage {
  std::vector<JobRecord> items;
  std::optional<std::string> next_cursor;
};

//! Queue depth and age, for gauges.
struct QueueStats {
  int64_t queued = 0;
  int64_t running = 0;
  int64_t succeeded = 0;
  int64_t dead = 0;
  int64_t due = 0;                      //!< queued with run_at <= now
  double oldest_due_age_seconds = 0.0;  //!< now - run_at of the oldest due job; 0 when none
};

//! Reported for every attempt that did not succeed, so the wiring can log it.
struct JobFailure {
  const Job& job;
  absl::Status error;
  //! kQueued (will retry at retry_at) or kDead; nullopt when the outcome could not be
  //! recorded because this worker no longer held the lease.
  std::optional<JobState> next_state;
  std::optional<SysTime> retry_at;
};

struct JobQueueOptions {
  std::chrono::microseconds lease_duration = std::chrono::minutes(5);
  std::chrono::microseconds backoff_base = std::chrono::seconds(1);
  std::chrono::microseconds backoff_cap = std::chrono::hours(1);
  //! Called after each failed attempt (and each reclaimed lease); should log. May be empty.
  std::function<void(const JobFailure&)> on_failure;
};

class JobQueue {
 public:
  using Handler = std::function<absl::Status(const Job&)>;

  static constexpr int kMaxListLimit = 500;
  static constexpr size_t kMaxErrorBytes = 1024;
  static constexpr size_t kMaxPayloadBytes = 1 << 20;

  //! `worker_id` names this process in leases (e.g. host:pid); empty means a random UUID.
  //! Non-positive durations in `options` are replaced by the defaults.
  JobQueue(store::Database& db, const Clock& clock, Rng& rng, std::string worker_id,
           JobQueueOptions options = {});
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  //! Inserts a queued job in `tx` and returns its id. With an idempotency key that already
  //! exists, returns the existing job's id and inserts nothing (AlreadyExists if that job has
  //! another kind or tenant). InvalidArgument for an empty kind, max_attempts outside
  //! 1..1000, an empty key, or a payload over 1 MiB or with invalid UTF-8.
  [[nodiscard]] absl::StatusOr<std::string> Enqueue(store::Transaction& tx, const JobSpec& spec);

  //! Registers the handler for `kind`. AlreadyExists when the kind has one; InvalidArgument
  //! for an empty kind or a null handler. A handler returns OK for success; an error or an
  //! exception fails the attempt.
  [[nodiscard]] absl::Status RegisterHandler(std::string kind, Handler handler);

  //! Reclaims expired leases, then claims and runs up to `max_jobs` due jobs one at a time;
  //! returns how many handlers ran (failed ones included). Errors are store failures only;
  //! a job whose result could not be recorded is reclaimed when its lease expires.
  [[nodiscard]] absl::StatusOr<int> RunDue(int max_jobs);

  [[nodiscard]] absl::StatusOr<QueueStats> Stats();

  //! Jobs ordered by id, optionally of one state. `limit` in 1..500; `cursor` is empty or a
  //! previous page's next_cursor (InvalidArgument otherwise).
  [[nodiscard]] absl::StatusOr<JobPage> ListJobs(std::optional<JobState> state, int limit,
                                                 std::string_view cursor = {});
  [[nodiscard]] absl::StatusOr<JobRecord> GetJob(std::string_view id);

  //! Moves a dead job back to queued, due now, with attempts reset to 0 (last_error kept).
  //! NotFound for an unknown id; FailedPrecondition when the job is not dead. The overload
  //! taking a transaction lets the caller write its audit record atomically with it.
  [[nodiscard]] absl::Status Retry(std::string_view id);
  [[nodiscard]] absl::Status Retry(store::Transaction& tx, std::string_view id);

  //! Deletes succeeded jobs finished before `finished_before`; returns how many. Their
  //! idempotency keys become free again.
  [[nodiscard]] absl::StatusOr<int64_t> PurgeSucceeded(SysTime finished_before);

  const std::string& worker_id() const { return worker_id_; }

  //! The upper bound of the backoff delay after the n-th failed attempt (see above).
  static std::chrono::microseconds BackoffCeiling(int failures, std::chrono::microseconds base,
                                                  std::chrono::microseconds cap);

 private:
  [[nodiscard]] absl::StatusOr<std::optional<Job>> ClaimOne(SysTime due_at,
                                                            const std::vector<std::string>& kinds,
                                                            bool reclaim);
  [[nodiscard]] absl::Status ReclaimExpired(store::Transaction& tx, SysTime due_at,
                                            std::vector<Job>* reclaimed,
                                            std::vector<JobState>* next_states);
  [[nodiscard]] absl::Status Complete(const Job& job, const absl::Status& result);
  std::chrono::microseconds Backoff(int failures);
  void ReportFailure(const Job& job, const absl::Status& error, std::optional<JobState> next,
                     std::optional<SysTime> retry_at) const;

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  const std::string worker_id_;
  JobQueueOptions options_;
  mutable std::mutex handlers_mu_;
  std::map<std::string, std::shared_ptr<const Handler>, std::less<>> handlers_;  // by kind
};

}  // namespace tf::jobs
