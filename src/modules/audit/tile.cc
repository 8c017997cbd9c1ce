#include "modules/audit/tile.h"

#include <cstring>

#include "core/strings.h"

namespace tf::audit {

std::optional<merkle::Hash> Tile::Append(const merkle::Hash& node) {
  rows[0].push_back(node);
  for (int j = 0; j + 1 < kTileHeight; ++j) {
    const auto& row = rows[j];
    if (row.size() % 2 != 0 || rows[j + 1].size() * 2 == row.size()) break;
    rows[j + 1].push_back(merkle::NodeHash(row[row.size() - 2], row.back()));
  }
  if (width() < kTileWidth) return std::nullopt;
  const auto& top = rows[kTileHeight - 1];
  return merkle::NodeHash(top[0], top[1]);
}

std::string Tile::Encode() const {
  std::string bytes;
  bytes.reserve(static_cast<size_t>(2 * width()) * sizeof(merkle::Hash));
  for (const auto& row : rows) {
    for (const auto& hash : row) bytes += merkle::AsBytes(hash);
  }
  return bytes;
}

absl::StatusOr<Tile> Tile::Decode(TileKey key, int width, std::string_view bytes) {
  if (width < 1 || width > kTileWidth) return absl::DataLossError(StrCat("tile width ", width, " is out of range"));
  size_t hashes = 0;
  for (int j = 0; j < kTileHeight; ++j) hashes += static_cast<size_t>(width >> j);
  if (bytes.size() != hashes * sizeof(merkle::Hash)) {
    return absl::DataLossError(StrCat("tile ", key.level, "/", key.index, " holds ", bytes.size(), " bytes, not ",
                                      hashes * sizeof(merkle::Hash)));
  }
  Tile tile{key, {}};
  const char* at = bytes.data();
  for (int j = 0; j < kTileHeight; ++j) {
    tile.rows[j].resize(static_cast<size_t>(width >> j));
    for (merkle::Hash& h : tile.rows[j]) {
      std::memcpy(h.data(), at, h.size());
      at += h.size();
    }
  }
  return tile;
}

std::optional<merkle::Hash> StoredTile::At(int row, int position) const {
  if (row < 0 || row >= kTileHeight || position < 0 || position >= (width >> row)) return std::nullopt;
  size_t index = static_cast<size_t>(position);
  for (int j = 0; j < row; ++j) index += static_cast<size_t>(width >> j);
  merkle::Hash h;
  if (bytes.size() < (index + 1) * h.size()) return std::nullopt;
  std::memcpy(h.data(), bytes.data() + index * h.size(), h.size());
  return h;
}

TileSlot SlotOf(const merkle::NodeId& node) {
  int level = node.level / kTileHeight, row = node.level % kTileHeight;
  int shift = kTileHeight - row;
  return {{level, static_cast<int64_t>(node.index >> shift)}, row,
          static_cast<int>(node.index & ((uint64_t{1} << shift) - 1))};
}

std::vector<TileKey> EdgeTiles(int64_t tree_size) {
  std::vector<TileKey> out;
  auto size = static_cast<uint64_t>(tree_size);
  for (int level = 0; (size >> (kTileHeight * level)) > 0; ++level) {
    uint64_t nodes = size >> (kTileHeight * level);  // complete nodes of height 4*level
    if (nodes % kTileWidth != 0) out.push_back({level, static_cast<int64_t>(nodes / kTileWidth)});
  }
  return out;
}

}  // namespace tf::audit
