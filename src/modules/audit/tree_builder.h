#pragma once
// TreeBuilder: brings the audit tree up to the records written so far and issues signed
// checkpoints. It takes the leaf hashes of the records from the tree's size onwards (computed
// from each record's fields when it was appended; `trustctl audit verify` recomputes them)
// from the leaf feed where it holds them and from the store where it does not, appends them
// to the tiles, and moves the tree head with a conditional update (so two
// builders never both advance it).
// Tiles are written ahead of the head in short transactions of kTilesPerWrite, so appends never
// wait long behind the builder: a tile only grows (a wider copy holds a narrower one's hashes as
// its prefix), the store keeps the widest copy, and the head decides how much of it is the tree.
// Tiles and head are derived from the records, so their transactions commit lazily (no flush
// of their own; the next append's commit flushes them). Checkpoints are computed and signed
// from a read snapshot and then inserted, flushed, in one short write.
// It stops at a missing index (PostgreSQL's sequence hands indexes out before their
// transactions commit): once the index has been missing for kGapGrace, it is filled with a
// `gap` record, unless its record arrives meanwhile. A checkpoint is issued at every
// `checkpoint_every_records` leaves and, while the tree has grown, after `checkpoint_interval`.
// The audit module runs it as a periodic task on the instance holding the scheduler lease.
// Thread-safety: Run may be called from any thread, one call at a time.

#include <chrono>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/signed_note.h"
#include "modules/audit/audit_repo.h"
#include "modules/audit/leaf_feed.h"
#include "store/database.h"

namespace tf::audit {

struct CheckpointPolicy {
  std::string origin;  //!< the checkpoint's first line (the log's name)
  int64_t every_records = 1000;
  std::chrono::milliseconds interval{5000};
};

//! The checkpoint body of C2SP tlog-checkpoint: origin, size, base64 root, then a `time`
//! extension line (RFC 3339, microseconds).
std::string CheckpointBody(std::string_view origin, int64_t tree_size, const merkle::Hash& root, int64_t micros);

struct BuildResult {
  int64_t leaves_added = 0;
  int64_t checkpoints_issued = 0;
  int64_t tree_size = 0;
};

class TreeBuilder {
 public:
  //! `feed` (optional) holds leaf hashes this instance's AuditLog committed.
  TreeBuilder(store::Database& db, const Clock& clock, const note::Signer& signer, CheckpointPolicy policy,
              metrics::Registry& metrics, LeafFeed* feed = nullptr);
  //! Builds until the tree holds every record written when it started, then checkpoints.
  absl::StatusOr<BuildResult> Run();
  //! Leaves read per step (one read transaction, then short write transactions).
  static constexpr size_t kBatch = 8192;
  //! Tiles per write transaction (about 2 KiB each).
  static constexpr size_t kTilesPerWrite = 64;
  static constexpr std::chrono::seconds kGapGrace{5};

 private:
  absl::StatusOr<int64_t> Step();
  //! The leaves at consecutive indexes from `from` (at most kBatch, none at or past `end`):
  //! from the feed, and from the store for the indexes the feed lacks.
  absl::StatusOr<std::vector<LeafHashAt>> Leaves(store::Transaction& tx, int64_t from, int64_t end);
  absl::StatusOr<int64_t> Checkpoint();
  absl::Status FillGap(int64_t index);

  store::Database& db_;
  const Clock& clock_;
  const note::Signer& signer_;
  CheckpointPolicy policy_;
  LeafFeed* feed_;
  AuditRepo repo_;
  metrics::Gauge& tree_size_;
  metrics::Gauge& pending_;
  metrics::Counter& checkpoints_;
  metrics::Counter& gaps_;
  metrics::Histogram& build_seconds_;
  int64_t gap_index_ = -1;  // the missing index last seen, and since when (Clock micros)
  int64_t gap_seen_at_ = 0;
};

}  // namespace tf::audit
