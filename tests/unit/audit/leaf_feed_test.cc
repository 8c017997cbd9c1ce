// Tests of the leaf feed: it hands over runs of consecutive leaves, stops where an index is
// missing (so the builder reads the store there), forgets what is behind the tree and keeps at
// most its capacity.

#include "modules/audit/leaf_feed.h"

#include <gtest/gtest.h>

#include "core/merkle.h"

namespace tf::audit {
namespace {

std::vector<AuditRecord> At(std::initializer_list<int64_t> indexes) {
  std::vector<AuditRecord> records;
  for (int64_t i : indexes) {
    AuditRecord& r = records.emplace_back();
    r.leaf_index = i;
    r.leaf_hash = merkle::LeafHash(std::to_string(i));
  }
  return records;
}

std::vector<int64_t> Indexes(const std::vector<LeafHashAt>& leaves) {
  std::vector<int64_t> out;
  for (const LeafHashAt& leaf : leaves) {
    EXPECT_EQ(leaf.hash, merkle::LeafHash(std::to_string(leaf.leaf_index)));
    out.push_back(leaf.leaf_index);
  }
  return out;
}

TEST(LeafFeedTest, TakesConsecutiveLeavesAndSaysWhereTheNextHeldOneIs) {
  LeafFeed feed;
  feed.Add(At({0, 1, 2}));
  feed.Add(At({5, 6}));
  std::vector<LeafHashAt> out;
  EXPECT_EQ(feed.Take(0, 100, out), 5) << "3 and 4 are missing: read from the store up to 5";
  EXPECT_EQ(Indexes(out), (std::vector<int64_t>{0, 1, 2}));
  out.clear();
  EXPECT_EQ(feed.Take(5, 1, out), 6) << "the limit stops the run";
  EXPECT_EQ(Indexes(out), (std::vector<int64_t>{5}));
  out.clear();
  EXPECT_EQ(feed.Take(6, 100, out), LeafFeed::kNone);
  EXPECT_EQ(Indexes(out), (std::vector<int64_t>{6}));
}

TEST(LeafFeedTest, AnIndexItLacksIsLeftToTheStore) {
  LeafFeed feed;
  feed.Add(At({3, 4}));
  std::vector<LeafHashAt> out;
  EXPECT_EQ(feed.Take(0, 100, out), 3);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(feed.Take(3, 100, out), LeafFeed::kNone);
  EXPECT_EQ(Indexes(out), (std::vector<int64_t>{3, 4}));
}

TEST(LeafFeedTest, LeavesBehindTheTreeAreForgotten) {
  LeafFeed feed;
  feed.Add(At({0, 1, 2, 3}));
  std::vector<LeafHashAt> out;
  EXPECT_EQ(feed.Take(2, 1, out), 3);
  EXPECT_EQ(Indexes(out), (std::vector<int64_t>{2}));
  out.clear();
  EXPECT_EQ(feed.Take(0, 100, out), 3) << "0 and 1 were dropped with the first take";
  EXPECT_TRUE(out.empty());
}

TEST(LeafFeedTest, OutOfOrderAndUnhashedLeavesAreNotHeld) {
  LeafFeed feed;
  feed.Add(At({4, 5}));
  std::vector<AuditRecord> late = At({2, 5, 6});
  late[2].leaf_hash.reset();
  feed.Add(late);
  std::vector<LeafHashAt> out;
  EXPECT_EQ(feed.Take(2, 100, out), 4);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(feed.Take(4, 100, out), LeafFeed::kNone);
  EXPECT_EQ(Indexes(out), (std::vector<int64_t>{4, 5}));
}

TEST(LeafFeedTest, KeepsAtMostItsCapacityDroppingTheOldest) {
  LeafFeed feed(3);
  feed.Add(At({0, 1, 2}));
  feed.Add(At({3, 4}));
  std::vector<LeafHashAt> out;
  EXPECT_EQ(feed.Take(0, 100, out), 2);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(feed.Take(2, 100, out), LeafFeed::kNone);
  EXPECT_EQ(Indexes(out), (std::vector<int64_t>{2, 3, 4}));
}

}  // namespace
}  // namespace tf::audit
