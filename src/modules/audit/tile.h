#pragma once
// A tile of the audit tree: the complete subtrees of heights 4L .. 4L+3 under (up to) 16
// consecutive nodes of height 4L. Rows are kept bottom-up; row j holds width >> j hashes.
// Only the rightmost tile of a level is narrower than 16, and it grows as leaves arrive; when
// a tile fills, its root becomes the next bottom node of the tile above it.
// Thread-safety: a plain value.

#include <array>
#include <optional>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/merkle.h"

namespace tf::audit {

inline constexpr int kTileHeight = 4;
inline constexpr int kTileWidth = 1 << kTileHeight;

struct TileKey {
  int level = 0;
  int64_t index = 0;
  friend bool operator==(const TileKey&, const TileKey&) = default;
  friend bool operator<(const TileKey& a, const TileKey& b) {
    return a.level != b.level ? a.level < b.level : a.index < b.index;
  }
};

//! A tile as stored (audit_tiles): its width and its hashes' bytes, row after row. Proofs read
//! a few hashes of many tiles, so hashes are taken one at a time.
struct StoredTile {
  TileKey key;
  int width = 0;
  std::string bytes;

  //! The hash at `position` of `row`; nullopt when the tile has no such node (or is corrupt).
  std::optional<merkle::Hash> At(int row, int position) const;
};

struct Tile {
  TileKey key;
  std::array<std::vector<merkle::Hash>, kTileHeight> rows;

  int width() const { return static_cast<int>(rows[0].size()); }
  //! Adds a bottom node and the complete nodes above it; returns the tile's root (of height
  //! 4L+4) once the tile is full.
  std::optional<merkle::Hash> Append(const merkle::Hash& node);
  //! The bytes stored in audit_tiles.hashes.
  std::string Encode() const;
  StoredTile Stored() const { return {key, width(), Encode()}; }
  static absl::StatusOr<Tile> Decode(TileKey key, int width, std::string_view bytes);
};

//! Where the complete subtree `node` lives: its tile, row and position in the row.
struct TileSlot {
  TileKey key;
  int row = 0;
  int position = 0;
};
TileSlot SlotOf(const merkle::NodeId& node);

//! The rightmost tile of each level of a tree of `tree_size` leaves that is not yet full (and
//! not empty), bottom level first: the tiles the next leaves change.
std::vector<TileKey> EdgeTiles(int64_t tree_size);

}  // namespace tf::audit
