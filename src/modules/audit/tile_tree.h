#pragma once
// The audit tree as a merkle::SubtreeSource over its stored tiles: tiles are read from the
// store on first use (in one query per proof) and kept for the object's life; the tree
// builder decodes the edge tiles and adds leaves to them.
// Thread-safety: one thread (it uses the caller's transaction).

#include <map>
#include <set>

#include "core/merkle.h"
#include "modules/audit/audit_repo.h"
#include "modules/audit/tile.h"

namespace tf::audit {

class TileTree final : public merkle::SubtreeSource {
 public:
  TileTree(AuditRepo& repo, store::Transaction& tx) : repo_(repo), tx_(&tx) {}

  absl::StatusOr<std::vector<merkle::Hash>> Subtrees(std::span<const merkle::NodeId> nodes) override;

  //! Reads the edge tiles of a tree of `tree_size` leaves (cut to that size), so Append can
  //! follow.
  absl::Status LoadEdge(int64_t tree_size);
  //! Adds the leaf at index `tree_size` (the tree's current size); marks changed tiles dirty.
  void Append(int64_t tree_size, const merkle::Hash& leaf_hash);
  //! Tiles changed by Append since the last call.
  std::vector<const Tile*> TakeDirty();

 private:
  absl::Status Load(const std::vector<TileKey>& keys);

  AuditRepo& repo_;
  store::Transaction* tx_;
  std::map<TileKey, StoredTile> stored_;  // read for proofs, decoded a hash at a time
  std::map<TileKey, Tile> tiles_;         // the builder's edge tiles and the ones it changed
  std::set<TileKey> dirty_;
};

}  // namespace tf::audit
