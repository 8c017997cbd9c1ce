// Tests of store::GroupCommit on both backends: many threads' items all commit exactly once,
// concurrent callers share batches, a failed batch fails every item in it and nothing of it is
// written, and the writer after a failure carries on; asynchronous submissions are told their
// outcome once, are refused beyond the queue's bound, and are written before destruction ends.
#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "core/strings.h"
#include "support/test_database.h"

namespace tf::store {
namespace {

using tf::testing::Backend;

class GroupCommitTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto temp = tf::testing::TestDatabase::Create(GetParam(), SystemClock::Instance(), {});
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = std::move(*temp);
    ASSERT_TRUE(db().InTx(WriteTx(), [](Transaction& tx) {
                      return tx.ExecScript("CREATE TABLE gc_items (v BIGINT PRIMARY KEY)");
                    }).ok());
  }

  Database& db() { return temp_->owner_db(); }

  std::set<int64_t> Stored() {
    auto rows = db().InTx(ReadTx(), [](Transaction& tx) { return tx.Query("SELECT v FROM gc_items"); });
    std::set<int64_t> out;
    for (const Row& r : *rows) out.insert(r.Int(0));
    return out;
  }

  //! Inserts the batch's items; an item of -1 makes the batch fail after its other inserts.
  GroupCommit<int64_t>::WriteFn Insert() {
    return [](Transaction& tx, std::vector<int64_t>& items) -> absl::Status {
      for (int64_t v : items) {
        if (v == -1) return absl::InvalidArgumentError("refused");
        auto done = tx.Exec("INSERT INTO gc_items (v) VALUES (?)", {v});
        if (!done.ok()) return done.status();
      }
      return absl::OkStatus();
    };
  }

  std::unique_ptr<tf::testing::TestDatabase> temp_;
};

TEST_P(GroupCommitTest, EveryItemOfManyThreadsCommitsOnceInSharedBatches) {
  std::atomic<int64_t> batches{0}, items{0};
  GroupCommit<int64_t> commits(db(), Insert(), 64, [&](const std::vector<int64_t>& batch, const absl::Status& s) {
    EXPECT_TRUE(s.ok()) << s;
    ++batches;
    items += static_cast<int64_t>(batch.size());
  });
  constexpr int kThreads = 16, kEach = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) EXPECT_TRUE(commits.Submit(t * 1000 + i).ok());
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> stored = Stored();
  EXPECT_EQ(stored.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(items, kThreads * kEach);
  EXPECT_LT(batches, kThreads * kEach) << "concurrent callers shared transactions";
}

TEST_P(GroupCommitTest, AFailedBatchFailsEachOfItsItemsAndWritesNoneOfThem) {
  GroupCommit<int64_t> commits(db(), Insert(), 64);
  EXPECT_EQ(commits.Submit(-1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Stored().empty());
  // Many callers, one poisoned item: whoever shared its batch fails with it, the rest commit,
  // and every success is stored.
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        int64_t v = (t == 3 && i == 25) ? -1 : t * 1000 + i;
        (commits.Submit(v).ok() ? ok : failed)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GE(failed, 1);
  EXPECT_EQ(ok + failed, 400);
  EXPECT_EQ(Stored().size(), static_cast<size_t>(ok.load()));
  EXPECT_TRUE(commits.Submit(99999).ok()) << "the writer carries on after a failed batch";
}

TEST_P(GroupCommitTest, AsynchronousItemsAreEachToldOnceAndAllWritten) {
  constexpr int kItems = 3000;
  std::mutex mu;
  std::vector<int> told(kItems, 0);
  std::atomic<int> failures{0}, done{0};
  {
    GroupCommit<int64_t> commits(db(), Insert(), 256);
    for (int i = 0; i < kItems; ++i) {
      ASSERT_TRUE(commits
                      .SubmitAsync(i,
                                   [&, i](const absl::Status& s) {
                                     if (!s.ok()) ++failures;
                                     std::lock_guard lock(mu);
                                     ++told[static_cast<size_t>(i)];
                                     ++done;
                                   })
                      .ok());
    }
    // Destruction writes what is still queued.
  }
  EXPECT_EQ(done, kItems);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(std::count(told.begin(), told.end(), 1), kItems) << "each item told exactly once";
  EXPECT_EQ(Stored().size(), static_cast<size_t>(kItems));
}

TEST_P(GroupCommitTest, EachItemsTimeFromSubmissionToOutcomeIsObserved) {
  metrics::Histogram waited({0.01});
  GroupCommit<int64_t>::WriteFn slow = [insert = Insert()](Transaction& tx, std::vector<int64_t>& items) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return insert(tx, items);
  };
  GroupCommit<int64_t> commits(db(), slow, 64, {}, 65536, &waited);
  ASSERT_TRUE(commits.Submit(1).ok());
  ASSERT_TRUE(commits.Submit(2).ok());
  EXPECT_EQ(waited.Count(), 2u) << "observed before the caller is told";
  EXPECT_GE(waited.Sum(), 0.04);
  EXPECT_EQ(waited.CumulativeCounts().front(), 0u) << "neither within 10 ms";
}

TEST_P(GroupCommitTest, AsynchronousItemsBeyondTheBoundAreRefusedAndNotWritten) {
  // The first batch blocks until released, so whatever follows waits in the queue.
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  auto insert = Insert();
  GroupCommit<int64_t> commits(
      db(),
      [&](Transaction& tx, std::vector<int64_t>& items) {
        {
          std::unique_lock lock(mu);
          entered = true;
          cv.notify_all();
          cv.wait(lock, [&] { return release; });
        }
        return insert(tx, items);
      },
      64, {}, /*max_queued=*/4);
  std::atomic<int> told{0};
  auto count = [&](const absl::Status& s) {
    EXPECT_TRUE(s.ok()) << s;
    ++told;
  };
  ASSERT_TRUE(commits.SubmitAsync(1, count).ok());
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  for (int64_t v = 2; v <= 5; ++v) ASSERT_TRUE(commits.SubmitAsync(v, count).ok());
  absl::Status refused = commits.SubmitAsync(6, [&](const absl::Status&) { ADD_FAILURE() << "a refused item is told"; });
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(commits.Submit(7).ok());
  EXPECT_EQ(told, 5);
  EXPECT_EQ(Stored(), (std::set<int64_t>{1, 2, 3, 4, 5, 7}));
}

TF_INSTANTIATE_BACKENDS(GroupCommitTest);

}  // namespace
}  // namespace tf::store
