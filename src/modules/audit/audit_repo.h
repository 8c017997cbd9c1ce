#pragma once
// Persistence of the audit trail through store::Database only: records (written with leaf
// indexes from the audit_leaf_index sequence, in the writer's transaction), the tree's tiles
// and head, checkpoints and signing keys. Tenant scope comes from the service.
// Thread-safety: stateless; each call runs in the caller's transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "modules/audit/audit_types.h"
#include "modules/audit/tile.h"
#include "store/database.h"

namespace tf::audit {

struct TreeHead {
  int64_t tree_size = 0;
  std::string root_hash;
  int64_t updated_at = 0;
};

//! The records one pruning batch changed: `count` of them, with leaf indexes in [first, last].
struct PrunedRange {
  int64_t count = 0;
  int64_t first = -1, last = -1;
};

//! A record's leaf hash, by leaf index.
struct LeafHashAt {
  int64_t leaf_index = 0;
  merkle::Hash hash{};
};

struct SigningKey {
  std::string key_id, name, public_key, verifier_key;
  int64_t created_at = 0;
};

class AuditRepo {
 public:
  using Tx = store::Transaction;

  //! Gives `records` new leaf indexes, ascending, and inserts them (with their leaf hashes,
  //! computed here for records that have none yet).
  absl::Status Append(Tx& tx, std::vector<AuditRecord>& records);
  //! The leaf hashes of the records with leaf_index in [from, from + limit), in order: as
  //! stored at append, or recomputed for records from before leaf hashes were stored.
  absl::StatusOr<std::vector<LeafHashAt>> LeafHashes(Tx& tx, int64_t from, int limit);
  //! Records with leaf_index in [from, from + limit), in order; without details (NULL) when
  //! `with_details` is false, as building leaves needs only their hash.
  absl::StatusOr<std::vector<AuditRecord>> Range(Tx& tx, int64_t from, int limit, bool with_details = true);
  absl::StatusOr<std::vector<AuditRecord>> List(Tx& tx, const RecordFilter& filter);
  //! Up to `limit` records the filter selects (its cursor and limit aside) with leaf_index in
  //! [from, end), oldest first.
  absl::StatusOr<std::vector<AuditRecord>> Scan(Tx& tx, const RecordFilter& filter, int64_t from, int64_t end,
                                                int limit);
  //! `tenant_scope` nullopt: any tenant.
  absl::StatusOr<AuditRecord> Get(Tx& tx, const std::optional<std::string>& tenant_scope, const std::string& id);
  //! Counts of the records in [from, to) (of one tenant, or all when `tenant` is nullopt).
  absl::StatusOr<AuditStats> Stats(Tx& tx, const std::optional<std::string>& tenant, int64_t from, int64_t to);
  //! One past the highest leaf index written so far (whether or not the tree has it yet).
  absl::StatusOr<int64_t> EndOfRecords(Tx& tx);
  //! Fills an index whose transaction never committed; false when the record arrived after
  //! all (on PostgreSQL the insert waits for a transaction still holding the index).
  absl::StatusOr<bool> InsertGap(Tx& tx, AuditRecord gap);

  //! The tiles with these keys that exist, as stored.
  absl::StatusOr<std::vector<StoredTile>> LoadTiles(Tx& tx, const std::vector<TileKey>& keys);
  //! The tiles of `level` with index in [first, last], in order.
  absl::StatusOr<std::vector<Tile>> LoadTileRange(Tx& tx, int level, int64_t first, int64_t last);
  //! Stores the tile (Tile::Stored) unless the store already holds it at least as wide
  //! (tiles only grow).
  absl::Status SaveTile(Tx& tx, const StoredTile& tile);

  absl::StatusOr<TreeHead> Head(Tx& tx);
  //! Moves the head from `expected_size`; false when another builder moved it first.
  absl::StatusOr<bool> AdvanceHead(Tx& tx, int64_t expected_size, const TreeHead& head);

  absl::Status InsertCheckpoint(Tx& tx, const Checkpoint& c);
  absl::StatusOr<std::optional<Checkpoint>> LatestCheckpoint(Tx& tx);
  //! Newest first, below `before_size` when set.
  absl::StatusOr<std::vector<Checkpoint>> ListCheckpoints(Tx& tx, std::optional<int64_t> before_size, int limit);
  //! Oldest first, from `from_size` (for verification).
  absl::StatusOr<std::vector<Checkpoint>> CheckpointsFrom(Tx& tx, int64_t from_size, int limit);

  absl::StatusOr<bool> TenantExists(Tx& tx, const std::string& tenant_id);
  absl::StatusOr<std::optional<RetentionPolicy>> Retention(Tx& tx, const std::string& tenant_id);
  absl::StatusOr<std::vector<RetentionPolicy>> RetentionPolicies(Tx& tx);
  absl::Status PutRetention(Tx& tx, const RetentionPolicy& policy);
  //! False when the tenant had no policy.
  absl::StatusOr<bool> DeleteRetention(Tx& tx, const std::string& tenant_id);
  absl::Status NotePruned(Tx& tx, const std::string& tenant_id, int64_t at, int64_t count);
  //! Prunes the details of up to `limit` of the tenant's records older than `cutoff` that
  //! still have them, lowest leaf indexes first.
  absl::StatusOr<PrunedRange> PruneBatch(Tx& tx, const std::string& tenant_id, int64_t cutoff, int64_t now, int limit);

  absl::Status InsertKeyIfAbsent(Tx& tx, const SigningKey& key);
};

}  // namespace tf::audit
