#include "jobs/runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/time_format.h"
#include "support/test_database.h"
#include "support/wait.h"

namespace tf::jobs {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using tf::testing::WaitFor;

class RunnerTest : public ::testing::Test {
 protected:
  RunnerTest() : clock_(*ParseRfc3339("2026-11-24T10:00:00Z")), rng_(7), scheduler_(clock_) {}

  void SetUp() override {
    auto temp = tf::testing::TestDatabase::Create(tf::testing::Backend::kSqlite, clock_);
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = std::move(*temp);
    db_ = &temp_->db();
    queue_ = std::make_unique<JobQueue>(*db_, clock_, rng_, "runner-worker");
  }

  std::string Enqueue(std::string kind) {
    auto id = db_->InTx(store::WriteTx(), [&](store::Transaction& tx) {
      JobSpec spec;
      spec.kind = kind;
      return queue_->Enqueue(tx, spec);
    });
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  JobState StateOf(const std::string& id) {
    auto r = queue_->GetJob(id);
    return r.ok() ? r->state : JobState::kDead;
  }

  std::unique_ptr<tf::testing::TestDatabase> temp_;
  FakeClock clock_;
  SeededRng rng_;
  Scheduler scheduler_;
  store::Database* db_ = nullptr;
  std::unique_ptr<JobQueue> queue_;
};

TEST_F(RunnerTest, RunsDueJobsAndScheduledTasks) {
  std::atomic<int> task_runs{0};
  ASSERT_TRUE(scheduler_.Every("tick", minutes(1), [&] { task_runs++; return absl::OkStatus(); }).ok());
  ASSERT_TRUE(queue_->RegisterHandler("work", [](const Job&) { return absl::OkStatus(); }).ok());
  std::string id = Enqueue("work");

  Runner runner(&scheduler_, queue_.get(), RunnerOptions{milliseconds(5), 32, nullptr});
  ASSERT_TRUE(runner.Start().ok());
  EXPECT_TRUE(WaitFor([&] { return StateOf(id) == JobState::kSucceeded; }));
  EXPECT_EQ(task_runs.load(), 0) << "due-ness comes from the fake clock, not real time";
  clock_.Advance(minutes(1));
  EXPECT_TRUE(WaitFor([&] { return task_runs.load() == 1; }));
  runner.Stop();
}

TEST_F(RunnerTest, StopIsPromptDespiteALongPollInterval) {
  Runner runner(&scheduler_, queue_.get(), RunnerOptions{hours(1), 32, nullptr});
  ASSERT_TRUE(runner.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return runner.polls() >= 1; }));
  auto start = std::chrono::steady_clock::now();
  runner.Stop();
  // Without the condition variable Stop would wait out the hour.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  runner.Stop();  // idempotent
}

TEST_F(RunnerTest, StopWaitsForTheJobInFlight) {
  std::atomic<bool> entered{false}, release{false}, finished{false};
  ASSERT_TRUE(queue_->RegisterHandler("slow", [&](const Job&) {
    entered = true;
    while (!release) std::this_thread::sleep_for(milliseconds(1));
    finished = true;
    return absl::OkStatus();
  }).ok());
  std::string first = Enqueue("slow");
  std::string second = Enqueue("slow");

  Runner runner(nullptr, queue_.get(), RunnerOptions{milliseconds(5), 32, nullptr});
  ASSERT_TRUE(runner.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return entered.load(); }));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    runner.Stop();
    stopped = true;
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(stopped.load()) << "Stop returned while a job was running";
  release = true;
  stopper.join();
  EXPECT_TRUE(finished.load());
  // The job in flight was completed and recorded; no further job was started.
  auto page = queue_->ListJobs(std::nullopt, 10);
  ASSERT_TRUE(page.ok());
  int succeeded = 0, queued = 0;
  for (const JobRecord& r : page->items) {
    succeeded += r.state == JobState::kSucceeded;
    queued += r.state == JobState::kQueued;
  }
  EXPECT_EQ(succeeded, 1);
  EXPECT_EQ(queued, 1);
}

TEST_F(RunnerTest, WakeRunsNewWorkBeforeThePollInterval) {
  ASSERT_TRUE(queue_->RegisterHandler("work", [](const Job&) { return absl::OkStatus(); }).ok());
  Runner runner(&scheduler_, queue_.get(), RunnerOptions{hours(1), 32, nullptr});
  ASSERT_TRUE(runner.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return runner.polls() >= 1; }));
  std::string id = Enqueue("work");
  runner.Wake();
  EXPECT_TRUE(WaitFor([&] { return StateOf(id) == JobState::kSucceeded; }));
  runner.Stop();
}

TEST_F(RunnerTest, DrainsMoreJobsThanOnePollAllows) {
  std::atomic<int> runs{0};
  ASSERT_TRUE(queue_->RegisterHandler("work", [&](const Job&) { runs++; return absl::OkStatus(); }).ok());
  for (int i = 0; i < 10; ++i) Enqueue("work");
  Runner runner(nullptr, queue_.get(), RunnerOptions{hours(1), 3, nullptr});
  ASSERT_TRUE(runner.Start().ok());
  EXPECT_TRUE(WaitFor([&] { return runs.load() == 10; }));
  runner.Stop();
}

TEST_F(RunnerTest, StartTwiceFailsAndRestartWorks) {
  Runner runner(&scheduler_, nullptr, RunnerOptions{milliseconds(5), 32, nullptr});
  ASSERT_TRUE(runner.Start().ok());
  EXPECT_EQ(runner.Start().code(), absl::StatusCode::kFailedPrecondition);
  runner.Stop();
  int64_t polls = runner.polls();
  ASSERT_TRUE(runner.Start().ok());
  EXPECT_TRUE(WaitFor([&] { return runner.polls() > polls; }));
  runner.Stop();
}

TEST_F(RunnerTest, TaskMayRequestStop) {
  Runner* self = nullptr;
  std::atomic<int> runs{0};
  ASSERT_TRUE(scheduler_.Every("stopper", milliseconds(1), [&] {
    runs++;
    self->Stop();  // from the runner's own thread: only a request
    return absl::OkStatus();
  }).ok());
  clock_.Advance(milliseconds(1));
  Runner runner(&scheduler_, nullptr, RunnerOptions{milliseconds(5), 32, nullptr});
  self = &runner;
  ASSERT_TRUE(runner.Start().ok());
  EXPECT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  runner.Stop();  // joins the thread, which has already left its loop
  EXPECT_EQ(runs.load(), 1);
}

// Two instances on one database: only the holder of the scheduler lease runs periodic tasks,
// and the other takes over when the holder stops.
TEST_F(RunnerTest, OnlyTheSchedulerLeaseHolderRunsPeriodicTasks) {
  Scheduler other_scheduler(clock_);
  std::atomic<int> runs_a{0}, runs_b{0};
  ASSERT_TRUE(scheduler_.Every("tick", minutes(1), [&] { runs_a++; return absl::OkStatus(); }).ok());
  ASSERT_TRUE(other_scheduler.Every("tick", minutes(1), [&] { runs_b++; return absl::OkStatus(); }).ok());
  Lease lease_a(*db_, clock_, "scheduler", "host-a:1", std::chrono::seconds(15));
  Lease lease_b(*db_, clock_, "scheduler", "host-b:2", std::chrono::seconds(15));
  RunnerOptions options_a{milliseconds(5), 32, nullptr, &lease_a};
  RunnerOptions options_b{milliseconds(5), 32, nullptr, &lease_b};
  Runner a(&scheduler_, nullptr, options_a);
  Runner b(&other_scheduler, nullptr, options_b);
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return a.polls() > 0; }));
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return b.polls() > 2; }));

  clock_.Advance(minutes(1));
  EXPECT_TRUE(WaitFor([&] { return runs_a.load() == 1; }));
  int64_t polls = b.polls();
  ASSERT_TRUE(WaitFor([&] { return b.polls() > polls + 2; }));
  EXPECT_EQ(runs_b.load(), 0) << "the instance without the lease ran a periodic task";

  a.Stop();  // a graceful stop releases the lease
  clock_.Advance(minutes(1));
  EXPECT_TRUE(WaitFor([&] { return runs_b.load() == 1; }));
  EXPECT_EQ(runs_a.load(), 1);
  b.Stop();
}

}  // namespace
}  // namespace tf::jobs
