#include "jobs/job_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "core/status.h"
#include "core/time_format.h"
#include "support/test_database.h"
#include "support/times.h"

namespace tf::jobs {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

using tf::testing::T;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

bool Contains(const std::optional<std::string>& haystack, std::string_view needle) {
  return haystack && haystack->find(needle) != std::string::npos;
}

class JobQueueTest : public ::testing::TestWithParam<tf::testing::Backend> {
 protected:
  JobQueueTest() : clock_(T("2026-11-24T10:00:00Z")), rng_(42) {}

  void SetUp() override {
    auto temp = tf::testing::TestDatabase::Create(GetParam(), clock_);
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = std::move(*temp);
    db_ = &temp_->db();
    JobQueueOptions options;
    options.on_failure = [this](const JobFailure& f) {
      std::lock_guard lock(mu_);
      reported_.push_back({f.job.id, f.job.attempt, Msg(f.error), f.next_state, f.retry_at});
    };
    queue_ = std::make_unique<JobQueue>(*db_, clock_, rng_, "worker-a", options);
  }

  absl::StatusOr<std::string> Enqueue(const JobSpec& spec) {
    return db_->InTx(store::WriteTx(), [&](store::Transaction& tx) { return queue_->Enqueue(tx, spec); });
  }

  std::string MustEnqueue(JobSpec spec) {
    auto id = Enqueue(spec);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  JobRecord Get(const std::string& id) {
    auto r = queue_->GetJob(id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : JobRecord{};
  }

  int RunDue(int max_jobs = 100) {
    auto ran = queue_->RunDue(max_jobs);
    EXPECT_TRUE(ran.ok()) << ran.status();
    return ran.ok() ? *ran : -1;
  }

  int64_t CountRows() {
    auto n = db_->InTx(store::ReadTx(), [](store::Transaction& tx) -> absl::StatusOr<int64_t> {
      TF_ASSIGN_OR_RETURN(store::Row row, tx.QueryOne("SELECT COUNT(*) FROM jobs", {}, "count"));
      return row.Int(0);
    });
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  struct Reported {
    std::string id;
    int attempt;
    std::string error;
    std::optional<JobState> next_state;
    std::optional<SysTime> retry_at;
  };

  std::unique_ptr<tf::testing::TestDatabase> temp_;
  FakeClock clock_;
  SeededRng rng_;
  store::Database* db_ = nullptr;
  std::unique_ptr<JobQueue> queue_;
  std::mutex mu_;
  std::vector<Reported> reported_;
};

TEST_P(JobQueueTest, EnqueuedJobRunsOnceAndSucceeds) {
  std::vector<Job> seen;
  ASSERT_TRUE(queue_->RegisterHandler("mail.send", [&](const Job& job) {
    seen.push_back(job);
    return absl::OkStatus();
  }).ok());
  JobSpec spec;
  spec.kind = "mail.send";
  spec.tenant_id = "tenant-1";
  spec.payload = {{"to", "ops@example.com"}, {"n", 3}};
  spec.idempotency_key = "mail:1";
  std::string id = MustEnqueue(spec);
  EXPECT_TRUE(IsUuid(id)) << id;

  JobRecord queued = Get(id);
  EXPECT_EQ(queued.state, JobState::kQueued);
  EXPECT_EQ(queued.run_at, clock_.Now());
  EXPECT_EQ(queued.attempts, 0);
  EXPECT_EQ(queued.max_attempts, 5);

  clock_.Advance(seconds(1));
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(RunDue(), 0);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].id, id);
  EXPECT_EQ(seen[0].kind, "mail.send");
  EXPECT_EQ(seen[0].tenant_id, "tenant-1");
  EXPECT_EQ(seen[0].payload, spec.payload);
  EXPECT_EQ(seen[0].attempt, 1);
  EXPECT_EQ(seen[0].idempotency_key, "mail:1");

  JobRecord done = Get(id);
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_EQ(done.finished_at, clock_.Now());
  EXPECT_FALSE(done.lease_owner.has_value());
  EXPECT_FALSE(done.lease_expires_at.has_value());
  EXPECT_TRUE(reported_.empty());
}

TEST_P(JobQueueTest, EnqueueInRolledBackTransactionLeavesNothing) {
  JobSpec spec;
  spec.kind = "mail.send";
  absl::Status s = db_->InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(queue_->Enqueue(tx, spec).status());
    return absl::AbortedError("the causing change failed");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  {
    auto tx = db_->Begin(store::WriteTx());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(queue_->Enqueue(**tx, spec).ok());
    // Destroyed without Commit: rolled back.
  }
  EXPECT_EQ(CountRows(), 0);
  auto stats = queue_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->queued, 0);
}

TEST_P(JobQueueTest, IdempotencyKeyReturnsTheExistingJob) {
  JobSpec spec;
  spec.kind = "backup.run";
  spec.idempotency_key = "backup:2026-11-24";
  std::string first = MustEnqueue(spec);
  spec.payload = {{"ignored", true}};
  EXPECT_EQ(MustEnqueue(spec), first);
  // Twice in one transaction as well.
  auto both = db_->InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::StatusOr<std::string> {
    TF_ASSIGN_OR_RETURN(std::string a, queue_->Enqueue(tx, spec));
    TF_ASSIGN_OR_RETURN(std::string b, queue_->Enqueue(tx, spec));
    if (a != b) return absl::InternalError("different ids");
    return a;
  });
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(*both, first);
  EXPECT_EQ(CountRows(), 1);
  EXPECT_EQ(Get(first).payload, nlohmann::json::object());

  // The same key for another kind or tenant is a conflict, not a silent merge.
  JobSpec other = spec;
  other.kind = "mail.send";
  EXPECT_EQ(Enqueue(other).status().code(), absl::StatusCode::kAlreadyExists);
  other = spec;
  other.tenant_id = "tenant-2";
  EXPECT_EQ(Enqueue(other).status().code(), absl::StatusCode::kAlreadyExists);
  // Without a key every enqueue is a new job.
  JobSpec plain;
  plain.kind = "backup.run";
  EXPECT_NE(MustEnqueue(plain), MustEnqueue(plain));
  EXPECT_EQ(CountRows(), 3);
}

TEST_P(JobQueueTest, InvalidSpecsAreRejected) {
  JobSpec spec;
  EXPECT_EQ(Enqueue(spec).status().code(), absl::StatusCode::kInvalidArgument);  // no kind
  spec.kind = "x";
  spec.max_attempts = 0;
  EXPECT_EQ(Enqueue(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.max_attempts = 3;
  spec.idempotency_key = "";
  EXPECT_EQ(Enqueue(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.idempotency_key.reset();
  spec.payload = {{"bad", std::string("\xff\xfe")}};
  EXPECT_EQ(Enqueue(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.payload = {{"big", std::string(JobQueue::kMaxPayloadBytes, 'a')}};
  EXPECT_EQ(Enqueue(spec).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountRows(), 0);

  auto ok = [](const Job&) { return absl::OkStatus(); };
  EXPECT_TRUE(queue_->RegisterHandler("x", ok).ok());
  EXPECT_EQ(queue_->RegisterHandler("x", ok).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(queue_->RegisterHandler("", ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->RegisterHandler("y", nullptr).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->RunDue(0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(JobQueueTest, JobWaitsForRunAt) {
  int runs = 0;
  ASSERT_TRUE(queue_->RegisterHandler("later", [&](const Job&) { ++runs; return absl::OkStatus(); }).ok());
  JobSpec spec;
  spec.kind = "later";
  spec.run_at = clock_.Now() + hours(1);
  MustEnqueue(spec);
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(hours(1) - microseconds(1));
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(microseconds(1));
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(runs, 1);
}

TEST_P(JobQueueTest, BackoffCeilingFollowsTheFormula) {
  auto ceiling = [](int n) { return JobQueue::BackoffCeiling(n, seconds(1), hours(1)); };
  EXPECT_EQ(ceiling(1), seconds(1));
  EXPECT_EQ(ceiling(2), seconds(2));
  EXPECT_EQ(ceiling(3), seconds(4));
  EXPECT_EQ(ceiling(12), seconds(2048));
  EXPECT_EQ(ceiling(13), hours(1));
  EXPECT_EQ(ceiling(1000), hours(1));
}

TEST_P(JobQueueTest, FailedAttemptsRetryWithBoundedBackoffThenDeadLetter) {
  std::vector<int> attempts_seen;
  ASSERT_TRUE(queue_->RegisterHandler("flaky", [&](const Job& job) {
    attempts_seen.push_back(job.attempt);
    return absl::UnavailableError("upstream said no");
  }).ok());
  JobSpec spec;
  spec.kind = "flaky";
  spec.max_attempts = 4;
  std::string id = MustEnqueue(spec);

  for (int failure = 1; failure <= 3; ++failure) {
    EXPECT_EQ(RunDue(), 1);
    EXPECT_EQ(RunDue(), 0) << "not due again before its backoff";
    JobRecord r = Get(id);
    EXPECT_EQ(r.state, JobState::kQueued);
    EXPECT_EQ(r.attempts, failure);
    microseconds delay = r.run_at - clock_.Now();
    EXPECT_GE(delay, microseconds(1));
    EXPECT_LT(delay, JobQueue::BackoffCeiling(failure, seconds(1), hours(1)));
    EXPECT_TRUE(Contains(r.last_error, "attempt " + std::to_string(failure) + " on worker worker-a: "
                                           "UNAVAILABLE: upstream said no"))
        << r.last_error.value_or("");
    ASSERT_EQ(reported_.size(), static_cast<size_t>(failure));
    EXPECT_EQ(reported_.back().next_state, JobState::kQueued);
    EXPECT_EQ(reported_.back().retry_at, r.run_at);
    clock_.Set(r.run_at);
  }
  EXPECT_EQ(RunDue(), 1);
  JobRecord dead = Get(id);
  EXPECT_EQ(dead.state, JobState::kDead);
  EXPECT_EQ(dead.attempts, 4);
  EXPECT_EQ(dead.finished_at, clock_.Now());
  EXPECT_TRUE(Contains(dead.last_error, "attempt 4"));
  EXPECT_EQ(reported_.back().next_state, JobState::kDead);
  EXPECT_EQ(attempts_seen, (std::vector<int>{1, 2, 3, 4}));
  clock_.Advance(hours(10));
  EXPECT_EQ(RunDue(), 0) << "dead jobs stay dead";
}

TEST_P(JobQueueTest, BackoffIsJitteredAcrossJobs) {
  ASSERT_TRUE(queue_->RegisterHandler("fail", [](const Job&) { return absl::InternalError("x"); }).ok());
  JobSpec spec;
  spec.kind = "fail";
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(MustEnqueue(spec));
  EXPECT_EQ(RunDue(), 40);
  std::set<int64_t> delays;
  for (const std::string& id : ids) {
    microseconds delay = Get(id).run_at - clock_.Now();
    EXPECT_GE(delay, microseconds(1));
    EXPECT_LT(delay, seconds(1));
    delays.insert(delay.count());
  }
  EXPECT_GT(delays.size(), 30u);
}

TEST_P(JobQueueTest, HandlerExceptionsFailTheAttempt) {
  ASSERT_TRUE(queue_->RegisterHandler("throws", [](const Job& job) -> absl::Status {
    (void)job.payload.at("missing");  // nlohmann throws out_of_range
    return absl::OkStatus();
  }).ok());
  JobSpec spec;
  spec.kind = "throws";
  std::string id = MustEnqueue(spec);
  EXPECT_EQ(RunDue(), 1);
  JobRecord r = Get(id);
  EXPECT_EQ(r.state, JobState::kQueued);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(Contains(r.last_error, "INTERNAL: handler threw an exception")) << r.last_error.value_or("");
}

TEST_P(JobQueueTest, LastErrorIsTruncatedToOneKibOfValidUtf8) {
  std::string message;
  for (int i = 0; i < 600; ++i) message += "\xe2\x82\xac";  // euro signs, 3 bytes each
  message += std::string("\xff\0tail", 6);
  ASSERT_TRUE(queue_->RegisterHandler("loud", [&](const Job&) { return absl::InternalError(message); }).ok());
  JobSpec spec;
  spec.kind = "loud";
  std::string id = MustEnqueue(spec);
  EXPECT_EQ(RunDue(), 1);
  std::string stored = Get(id).last_error.value_or("");
  EXPECT_LE(stored.size(), JobQueue::kMaxErrorBytes);
  EXPECT_GT(stored.size(), JobQueue::kMaxErrorBytes - 8);
  EXPECT_EQ(stored.substr(stored.size() - 3), "...");
  EXPECT_NO_THROW((void)nlohmann::json(stored).dump()) << "not valid UTF-8";

  // Short messages with bad bytes are cleaned but not cut.
  message = std::string("bad\xff byte and \0 NUL", 19);
  JobSpec second;
  second.kind = "loud";
  std::string id2 = MustEnqueue(second);
  EXPECT_EQ(RunDue(), 1);
  EXPECT_TRUE(Contains(Get(id2).last_error, "INTERNAL: bad? byte and ? NUL"))
      << Get(id2).last_error.value_or("");
}

TEST_P(JobQueueTest, UnknownKindsAreLeftUntouched) {
  JobSpec spec;
  spec.kind = "future.kind";
  std::string id = MustEnqueue(spec);
  JobRecord before = Get(id);
  clock_.Advance(minutes(5));
  EXPECT_EQ(RunDue(), 0);
  JobRecord after = Get(id);
  EXPECT_EQ(after.state, JobState::kQueued);
  EXPECT_EQ(after.attempts, 0);
  EXPECT_FALSE(after.lease_owner.has_value());
  EXPECT_EQ(after.updated_at, before.updated_at);

  // A binary that knows the kind runs it.
  ASSERT_TRUE(queue_->RegisterHandler("future.kind", [](const Job&) { return absl::OkStatus(); }).ok());
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(Get(id).state, JobState::kSucceeded);
}

TEST_P(JobQueueTest, ExpiredLeaseIsReclaimedAsAFailedAttempt) {
  int runs = 0;
  ASSERT_TRUE(queue_->RegisterHandler("work", [&](const Job&) { ++runs; return absl::OkStatus(); }).ok());
  JobSpec spec;
  spec.kind = "work";
  std::string id = MustEnqueue(spec);
  // A worker claimed it and crashed: its lease runs for another minute.
  ASSERT_TRUE(db_->InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return tx.Exec("UPDATE jobs SET state = 'running', lease_owner = 'crashed', lease_expires_at = ? "
                   "WHERE id = ?", {clock_.NowMicros() + 60'000'000, id});
  }).ok());
  EXPECT_EQ(RunDue(), 0) << "the lease still holds";
  EXPECT_EQ(Get(id).state, JobState::kRunning);
  clock_.Advance(minutes(1));
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(runs, 1);
  JobRecord r = Get(id);
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(r.attempts, 1) << "the lost attempt counts";
  EXPECT_TRUE(Contains(r.last_error, "attempt 1 on worker crashed: ABORTED: the lease expired"))
      << r.last_error.value_or("");
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0].next_state, JobState::kQueued);
}

TEST_P(JobQueueTest, ExpiredLeaseOnLastAttemptDeadLetters) {
  JobSpec spec;
  spec.kind = "poison";  // no handler here: reclaiming does not depend on one
  spec.max_attempts = 1;
  std::string id = MustEnqueue(spec);
  ASSERT_TRUE(db_->InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return tx.Exec("UPDATE jobs SET state = 'running', lease_owner = 'crashed', lease_expires_at = ? "
                   "WHERE id = ?", {clock_.NowMicros(), id});
  }).ok());
  EXPECT_EQ(RunDue(), 0);
  JobRecord r = Get(id);
  EXPECT_EQ(r.state, JobState::kDead);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(r.finished_at.has_value());
}

TEST_P(JobQueueTest, SlowHandlerThatLostItsLeaseCannotRecordItsResult) {
  // Worker b shares the database; worker a's handler outlives its lease, b reclaims and runs
  // the job, and a's late result is discarded (fenced by lease owner and attempt).
  JobQueue other(*db_, clock_, rng_, "worker-b",
                 JobQueueOptions{minutes(5), seconds(1), hours(1), nullptr});
  std::vector<std::string> ran_by;
  ASSERT_TRUE(other.RegisterHandler("slow", [&](const Job& job) {
    ran_by.push_back("b@" + std::to_string(job.attempt));
    return absl::OkStatus();
  }).ok());
  ASSERT_TRUE(queue_->RegisterHandler("slow", [&](const Job& job) {
    ran_by.push_back("a@" + std::to_string(job.attempt));
    clock_.Advance(minutes(5));  // the default lease is 5 minutes
    auto ran = other.RunDue(10);
    EXPECT_TRUE(ran.ok() && *ran == 1);
    return absl::OkStatus();
  }).ok());
  JobSpec spec;
  spec.kind = "slow";
  std::string id = MustEnqueue(spec);
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(ran_by, (std::vector<std::string>{"a@1", "b@2"}));
  JobRecord r = Get(id);
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(r.attempts, 1);
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_FALSE(reported_[0].next_state.has_value());
  EXPECT_NE(reported_[0].error.find("no longer held its lease"), std::string::npos);
}

TEST_P(JobQueueTest, RetryRequeuesDeadJobsOnly) {
  bool fail = true;
  ASSERT_TRUE(queue_->RegisterHandler("once", [&](const Job&) {
    return fail ? absl::InternalError("nope") : absl::OkStatus();
  }).ok());
  JobSpec spec;
  spec.kind = "once";
  spec.max_attempts = 1;
  std::string id = MustEnqueue(spec);
  EXPECT_EQ(RunDue(), 1);
  ASSERT_EQ(Get(id).state, JobState::kDead);

  clock_.Advance(hours(2));
  ASSERT_TRUE(queue_->Retry(id).ok());
  JobRecord r = Get(id);
  EXPECT_EQ(r.state, JobState::kQueued);
  EXPECT_EQ(r.attempts, 0);
  EXPECT_EQ(r.run_at, clock_.Now());
  EXPECT_FALSE(r.finished_at.has_value());
  EXPECT_TRUE(Contains(r.last_error, "nope")) << "the reason it died is kept";

  EXPECT_EQ(queue_->Retry(id).code(), absl::StatusCode::kFailedPrecondition);  // queued
  fail = false;
  EXPECT_EQ(RunDue(), 1);
  EXPECT_EQ(Get(id).state, JobState::kSucceeded);
  absl::Status again = queue_->Retry(id);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Msg(again).find("succeeded"), std::string::npos) << again;
  EXPECT_EQ(queue_->Retry("01890000-0000-7000-8000-000000000000").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(queue_->GetJob("01890000-0000-7000-8000-000000000000").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(JobQueueTest, StatsReportDepthAndAgeOfOldestDueJob) {
  ASSERT_TRUE(queue_->RegisterHandler("ok", [](const Job&) { return absl::OkStatus(); }).ok());
  ASSERT_TRUE(queue_->RegisterHandler("bad", [](const Job&) { return absl::InternalError("x"); }).ok());
  JobSpec spec;
  spec.kind = "later";
  MustEnqueue(spec);  // t0, no handler
  clock_.Advance(seconds(30));
  MustEnqueue(spec);  // t0 + 30 s
  spec.run_at = clock_.Now() + hours(1);
  MustEnqueue(spec);  // not due
  clock_.Advance(seconds(60));

  auto stats = queue_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->queued, 3);
  EXPECT_EQ(stats->due, 2);
  EXPECT_DOUBLE_EQ(stats->oldest_due_age_seconds, 90.0);
  EXPECT_EQ(stats->running + stats->succeeded + stats->dead, 0);

  JobSpec ok;
  ok.kind = "ok";
  MustEnqueue(ok);
  JobSpec bad;
  bad.kind = "bad";
  bad.max_attempts = 1;
  MustEnqueue(bad);
  EXPECT_EQ(RunDue(), 2);
  stats = queue_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queued, 3);
  EXPECT_EQ(stats->succeeded, 1);
  EXPECT_EQ(stats->dead, 1);
  EXPECT_EQ(stats->due, 2);

  // An empty queue has age 0.
  auto empty_db = tf::testing::TestDatabase::Create(GetParam(), clock_);
  ASSERT_TRUE(empty_db.ok());
  JobQueue empty((*empty_db)->db(), clock_, rng_, "w");
  auto none = empty.Stats();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->due, 0);
  EXPECT_EQ(none->oldest_due_age_seconds, 0.0);
}

TEST_P(JobQueueTest, ListJobsPaginatesByIdWithAStateFilter) {
  ASSERT_TRUE(queue_->RegisterHandler("bad", [](const Job&) { return absl::InternalError("x"); }).ok());
  std::vector<std::string> all;
  JobSpec spec;
  spec.kind = "noop";
  for (int i = 0; i < 7; ++i) {
    all.push_back(MustEnqueue(spec));
    clock_.Advance(std::chrono::milliseconds(1));
  }
  JobSpec bad;
  bad.kind = "bad";
  bad.max_attempts = 1;
  std::vector<std::string> dead = {MustEnqueue(bad), MustEnqueue(bad)};
  all.insert(all.end(), dead.begin(), dead.end());
  EXPECT_EQ(RunDue(), 2);
  std::sort(all.begin(), all.end());
  std::sort(dead.begin(), dead.end());

  std::vector<std::string> listed;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto page = queue_->ListJobs(std::nullopt, 4, cursor);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const JobRecord& r : page->items) listed.push_back(r.id);
    if (!page->next_cursor) break;
    EXPECT_EQ(page->items.size(), 4u);
    cursor = *page->next_cursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(listed, all);

  auto dead_page = queue_->ListJobs(JobState::kDead, 10);
  ASSERT_TRUE(dead_page.ok());
  std::vector<std::string> dead_listed;
  for (const JobRecord& r : dead_page->items) {
    dead_listed.push_back(r.id);
    EXPECT_EQ(r.state, JobState::kDead);
    EXPECT_EQ(r.kind, "bad");
  }
  EXPECT_EQ(dead_listed, dead);
  EXPECT_FALSE(dead_page->next_cursor.has_value());

  auto exact = queue_->ListJobs(JobState::kQueued, 7);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->items.size(), 7u);
  EXPECT_FALSE(exact->next_cursor.has_value()) << "no empty last page";

  EXPECT_EQ(queue_->ListJobs(std::nullopt, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->ListJobs(std::nullopt, 501).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->ListJobs(std::nullopt, 10, "' OR 1=1 --").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(JobQueueTest, PurgeSucceededDeletesOldFinishedJobs) {
  ASSERT_TRUE(queue_->RegisterHandler("ok", [](const Job&) { return absl::OkStatus(); }).ok());
  JobSpec spec;
  spec.kind = "ok";
  spec.idempotency_key = "k1";
  std::string old_id = MustEnqueue(spec);
  EXPECT_EQ(RunDue(), 1);
  clock_.Advance(hours(48));
  spec.idempotency_key = "k2";
  MustEnqueue(spec);
  EXPECT_EQ(RunDue(), 1);
  auto purged = queue_->PurgeSucceeded(clock_.Now() - hours(24));
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(CountRows(), 1);
  spec.idempotency_key = "k1";
  EXPECT_NE(MustEnqueue(spec), old_id) << "the purged job's key is free again";
}

//! Runs `jobs` jobs through two queues on two threads and checks each ran exactly once.
void RunConcurrently(store::Database& db_a, store::Database& db_b, const Clock& clock, int jobs) {
  SeededRng rng_a(1), rng_b(2);
  JobQueue a(db_a, clock, rng_a, "worker-a");
  JobQueue b(db_b, clock, rng_b, "worker-b");
  std::mutex mu;
  std::map<std::string, int> executions;
  std::map<std::string, int> per_worker;
  auto handler = [&](const char* worker) {
    return [&, worker](const Job& job) {
      {
        std::lock_guard lock(mu);
        executions[job.id]++;
        per_worker[worker]++;
      }
      std::this_thread::yield();
      return absl::OkStatus();
    };
  };
  ASSERT_TRUE(a.RegisterHandler("count", handler("a")).ok());
  ASSERT_TRUE(b.RegisterHandler("count", handler("b")).ok());
  std::set<std::string> ids;
  for (int i = 0; i < jobs; ++i) {
    auto id = db_a.InTx(store::WriteTx(), [&](store::Transaction& tx) {
      JobSpec spec;
      spec.kind = "count";
      spec.payload = {{"i", i}};
      return a.Enqueue(tx, spec);
    });
    ASSERT_TRUE(id.ok()) << id.status();
    ids.insert(*id);
  }
  std::atomic<int> errors{0};
  auto drain = [&](JobQueue& q) {
    int idle = 0;
    while (idle < 3) {
      auto ran = q.RunDue(3);
      if (!ran.ok()) {
        ADD_FAILURE() << ran.status();
        errors++;
        return;
      }
      idle = *ran == 0 ? idle + 1 : 0;
    }
  };
  std::thread ta([&] { drain(a); });
  std::thread tb([&] { drain(b); });
  ta.join();
  tb.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(executions.size(), ids.size());
  for (const auto& [id, n] : executions) {
    EXPECT_EQ(n, 1) << id;
    EXPECT_TRUE(ids.count(id)) << id;
  }
  auto stats = a.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->succeeded, jobs);
  EXPECT_EQ(stats->queued + stats->running + stats->dead, 0);
  // Informational: how the work was shared.
  std::cout << "[          ] worker-a ran " << per_worker["a"] << ", worker-b ran " << per_worker["b"]
            << "\n";
}

TEST_P(JobQueueTest, TwoQueuesOnOneDatabaseNeverRunAJobTwice) {
  RunConcurrently(*db_, *db_, clock_, 300);
}

TEST_P(JobQueueTest, TwoProcessesSharingTheDatabaseNeverRunAJobTwice) {
  // A second Database on the same store has its own connections, like another process.
  auto second = temp_->OpenAnother();
  ASSERT_TRUE(second.ok()) << second.status();
  RunConcurrently(*db_, **second, clock_, 300);
}

TF_INSTANTIATE_BACKENDS(JobQueueTest);

}  // namespace
}  // namespace tf::jobs
