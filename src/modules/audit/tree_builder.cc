#include "modules/audit/tree_builder.h"

#include "absl/strings/str_format.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/tile_tree.h"

namespace tf::audit {

std::string CheckpointBody(std::string_view origin, int64_t tree_size, const merkle::Hash& root, int64_t micros) {
  return StrCat(origin, "\n", tree_size, "\n", crypto::Base64Encode(merkle::AsBytes(root)), "\n", "time ",
                FormatRfc3339Exact(micros), "\n");
}

TreeBuilder::TreeBuilder(store::Database& db, const Clock& clock, const note::Signer& signer, CheckpointPolicy policy,
                         metrics::Registry& metrics, LeafFeed* feed)
    : db_(db),
      clock_(clock),
      signer_(signer),
      policy_(std::move(policy)),
      feed_(feed),
      tree_size_(metrics.AddGauge("audit_tree_size", "Leaves in the audit Merkle tree.").Get()),
      pending_(metrics.AddGauge("audit_records_pending", "Audit records written but not yet in the tree.").Get()),
      checkpoints_(metrics.AddCounter("audit_checkpoints_total", "Signed audit checkpoints issued.").Get()),
      gaps_(metrics.AddCounter("audit_gaps_filled_total", "Audit leaf indexes filled after their transaction rolled back.")
                .Get()),
      build_seconds_(metrics.AddHistogram("audit_tree_build_seconds", "Time of one audit tree build step.").Get()) {}

absl::StatusOr<BuildResult> TreeBuilder::Run() {
  BuildResult result;
  for (;;) {
    TF_ASSIGN_OR_RETURN(int64_t added, Step());
    result.leaves_added += added;
    if (added < static_cast<int64_t>(kBatch)) break;
  }
  TF_ASSIGN_OR_RETURN(result.checkpoints_issued, Checkpoint());
  TF_ASSIGN_OR_RETURN(TreeHead head, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) { return repo_.Head(tx); }));
  result.tree_size = head.tree_size;
  return result;
}

absl::StatusOr<int64_t> TreeBuilder::Step() {
  auto start = std::chrono::steady_clock::now();
  TreeHead head;
  std::vector<LeafHashAt> leaves;
  int64_t written = 0;
  std::optional<TileTree> tree;
  // Read and hash outside the writer's lock; the write below is short.
  absl::StatusOr<std::unique_ptr<store::Transaction>> read = db_.Begin(store::ReadTx());
  if (!read.ok()) return read.status();
  TF_ASSIGN_OR_RETURN(head, repo_.Head(**read));
  TF_ASSIGN_OR_RETURN(written, repo_.EndOfRecords(**read));
  TF_ASSIGN_OR_RETURN(leaves, Leaves(**read, head.tree_size, written));
  tree.emplace(repo_, **read);
  TF_RETURN_IF_ERROR(tree->LoadEdge(head.tree_size));
  int64_t size = head.tree_size;
  for (const LeafHashAt& leaf : leaves) {
    if (leaf.leaf_index != size) break;  // a gap: the index's transaction is running or rolled back
    tree->Append(size++, leaf.hash);
  }
  pending_.Set(static_cast<double>(written - size));
  tree_size_.Set(static_cast<double>(size));
  if (size == head.tree_size) {
    read->reset();
    if (written > size) TF_RETURN_IF_ERROR(FillGap(size));
    return 0;
  }
  TF_ASSIGN_OR_RETURN(merkle::Hash root, merkle::Root(static_cast<uint64_t>(size), *tree));
  read->reset();

  // Encoded before the writes, which hold the writer's lock.
  std::vector<StoredTile> dirty;
  for (const Tile* tile : tree->TakeDirty()) dirty.push_back(tile->Stored());
  auto save = [&](store::Transaction& tx, size_t from, size_t to) -> absl::Status {
    for (size_t i = from; i < to; ++i) TF_RETURN_IF_ERROR(repo_.SaveTile(tx, dirty[i]));
    return absl::OkStatus();
  };
  size_t from = 0;
  for (; dirty.size() - from > kTilesPerWrite; from += kTilesPerWrite) {
    TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx().LazyCommit(), [&](store::Transaction& tx) {
      return save(tx, from, from + kTilesPerWrite);
    }));
  }
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx().LazyCommit(), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(save(tx, from, dirty.size()));
    TF_ASSIGN_OR_RETURN(bool advanced,
                        repo_.AdvanceHead(tx, head.tree_size, {size, merkle::ToHex(root), clock_.NowMicros()}));
    if (!advanced) return absl::AbortedError("another builder advanced the audit tree");
    return absl::OkStatus();
  }));
  build_seconds_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return size - head.tree_size;
}

absl::StatusOr<std::vector<LeafHashAt>> TreeBuilder::Leaves(store::Transaction& tx, int64_t from, int64_t end) {
  std::vector<LeafHashAt> out;
  int64_t next = from;
  while (out.size() < kBatch && next < end) {
    size_t before = out.size();
    size_t want = std::min(kBatch - out.size(), static_cast<size_t>(end - next));
    int64_t held = feed_ ? feed_->Take(next, want, out) : LeafFeed::kNone;
    next += static_cast<int64_t>(out.size() - before);
    if (out.size() == kBatch || next >= end) break;
    // The feed lacks `next`: read the store up to the next index the feed holds.
    int64_t count = std::min({static_cast<int64_t>(kBatch - out.size()), held - next, end - next});
    TF_ASSIGN_OR_RETURN(std::vector<LeafHashAt> stored, repo_.LeafHashes(tx, next, static_cast<int>(count)));
    for (const LeafHashAt& leaf : stored) {
      if (leaf.leaf_index != next) return out;  // a gap: the index's transaction is running or rolled back
      out.push_back(leaf);
      ++next;
    }
    if (static_cast<int64_t>(stored.size()) < count) break;
  }
  return out;
}

absl::Status TreeBuilder::FillGap(int64_t index) {
  int64_t now = clock_.NowMicros();
  if (gap_index_ != index) {
    gap_index_ = index;
    gap_seen_at_ = now;
  }
  // Give the transaction that holds the index time to commit before filling it; on PostgreSQL
  // the insert then still waits for that transaction if it is running, and yields to its record.
  if (now - gap_seen_at_ < std::chrono::duration_cast<std::chrono::microseconds>(kGapGrace).count()) {
    return absl::OkStatus();
  }
  AuditRecord gap = GapRecord(index, NewUuidV7(clock_, FastRng::Instance()), now);
  TF_ASSIGN_OR_RETURN(bool filled, db_.InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return repo_.InsertGap(tx, gap);
  }));
  if (filled) {
    gaps_.Inc();
    log::Warn("filled an audit leaf index whose transaction rolled back", {{"leaf_index", index}});
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> TreeBuilder::Checkpoint() {
  // Roots and signatures from one snapshot, outside the writer's lock; the write only inserts.
  std::vector<audit::Checkpoint> issued;
  int64_t last_size = 0;
  TF_RETURN_IF_ERROR(db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(TreeHead head, repo_.Head(tx));
    TF_ASSIGN_OR_RETURN(std::optional<audit::Checkpoint> last, repo_.LatestCheckpoint(tx));
    last_size = last ? last->tree_size : 0;
    int64_t now = clock_.NowMicros();
    std::vector<int64_t> sizes;
    for (int64_t s = last_size + policy_.every_records; s <= head.tree_size; s += policy_.every_records) {
      sizes.push_back(s);
    }
    int64_t interval = std::chrono::duration_cast<std::chrono::microseconds>(policy_.interval).count();
    bool overdue = !last || now - last->timestamp >= interval;
    if (head.tree_size > (sizes.empty() ? last_size : sizes.back()) && overdue) sizes.push_back(head.tree_size);
    TileTree tree(repo_, tx);
    std::string key_id = absl::StrFormat("%08x", signer_.verifier().key_id());
    for (int64_t s : sizes) {
      TF_ASSIGN_OR_RETURN(merkle::Hash root, merkle::Root(static_cast<uint64_t>(s), tree));
      issued.push_back({s, merkle::ToHex(root), now, key_id, signer_.Sign(CheckpointBody(policy_.origin, s, root, now))});
    }
    return absl::OkStatus();
  }));
  if (issued.empty()) return int64_t{0};
  absl::StatusOr<int64_t> inserted = db_.InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::StatusOr<int64_t> {
    TF_ASSIGN_OR_RETURN(std::optional<audit::Checkpoint> last, repo_.LatestCheckpoint(tx));
    if ((last ? last->tree_size : 0) != last_size) return int64_t{0};  // another builder issued meanwhile
    for (const audit::Checkpoint& c : issued) TF_RETURN_IF_ERROR(repo_.InsertCheckpoint(tx, c));
    return static_cast<int64_t>(issued.size());
  });
  if (inserted.ok()) checkpoints_.Inc(static_cast<double>(*inserted));
  return inserted;
}

}  // namespace tf::audit
