#include "modules/audit/tile_tree.h"

#include "core/status.h"
#include "core/strings.h"

namespace tf::audit {

absl::Status TileTree::Load(const std::vector<TileKey>& keys) {
  std::vector<TileKey> missing;
  for (const TileKey& k : keys) {
    if (!tiles_.contains(k) && !stored_.contains(k)) missing.push_back(k);
  }
  if (missing.empty()) return absl::OkStatus();
  TF_ASSIGN_OR_RETURN(std::vector<StoredTile> loaded, repo_.LoadTiles(*tx_, missing));
  for (StoredTile& t : loaded) stored_.insert_or_assign(t.key, std::move(t));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<merkle::Hash>> TileTree::Subtrees(std::span<const merkle::NodeId> nodes) {
  std::vector<TileKey> keys;
  for (const merkle::NodeId& n : nodes) keys.push_back(SlotOf(n).key);
  TF_RETURN_IF_ERROR(Load(keys));
  std::vector<merkle::Hash> out;
  out.reserve(nodes.size());
  for (const merkle::NodeId& n : nodes) {
    TileSlot slot = SlotOf(n);
    std::optional<merkle::Hash> hash;
    if (auto it = tiles_.find(slot.key); it != tiles_.end()) {
      const auto& row = it->second.rows[slot.row];
      if (static_cast<size_t>(slot.position) < row.size()) hash = row[slot.position];
    } else if (auto st = stored_.find(slot.key); st != stored_.end()) {
      hash = st->second.At(slot.row, slot.position);
    }
    if (!hash) {
      return absl::DataLossError(StrCat("the audit tree has no node at height ", n.level, " index ", n.index,
                                        " (tile ", slot.key.level, "/", slot.key.index, " missing or short)"));
    }
    out.push_back(*hash);
  }
  return out;
}

absl::Status TileTree::LoadEdge(int64_t tree_size) {
  std::vector<TileKey> edge = EdgeTiles(tree_size);
  TF_RETURN_IF_ERROR(Load(edge));
  for (const TileKey& k : edge) {
    auto it = stored_.find(k);
    if (it == stored_.end()) {
      return absl::DataLossError(StrCat("the audit tree's tile ", k.level, "/", k.index, " is missing"));
    }
    // A tile may have been written wider than the tree (by a step that did not advance it).
    auto width = static_cast<int>((static_cast<uint64_t>(tree_size) >> (kTileHeight * k.level)) % kTileWidth);
    if (it->second.width < width) {
      return absl::DataLossError(StrCat("the audit tree's tile ", k.level, "/", k.index, " holds ", it->second.width,
                                        " nodes, not the tree's ", width));
    }
    TF_ASSIGN_OR_RETURN(Tile tile, Tile::Decode(k, it->second.width, it->second.bytes));
    for (int j = 0; j < kTileHeight; ++j) tile.rows[j].resize(static_cast<size_t>(width >> j));
    tiles_.insert_or_assign(k, std::move(tile));
    stored_.erase(it);
  }
  return absl::OkStatus();
}

void TileTree::Append(int64_t tree_size, const merkle::Hash& leaf_hash) {
  std::optional<merkle::Hash> node = leaf_hash;
  auto index = static_cast<uint64_t>(tree_size);  // of the node at the current level's height
  for (int level = 0; node; ++level) {
    TileKey key{level, static_cast<int64_t>(index >> kTileHeight)};
    auto [it, inserted] = tiles_.try_emplace(key, Tile{key, {}});
    dirty_.insert(key);
    node = it->second.Append(*node);
    index >>= kTileHeight;
  }
}

std::vector<const Tile*> TileTree::TakeDirty() {
  std::vector<const Tile*> out;
  for (const TileKey& k : dirty_) out.push_back(&tiles_.at(k));
  dirty_.clear();
  return out;
}

}  // namespace tf::audit
