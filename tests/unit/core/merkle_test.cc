#include "core/merkle.h"

#include <random>

#include "core/crypto.h"
#include "gtest/gtest.h"

namespace tf::merkle {
namespace {

// The eight test leaves of RFC 6962's reference implementations (REFERENCES.md).
const char* const kLeafHex[] = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                "606162636465666768696a6b6c6d6e6f"};
// MTH of the first n of them, n = 1..8 (certificate-transparency and trillian test data).
const char* const kRootHex[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                                "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                                "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                                "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                                "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                                "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

Hash H(std::string_view hex) { return HashFromHex(hex).value(); }

std::vector<std::string> TestLeaves() {
  std::vector<std::string> leaves;
  for (const char* hex : kLeafHex) leaves.push_back(crypto::HexDecode(hex).value());
  return leaves;
}

// --- An independent reference: RFC 9162's recursive definitions over the leaves themselves. ---

Hash RefMth(const std::vector<std::string>& d, size_t begin, size_t end) {
  if (end == begin) return EmptyRoot();
  if (end - begin == 1) return LeafHash(d[begin]);
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(RefMth(d, begin, begin + k), RefMth(d, begin + k, end));
}

std::vector<Hash> RefPath(const std::vector<std::string>& d, size_t m, size_t begin, size_t end) {
  if (end - begin <= 1) return {};
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  std::vector<Hash> out;
  if (m < k) {
    out = RefPath(d, m, begin, begin + k);
    out.push_back(RefMth(d, begin + k, end));
  } else {
    out = RefPath(d, m - k, begin + k, end);
    out.push_back(RefMth(d, begin, begin + k));
  }
  return out;
}

std::vector<Hash> RefSubproof(const std::vector<std::string>& d, size_t m, size_t begin, size_t end, bool b) {
  size_t n = end - begin;
  if (m == n) return b ? std::vector<Hash>{} : std::vector<Hash>{RefMth(d, begin, end)};
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<Hash> out;
  if (m <= k) {
    out = RefSubproof(d, m, begin, begin + k, b);
    out.push_back(RefMth(d, begin + k, end));
  } else {
    out = RefSubproof(d, m - k, begin + k, end, false);
    out.push_back(RefMth(d, begin, begin + k));
  }
  return out;
}

std::vector<std::string> ManyLeaves(size_t n) {
  std::vector<std::string> leaves = TestLeaves();
  while (leaves.size() < n) leaves.push_back("leaf " + std::to_string(leaves.size()));
  leaves.resize(n);
  return leaves;
}

MemoryTree TreeOf(const std::vector<std::string>& leaves) {
  MemoryTree tree;
  for (const auto& leaf : leaves) tree.Append(LeafHash(leaf));
  return tree;
}

TEST(MerkleTest, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(ToHex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  MemoryTree tree;
  EXPECT_EQ(ToHex(tree.Root()), ToHex(EmptyRoot()));
  EXPECT_EQ(ToHex(Root(0, tree).value()), ToHex(EmptyRoot()));
}

TEST(MerkleTest, RootsOfTheReferenceLeavesMatchPublishedValues) {
  std::vector<std::string> leaves = TestLeaves();
  MemoryTree tree;
  for (size_t n = 1; n <= leaves.size(); ++n) {
    tree.Append(LeafHash(leaves[n - 1]));
    EXPECT_EQ(ToHex(tree.Root()), kRootHex[n - 1]) << "size " << n;
    EXPECT_EQ(ToHex(Root(n, tree).value()), kRootHex[n - 1]) << "size " << n;
  }
}

TEST(MerkleTest, PublishedProofsOfTheReferenceTree) {
  MemoryTree tree = TreeOf(TestLeaves());
  std::vector<Hash> path = InclusionProof(0, 8, tree).value();
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(ToHex(path[0]), "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
  EXPECT_EQ(ToHex(path[1]), "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
  EXPECT_EQ(ToHex(path[2]), "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");

  std::vector<Hash> consistency = ConsistencyProof(2, 5, tree).value();
  ASSERT_EQ(consistency.size(), 2u);
  EXPECT_EQ(ToHex(consistency[0]), "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
  EXPECT_EQ(ToHex(consistency[1]), "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
  EXPECT_TRUE(VerifyConsistency(2, 5, H(kRootHex[1]), H(kRootHex[4]), consistency));
  EXPECT_FALSE(VerifyConsistency(2, 5, H(kRootHex[1]), H(kRootHex[5]), consistency));
}

TEST(MerkleTest, InclusionProofsForEveryIndexAndSizeUpTo64MatchTheReference) {
  std::vector<std::string> leaves = ManyLeaves(64);
  MemoryTree tree = TreeOf(leaves);
  for (size_t n = 1; n <= 64; ++n) {
    Hash root = RefMth(leaves, 0, n);
    ASSERT_EQ(Root(n, tree).value(), root) << "size " << n;
    for (size_t m = 0; m < n; ++m) {
      std::vector<Hash> proof = InclusionProof(m, n, tree).value();
      ASSERT_EQ(proof, RefPath(leaves, m, 0, n)) << "leaf " << m << " size " << n;
      ASSERT_TRUE(VerifyInclusion(m, n, LeafHash(leaves[m]), proof, root)) << "leaf " << m << " size " << n;
      if (n > 1) {
        ASSERT_FALSE(VerifyInclusion((m + 1) % n, n, LeafHash(leaves[m]), proof, root))
            << "a proof for leaf " << m << " proved another index";
      }
    }
  }
}

TEST(MerkleTest, ConsistencyProofsForEveryPairOfSizesUpTo64MatchTheReference) {
  std::vector<std::string> leaves = ManyLeaves(64);
  MemoryTree tree = TreeOf(leaves);
  for (size_t n = 1; n <= 64; ++n) {
    Hash second = RefMth(leaves, 0, n);
    for (size_t m = 0; m <= n; ++m) {
      Hash first = RefMth(leaves, 0, m);
      std::vector<Hash> proof = ConsistencyProof(m, n, tree).value();
      std::vector<Hash> expected = (m == 0 || m == n) ? std::vector<Hash>{} : RefSubproof(leaves, m, 0, n, true);
      ASSERT_EQ(proof, expected) << m << " -> " << n;
      ASSERT_TRUE(VerifyConsistency(m, n, first, second, proof)) << m << " -> " << n;
      if (m > 0 && m < n) {
        ASSERT_FALSE(VerifyConsistency(m, n, RefMth(leaves, 0, m - 1), second, proof)) << m << " -> " << n;
      }
    }
  }
}

TEST(MerkleTest, CompactRangeGivesTheRootOfEveryPrefix) {
  std::vector<std::string> leaves = ManyLeaves(64);
  CompactRange range;
  EXPECT_EQ(range.Root(), EmptyRoot());
  for (size_t n = 1; n <= leaves.size(); ++n) {
    range.Append(LeafHash(leaves[n - 1]));
    ASSERT_EQ(range.Root(), RefMth(leaves, 0, n)) << n;
  }
  EXPECT_EQ(range.size(), 64u);
}

TEST(MerkleTest, TamperedProofsFail) {
  std::vector<std::string> leaves = ManyLeaves(64);
  MemoryTree tree = TreeOf(leaves);
  std::mt19937_64 random(20261202);
  for (int trial = 0; trial < 2000; ++trial) {
    uint64_t n = 2 + random() % 63, m = random() % n;
    Hash root = Root(n, tree).value();
    std::vector<Hash> proof = InclusionProof(m, n, tree).value();
    std::vector<Hash> bad = proof;
    switch (trial % 4) {
      case 0:  // one bit of one hash flipped
        bad[random() % bad.size()][random() % 32] ^= static_cast<unsigned char>(1u << (random() % 8));
        break;
      case 1:  // a hash dropped
        bad.erase(bad.begin() + static_cast<long>(random() % bad.size()));
        break;
      case 2:  // a hash added
        bad.insert(bad.begin() + static_cast<long>(random() % (bad.size() + 1)), LeafHash("extra"));
        break;
      case 3:  // two hashes swapped (when they differ)
        if (bad.size() < 2) continue;
        std::swap(bad.front(), bad.back());
        break;
    }
    EXPECT_FALSE(VerifyInclusion(m, n, LeafHash(leaves[m]), bad, root)) << "inclusion " << m << " of " << n;

    uint64_t first = 1 + random() % (n - 1);
    std::vector<Hash> consistency = ConsistencyProof(first, n, tree).value();
    Hash first_root = Root(first, tree).value();
    if (consistency.empty()) continue;
    std::vector<Hash> bad_consistency = consistency;
    bad_consistency[random() % bad_consistency.size()][random() % 32] ^= 0x80;
    EXPECT_FALSE(VerifyConsistency(first, n, first_root, root, bad_consistency)) << first << " -> " << n;
    bad_consistency = consistency;
    bad_consistency.pop_back();
    EXPECT_FALSE(VerifyConsistency(first, n, first_root, root, bad_consistency)) << first << " -> " << n;
  }
}

TEST(MerkleTest, RefusesImpossibleRequests) {
  MemoryTree tree = TreeOf(ManyLeaves(5));
  EXPECT_FALSE(InclusionProof(5, 5, tree).ok());
  EXPECT_FALSE(ConsistencyProof(6, 5, tree).ok());
  EXPECT_FALSE(Root(6, tree).ok()) << "a tree larger than the source knows";
  EXPECT_FALSE(VerifyInclusion(0, 0, LeafHash(""), {}, EmptyRoot()));
  EXPECT_FALSE(VerifyConsistency(3, 2, EmptyRoot(), EmptyRoot(), {}));
  EXPECT_FALSE(HashFromHex("abc").ok());
}

}  // namespace
}  // namespace tf::merkle
