#pragma once
// The Merkle tree of RFC 6962 / RFC 9162 §2.1: leaf hash SHA-256(0x00 || leaf), interior node
// SHA-256(0x01 || left || right), a tree of n > 1 leaves split after the largest power of two
// below n. Proofs are built from the hashes of complete subtrees, which a SubtreeSource supplies
// (from memory in tests, from the audit store's tiles in production), and checked with the
// verification algorithms of §2.1.3.2 and §2.1.4.2.
// Thread-safety: free functions, safe from any thread; a SubtreeSource is the caller's.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tf::merkle {

using Hash = std::array<unsigned char, 32>;

Hash LeafHash(std::string_view leaf);
Hash NodeHash(const Hash& left, const Hash& right);
//! The root of the empty tree: SHA-256 of nothing.
Hash EmptyRoot();
//! The largest power of two strictly less than n (n >= 2).
uint64_t SplitPoint(uint64_t n);

std::string ToHex(const Hash& hash);
absl::StatusOr<Hash> HashFromHex(std::string_view hex);
absl::StatusOr<Hash> HashFromBytes(std::string_view bytes);
inline std::string_view AsBytes(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

//! A complete subtree: 2^level leaves starting at leaf index << level.
struct NodeId {
  int level = 0;
  uint64_t index = 0;
  friend bool operator==(const NodeId&, const NodeId&) = default;
};

//! Supplies the hashes of complete subtrees, in the order asked.
class SubtreeSource {
 public:
  virtual ~SubtreeSource() = default;
  virtual absl::StatusOr<std::vector<Hash>> Subtrees(std::span<const NodeId> nodes) = 0;
};

//! MTH over the leaves [0, tree_size).
absl::StatusOr<Hash> Root(uint64_t tree_size, SubtreeSource& source);
//! The audit path of RFC 9162 §2.1.3.1 for `leaf_index` in a tree of `tree_size` leaves.
absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t leaf_index, uint64_t tree_size, SubtreeSource& source);
//! The consistency proof of RFC 9162 §2.1.4.1 between tree sizes `first` <= `second`; empty
//! when first is 0 or equal to second.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second, SubtreeSource& source);

//! RFC 9162 §2.1.3.2.
bool VerifyInclusion(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash, std::span<const Hash> proof,
                     const Hash& root);
//! RFC 9162 §2.1.4.2, extended as usual to first = 0 (any tree extends the empty one) and
//! first = second (the roots are equal and the proof empty).
bool VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root, const Hash& second_root,
                       std::span<const Hash> proof);

//! The root of a growing tree in O(log n) memory: the roots of the complete subtrees that make
//! up [0, size), as a binary counter. For verifiers that stream leaves once.
class CompactRange {
 public:
  void Append(const Hash& leaf_hash);
  uint64_t size() const { return size_; }
  Hash Root() const;

 private:
  std::vector<std::pair<int, Hash>> nodes_;  // (height, hash), heights strictly decreasing
  uint64_t size_ = 0;
};

//! Complete subtrees held in memory: the leaf hashes, every level built as leaves arrive.
//! For tests, verification tools and building the tiles of a batch.
class MemoryTree final : public SubtreeSource {
 public:
  void Append(const Hash& leaf_hash);
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  //! The complete subtree at (level, index); it must exist.
  const Hash& Node(int level, uint64_t index) const { return levels_[level][index]; }
  Hash Root() const;
  absl::StatusOr<std::vector<Hash>> Subtrees(std::span<const NodeId> nodes) override;

 private:
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace tf::merkle
