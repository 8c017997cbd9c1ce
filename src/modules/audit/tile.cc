#include "modules/audit/tile.h"

#include "core/crypto.h"
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
  for (const auto& row : rows) {
    for (const auto& hash : row) bytes += merkle::AsBytes(hash);
  }
  return crypto::HexEncode(bytes);
}

namespace {

//! 64 hex digits to a hash; false when one is not a hex digit. (Proofs decode many tiles: no
//! allocation here.)
bool DecodeHash(std::string_view hex, merkle::Hash& out) {
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexDigitValue(hex[2 * i]), lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

}  // namespace

absl::StatusOr<Tile> Tile::Decode(TileKey key, int width, std::string_view hex) {
  if (width < 1 || width > kTileWidth) return absl::DataLossError(StrCat("tile width ", width, " is out of range"));
  size_t hashes = 0;
  for (int j = 0; j < kTileHeight; ++j) hashes += static_cast<size_t>(width >> j);
  if (hex.size() != hashes * 64) {
    return absl::DataLossError(StrCat("tile ", key.level, "/", key.index, " holds ", hex.size(), " hex digits, not ",
                                      hashes * 64));
  }
  Tile tile{key, {}};
  size_t at = 0;
  for (int j = 0; j < kTileHeight; ++j) {
    tile.rows[j].resize(static_cast<size_t>(width >> j));
    for (merkle::Hash& h : tile.rows[j]) {
      if (!DecodeHash(hex.substr(at, 64), h)) {
        return absl::DataLossError(StrCat("tile ", key.level, "/", key.index, " holds a non-hex digit"));
      }
      at += 64;
    }
  }
  return tile;
}

std::optional<merkle::Hash> StoredTile::At(int row, int position) const {
  if (row < 0 || row >= kTileHeight || position < 0 || position >= (width >> row)) return std::nullopt;
  size_t index = static_cast<size_t>(position);
  for (int j = 0; j < row; ++j) index += static_cast<size_t>(width >> j);
  merkle::Hash h;
  if (hex.size() < (index + 1) * 64 || !DecodeHash(std::string_view(hex).substr(index * 64, 64), h)) {
    return std::nullopt;
  }
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
