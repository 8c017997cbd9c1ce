#include "jobs/scheduler.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/time_format.h"
#include "support/times.h"

namespace tf::jobs {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

using tf::testing::T;

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest()
      : clock_(T("2026-11-24T10:07:00Z")),
        scheduler_(clock_, SchedulerOptions{[this](std::string_view name, const absl::Status& s) {
                     failures_.push_back(std::string(name) + ": " + std::string(s.message()));
                   }}) {}

  const TaskStatus& Status(std::string_view name) {
    statuses_ = scheduler_.Tasks();
    for (const TaskStatus& s : statuses_) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no task " << name;
    return statuses_.at(0);
  }

  FakeClock clock_;
  Scheduler scheduler_;
  std::vector<std::string> failures_;
  std::vector<TaskStatus> statuses_;
};

TEST_F(SchedulerTest, EveryRunsOncePerIntervalFromRegistration) {
  int runs = 0;
  ASSERT_TRUE(scheduler_.Every("count", seconds(30), [&] { ++runs; return absl::OkStatus(); }).ok());
  EXPECT_EQ(scheduler_.Tick(), 0);
  clock_.Advance(seconds(29));
  EXPECT_EQ(scheduler_.Tick(), 0);
  clock_.Advance(seconds(1));
  EXPECT_EQ(scheduler_.Tick(), 1);
  EXPECT_EQ(scheduler_.Tick(), 0);  // not due again at the same instant
  clock_.Advance(seconds(30));
  EXPECT_EQ(scheduler_.Tick(), 1);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(Status("count").next_run, T("2026-11-24T10:08:30Z"));
}

TEST_F(SchedulerTest, CatchesUpBySkippingNotRepeating) {
  int runs = 0;
  ASSERT_TRUE(scheduler_.Every("minutely", minutes(1), [&] { ++runs; return absl::OkStatus(); }).ok());
  clock_.Advance(minutes(10) + seconds(30));  // ten periods missed
  EXPECT_EQ(scheduler_.Tick(), 1);
  EXPECT_EQ(scheduler_.Tick(), 0);
  EXPECT_EQ(runs, 1);
  // The phase is kept: next run on the next whole period after now.
  EXPECT_EQ(Status("minutely").next_run, T("2026-11-24T10:18:00Z"));
  EXPECT_EQ(Status("minutely").last_run, T("2026-11-24T10:17:30Z"));
  clock_.Advance(seconds(30));
  EXPECT_EQ(scheduler_.Tick(), 1);
  EXPECT_EQ(runs, 2);
}

TEST_F(SchedulerTest, CronTaskRunsAtMatchingMinutesAndSkipsMissedOnes) {
  int runs = 0;
  ASSERT_TRUE(scheduler_.Cron("quarterly", "*/15 * * * *", [&] { ++runs; return absl::OkStatus(); }).ok());
  EXPECT_EQ(Status("quarterly").next_run, T("2026-11-24T10:15:00Z"));
  EXPECT_EQ(Status("quarterly").schedule, "*/15 * * * *");
  clock_.Set(T("2026-11-24T10:14:59Z"));
  EXPECT_EQ(scheduler_.Tick(), 0);
  clock_.Set(T("2026-11-24T10:15:00Z"));
  EXPECT_EQ(scheduler_.Tick(), 1);
  EXPECT_EQ(Status("quarterly").next_run, T("2026-11-24T10:30:00Z"));
  clock_.Set(T("2026-11-24T13:20:00Z"));  // twelve slots missed
  EXPECT_EQ(scheduler_.Tick(), 1);
  EXPECT_EQ(scheduler_.Tick(), 0);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(Status("quarterly").next_run, T("2026-11-24T13:30:00Z"));
}

TEST_F(SchedulerTest, FailuresAreCountedAndReportedNeverThrown) {
  bool fail = true;
  ASSERT_TRUE(scheduler_.Every("flaky", seconds(10), [&] {
    return fail ? absl::UnavailableError("store is down") : absl::OkStatus();
  }).ok());
  ASSERT_TRUE(scheduler_.Every("thrower", seconds(10), []() -> absl::Status {
    throw std::runtime_error("boom");
  }).ok());
  clock_.Advance(seconds(10));
  EXPECT_EQ(scheduler_.Tick(), 2);
  EXPECT_EQ(failures_, (std::vector<std::string>{"flaky: store is down",
                                                 "thrower: task threw an exception: boom"}));
  const TaskStatus& flaky = Status("flaky");
  EXPECT_EQ(flaky.runs, 1);
  EXPECT_EQ(flaky.failures, 1);
  EXPECT_NE(flaky.last_error.find("store is down"), std::string::npos);
  EXPECT_EQ(Status("thrower").failures, 1);

  fail = false;
  clock_.Advance(seconds(10));
  EXPECT_EQ(scheduler_.Tick(), 2);
  EXPECT_EQ(Status("flaky").runs, 2);
  EXPECT_EQ(Status("flaky").failures, 1);
  EXPECT_EQ(Status("flaky").last_error, "");  // the last run succeeded
  EXPECT_EQ(Status("thrower").failures, 2);
}

TEST_F(SchedulerTest, TakenNameIsAlreadyExists) {
  auto ok = [] { return absl::OkStatus(); };
  ASSERT_TRUE(scheduler_.Every("backup", hours(1), ok).ok());
  EXPECT_EQ(scheduler_.Every("backup", hours(2), ok).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(scheduler_.Cron("backup", "@daily", ok).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(scheduler_.Tasks().size(), 1u);
}

TEST_F(SchedulerTest, InvalidRegistrationsAreInvalidArgument) {
  auto ok = [] { return absl::OkStatus(); };
  EXPECT_EQ(scheduler_.Every("", seconds(1), ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_.Every("zero", seconds(0), ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_.Every("negative", seconds(-5), ok).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_.Every("null", seconds(1), nullptr).code(), absl::StatusCode::kInvalidArgument);
  absl::Status bad_cron = scheduler_.Cron("bad", "0 25 * * *", ok);
  EXPECT_EQ(bad_cron.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_cron.message().find("hour field"), absl::string_view::npos) << bad_cron;
  EXPECT_NE(bad_cron.message().find("bad"), absl::string_view::npos) << bad_cron;
  EXPECT_TRUE(scheduler_.Tasks().empty());
}

TEST_F(SchedulerTest, TasksDescribeTheirSchedulesSortedByName) {
  auto ok = [] { return absl::OkStatus(); };
  ASSERT_TRUE(scheduler_.Every("b-probe", seconds(30), ok).ok());
  ASSERT_TRUE(scheduler_.Every("c-rotation", hours(1) + minutes(30), ok).ok());
  ASSERT_TRUE(scheduler_.Every("d-fast", std::chrono::milliseconds(250), ok).ok());
  ASSERT_TRUE(scheduler_.Cron("a-backup", "0 2 * * *", ok).ok());
  std::vector<TaskStatus> tasks = scheduler_.Tasks();
  ASSERT_EQ(tasks.size(), 4u);
  EXPECT_EQ(tasks[0].name, "a-backup");
  EXPECT_EQ(tasks[0].schedule, "0 2 * * *");
  EXPECT_EQ(tasks[0].next_run, T("2026-11-25T02:00:00Z"));
  EXPECT_FALSE(tasks[0].last_run.has_value());
  EXPECT_EQ(tasks[1].schedule, "every 30s");
  EXPECT_EQ(tasks[2].schedule, "every 1h30m");
  EXPECT_EQ(tasks[3].schedule, "every 250ms");
  EXPECT_EQ(scheduler_.NextDue(), T("2026-11-24T10:07:00.250Z"));
}

TEST_F(SchedulerTest, TaskMayInspectTheSchedulerWhileRunning) {
  bool saw_itself_running = false;
  ASSERT_TRUE(scheduler_.Every("introspect", seconds(1), [&] {
    for (const TaskStatus& s : scheduler_.Tasks()) {
      if (s.name == "introspect") saw_itself_running = s.running;
    }
    return absl::OkStatus();
  }).ok());
  clock_.Advance(seconds(1));
  EXPECT_EQ(scheduler_.Tick(), 1);
  EXPECT_TRUE(saw_itself_running);
  EXPECT_FALSE(Status("introspect").running);
}

TEST_F(SchedulerTest, LongRunDoesNotMakeTheNextTickRepeatIt) {
  int runs = 0;
  ASSERT_TRUE(scheduler_.Every("slow", seconds(10), [&] {
    ++runs;
    clock_.Advance(seconds(25));  // the run outlasts two periods
    return absl::OkStatus();
  }).ok());
  clock_.Advance(seconds(10));
  EXPECT_EQ(scheduler_.Tick(), 1);
  EXPECT_EQ(scheduler_.Tick(), 0);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(Status("slow").next_run, T("2026-11-24T10:07:40Z"));
}

TEST(SchedulerNoFixtureTest, EmptySchedulerHasNothingDue) {
  FakeClock clock(SysTime(std::chrono::seconds(1'800'000'000)));
  Scheduler scheduler(clock);
  EXPECT_EQ(scheduler.Tick(), 0);
  EXPECT_FALSE(scheduler.NextDue().has_value());
}

}  // namespace
}  // namespace tf::jobs
