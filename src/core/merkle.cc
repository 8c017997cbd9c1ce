#include "core/merkle.h"

#include <bit>
#include <cstring>

#include "core/crypto.h"
#include "core/strings.h"

namespace tf::merkle {

namespace {

struct Range {
  uint64_t begin = 0, end = 0;
};

bool IsCompleteSubtree(uint64_t begin, uint64_t end) {
  uint64_t size = end - begin;
  return std::has_single_bit(size) && begin % size == 0;
}

//! The complete subtrees whose hashes make MTH(D[begin:end]), left to right.
void Decompose(uint64_t begin, uint64_t end, std::vector<NodeId>& out) {
  if (IsCompleteSubtree(begin, end)) {
    int level = std::countr_zero(end - begin);
    out.push_back({level, begin >> level});
    return;
  }
  uint64_t k = SplitPoint(end - begin);
  Decompose(begin, begin + k, out);
  Decompose(begin + k, end, out);
}

//! MTH(D[begin:end]) from the hashes Decompose listed, consumed from `pos`.
Hash Combine(uint64_t begin, uint64_t end, const std::vector<Hash>& hashes, size_t& pos) {
  if (IsCompleteSubtree(begin, end)) return hashes[pos++];
  uint64_t k = SplitPoint(end - begin);
  Hash left = Combine(begin, begin + k, hashes, pos);
  Hash right = Combine(begin + k, end, hashes, pos);
  return NodeHash(left, right);
}

//! The hashes of `ranges`, fetched from `source` in one call.
absl::StatusOr<std::vector<Hash>> RangeHashes(const std::vector<Range>& ranges, SubtreeSource& source) {
  std::vector<NodeId> nodes;
  for (const Range& r : ranges) Decompose(r.begin, r.end, nodes);
  absl::StatusOr<std::vector<Hash>> hashes = source.Subtrees(nodes);
  if (!hashes.ok()) return hashes.status();
  if (hashes->size() != nodes.size()) return absl::InternalError("subtree source answered the wrong count");
  std::vector<Hash> out;
  out.reserve(ranges.size());
  size_t pos = 0;
  for (const Range& r : ranges) out.push_back(Combine(r.begin, r.end, *hashes, pos));
  return out;
}

// RFC 9162 §2.1.3.1 PATH(m, D[begin:end]), as the ranges whose hashes it lists.
void PathRanges(uint64_t m, uint64_t begin, uint64_t end, std::vector<Range>& out) {
  if (end - begin <= 1) return;
  uint64_t k = SplitPoint(end - begin);
  if (m < begin + k) {
    PathRanges(m, begin, begin + k, out);
    out.push_back({begin + k, end});
  } else {
    PathRanges(m, begin + k, end, out);
    out.push_back({begin, begin + k});
  }
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b), m counted from `begin`.
void SubproofRanges(uint64_t m, uint64_t begin, uint64_t end, bool whole, std::vector<Range>& out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back({begin, end});
    return;
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubproofRanges(m, begin, begin + k, whole, out);
    out.push_back({begin + k, end});
  } else {
    SubproofRanges(m - k, begin + k, end, false, out);
    out.push_back({begin, begin + k});
  }
}

}  // namespace

Hash LeafHash(std::string_view leaf) {
  Hash out;
  crypto::Sha256Into({std::string_view("\x00", 1), leaf}, out.data());
  return out;
}

Hash NodeHash(const Hash& left, const Hash& right) {
  Hash out;
  crypto::Sha256Into({std::string_view("\x01", 1), AsBytes(left), AsBytes(right)}, out.data());
  return out;
}

Hash EmptyRoot() {
  Hash out;
  crypto::Sha256Into({}, out.data());
  return out;
}

uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

std::string ToHex(const Hash& hash) { return crypto::HexEncode(AsBytes(hash)); }

absl::StatusOr<Hash> HashFromBytes(std::string_view bytes) {
  if (bytes.size() != 32) return absl::InvalidArgumentError("a hash is 32 bytes");
  Hash out;
  std::memcpy(out.data(), bytes.data(), 32);
  return out;
}

absl::StatusOr<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) return absl::InvalidArgumentError("a hash is 64 hex digits");
  absl::StatusOr<std::string> bytes = crypto::HexDecode(hex);
  if (!bytes.ok()) return bytes.status();
  return HashFromBytes(*bytes);
}

absl::StatusOr<Hash> Root(uint64_t tree_size, SubtreeSource& source) {
  if (tree_size == 0) return EmptyRoot();
  absl::StatusOr<std::vector<Hash>> hashes = RangeHashes({{0, tree_size}}, source);
  if (!hashes.ok()) return hashes.status();
  return hashes->front();
}

absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t leaf_index, uint64_t tree_size, SubtreeSource& source) {
  if (leaf_index >= tree_size) {
    return absl::InvalidArgumentError(StrCat("leaf index ", leaf_index, " is not below tree size ", tree_size));
  }
  std::vector<Range> ranges;
  PathRanges(leaf_index, 0, tree_size, ranges);
  return RangeHashes(ranges, source);
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second, SubtreeSource& source) {
  if (first > second) {
    return absl::InvalidArgumentError(StrCat("first tree size ", first, " exceeds second ", second));
  }
  if (first == 0 || first == second) return std::vector<Hash>{};
  std::vector<Range> ranges;
  SubproofRanges(first, 0, second, true, ranges);
  return RangeHashes(ranges, source);
}

bool VerifyInclusion(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash, std::span<const Hash> proof,
                     const Hash& root) {
  if (leaf_index >= tree_size) return false;
  uint64_t fn = leaf_index, sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root, const Hash& second_root,
                       std::span<const Hash> proof) {
  if (first > second) return false;
  if (first == second) return proof.empty() && first_root == second_root;
  if (first == 0) return proof.empty();
  std::vector<Hash> path;
  if (std::has_single_bit(first)) path.push_back(first_root);
  path.insert(path.end(), proof.begin(), proof.end());
  if (path.empty()) return false;
  uint64_t fn = first - 1, sn = second - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == first_root && sr == second_root && sn == 0;
}

void CompactRange::Append(const Hash& leaf_hash) {
  nodes_.emplace_back(0, leaf_hash);
  while (nodes_.size() >= 2 && nodes_[nodes_.size() - 2].first == nodes_.back().first) {
    Hash right = nodes_.back().second;
    nodes_.pop_back();
    nodes_.back() = {nodes_.back().first + 1, NodeHash(nodes_.back().second, right)};
  }
  ++size_;
}

Hash CompactRange::Root() const {
  if (nodes_.empty()) return EmptyRoot();
  Hash root = nodes_.back().second;
  for (size_t i = nodes_.size() - 1; i-- > 0;) root = NodeHash(nodes_[i].second, root);
  return root;
}

void MemoryTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  for (size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    if (level + 1 == levels_.size()) levels_.emplace_back();
    const auto& row = levels_[level];
    levels_[level + 1].push_back(NodeHash(row[row.size() - 2], row.back()));
  }
}

Hash MemoryTree::Root() const {
  uint64_t n = size();
  if (n == 0) return EmptyRoot();
  // [0, n) is the complete subtrees of n's binary digits, largest first, nested to the right.
  std::vector<Hash> parts;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    if ((n >> level) & 1) {
      parts.push_back(levels_[level][begin >> level]);
      begin += uint64_t{1} << level;
    }
  }
  Hash root = parts.back();
  for (size_t i = parts.size() - 1; i-- > 0;) root = NodeHash(parts[i], root);
  return root;
}

absl::StatusOr<std::vector<Hash>> MemoryTree::Subtrees(std::span<const NodeId> nodes) {
  std::vector<Hash> out;
  out.reserve(nodes.size());
  for (const NodeId& id : nodes) {
    if (id.level < 0 || static_cast<size_t>(id.level) >= levels_.size() || id.index >= levels_[id.level].size()) {
      return absl::OutOfRangeError(StrCat("no complete subtree at level ", id.level, " index ", id.index));
    }
    out.push_back(levels_[id.level][id.index]);
  }
  return out;
}

}  // namespace tf::merkle
