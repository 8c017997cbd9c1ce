// jobs::Lease on both backends with a FakeClock: one holder at a time, renewal, expiry
// handover, release, and two instances racing for one lease.

#include "jobs/lease.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/time_format.h"
#include "support/test_database.h"

namespace tf::jobs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class LeaseTest : public ::testing::TestWithParam<tf::testing::Backend> {
 protected:
  LeaseTest() : clock_(*ParseRfc3339("2026-11-24T10:00:00Z")) {}
  void SetUp() override {
    auto temp = tf::testing::TestDatabase::Create(GetParam(), clock_);
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = std::move(*temp);
  }

  bool Holds(Lease& lease) {
    auto held = lease.Hold();
    EXPECT_TRUE(held.ok()) << held.status();
    return held.ok() && *held;
  }

  std::vector<LeaseRecord> Records() {
    auto all = ListLeases(temp_->db());
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<LeaseRecord>{};
  }

  FakeClock clock_;
  std::unique_ptr<tf::testing::TestDatabase> temp_;
};

TEST_P(LeaseTest, OneHolderAtATimeAndTheOtherTakesOverAfterExpiry) {
  Lease a(temp_->db(), clock_, "scheduler", "host-a:1", seconds(15));
  Lease b(temp_->db(), clock_, "scheduler", "host-b:2", seconds(15));
  EXPECT_TRUE(Holds(a));
  EXPECT_FALSE(Holds(b));
  ASSERT_EQ(Records().size(), 1u);
  EXPECT_EQ(Records()[0].holder, "host-a:1");
  EXPECT_EQ(Records()[0].expires_at, clock_.Now() + seconds(15));

  // a keeps renewing: b never gets it.
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(seconds(6));
    EXPECT_TRUE(Holds(a)) << i;
    EXPECT_FALSE(Holds(b)) << i;
  }
  // a stops (killed): within the ttl b still waits, after it b takes over.
  clock_.Advance(seconds(14));
  EXPECT_FALSE(Holds(b));
  clock_.Advance(seconds(2));
  EXPECT_TRUE(Holds(b));
  EXPECT_EQ(Records()[0].holder, "host-b:2");
  EXPECT_EQ(Records()[0].acquired_at, clock_.Now());
  // a comes back (it was only paused) and finds it lost the lease.
  EXPECT_FALSE(Holds(a));
}

TEST_P(LeaseTest, RenewalKeepsTheAcquisitionTimeAndMovesTheExpiry) {
  Lease a(temp_->db(), clock_, "scheduler", "host-a:1", seconds(15));
  ASSERT_TRUE(Holds(a));
  SysTime acquired = clock_.Now();
  clock_.Advance(seconds(3));  // under a third of the ttl: no write
  ASSERT_TRUE(Holds(a));
  EXPECT_EQ(Records()[0].renewed_at, acquired);
  clock_.Advance(seconds(3));
  ASSERT_TRUE(Holds(a));
  EXPECT_EQ(Records()[0].acquired_at, acquired);
  EXPECT_EQ(Records()[0].renewed_at, clock_.Now());
  EXPECT_EQ(Records()[0].expires_at, clock_.Now() + seconds(15));
}

TEST_P(LeaseTest, ReleaseHandsOverAtOnceAndOnlyByTheHolder) {
  Lease a(temp_->db(), clock_, "scheduler", "host-a:1", seconds(15));
  Lease b(temp_->db(), clock_, "scheduler", "host-b:2", seconds(15));
  ASSERT_TRUE(Holds(a));
  EXPECT_TRUE(b.Release().ok());  // b holds nothing: no effect
  EXPECT_FALSE(Holds(b));
  ASSERT_TRUE(a.Release().ok());
  EXPECT_TRUE(Records().empty());
  EXPECT_TRUE(Holds(b));
}

TEST_P(LeaseTest, LeasesOfDifferentNamesAreIndependent) {
  Lease a(temp_->db(), clock_, "scheduler", "host-a:1", seconds(15));
  Lease b(temp_->db(), clock_, "backups", "host-b:2", seconds(15));
  EXPECT_TRUE(Holds(a));
  EXPECT_TRUE(Holds(b));
  auto all = Records();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "backups");
  EXPECT_EQ(all[1].name, "scheduler");
}

TEST_P(LeaseTest, InstancesRacingOnSeparateConnectionsNeverBothHold) {
  auto other = temp_->OpenAnother();
  ASSERT_TRUE(other.ok()) << other.status();
  Lease a(temp_->db(), clock_, "scheduler", "host-a:1", seconds(15));
  Lease b(**other, clock_, "scheduler", "host-b:2", seconds(15));
  std::atomic<int> both{0}, a_won{0}, b_won{0}, errors{0};
  for (int round = 0; round < 20; ++round) {
    bool ha = false, hb = false;
    std::thread ta([&] {
      auto h = a.Hold();
      if (!h.ok()) errors++;
      ha = h.ok() && *h;
    });
    std::thread tb([&] {
      auto h = b.Hold();
      if (!h.ok()) errors++;
      hb = h.ok() && *h;
    });
    ta.join();
    tb.join();
    if (ha && hb) both++;
    a_won += ha;
    b_won += hb;
    // The winner releases; the next round races again.
    ASSERT_TRUE(a.Release().ok());
    ASSERT_TRUE(b.Release().ok());
  }
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(both.load(), 0);
  EXPECT_EQ(a_won + b_won, 20);
}

TF_INSTANTIATE_BACKENDS(LeaseTest);

}  // namespace
}  // namespace tf::jobs
