#include "modules/audit/audit_service.h"

#include "core/clock.h"
#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/tile_tree.h"

namespace tf::audit {

namespace {

//! Refuses sizes the tree has not reached yet.
absl::Status CheckBuilt(AuditRepo& repo, store::Transaction& tx, int64_t tree_size) {
  TF_ASSIGN_OR_RETURN(TreeHead head, repo.Head(tx));
  if (tree_size > head.tree_size) {
    return absl::InvalidArgumentError(
        StrCat("the audit tree has ", head.tree_size, " leaves so far; tree_size ", tree_size, " is not reached yet"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Checkpoint> AuditService::LatestCheckpoint() {
  return db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<Checkpoint> {
    TF_ASSIGN_OR_RETURN(std::optional<Checkpoint> latest, repo_.LatestCheckpoint(tx));
    if (!latest) return absl::NotFoundError("no checkpoint has been issued yet");
    return *latest;
  });
}

absl::StatusOr<std::vector<Checkpoint>> AuditService::ListCheckpoints(std::optional<int64_t> before_size, int limit) {
  return db_.InTx(store::ReadTx().ReplicaOk(),
                  [&](store::Transaction& tx) { return repo_.ListCheckpoints(tx, before_size, limit); });
}

absl::StatusOr<std::vector<AuditRecord>> AuditService::List(const Principal& caller, RecordFilter filter) {
  if (std::optional<std::string> scope = caller.TenantScope()) filter.tenant_id = *scope;
  return db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(),
                  [&](store::Transaction& tx) { return repo_.List(tx, filter); });
}

absl::StatusOr<RecordWithProof> AuditService::Get(const Principal& caller, const std::string& id) {
  return db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<RecordWithProof> {
    RecordWithProof out;
    TF_ASSIGN_OR_RETURN(out.record, repo_.Get(tx, caller.TenantScope(), id));
    TF_ASSIGN_OR_RETURN(out.leaf, LeafBytes(out.record));
    TF_ASSIGN_OR_RETURN(std::optional<Checkpoint> latest, repo_.LatestCheckpoint(tx));
    if (latest && latest->tree_size > out.record.leaf_index) {
      TileTree tree(repo_, tx);
      TF_ASSIGN_OR_RETURN(out.proof, merkle::InclusionProof(static_cast<uint64_t>(out.record.leaf_index),
                                                            static_cast<uint64_t>(latest->tree_size), tree));
      out.checkpoint = std::move(latest);
    }
    return out;
  });
}

absl::Status AuditService::ForEachProven(const Principal& caller, RecordFilter filter, const Checkpoint& checkpoint,
                                         const std::function<bool(const RecordWithProof&)>& each) {
  if (std::optional<std::string> scope = caller.TenantScope()) filter.tenant_id = *scope;
  int64_t next = 0;
  bool more = true;
  while (more) {
    std::vector<RecordWithProof> page;
    TF_RETURN_IF_ERROR(db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
      page.clear();
      TF_ASSIGN_OR_RETURN(std::vector<AuditRecord> records,
                          repo_.Scan(tx, filter, next, checkpoint.tree_size, kProvenPage));
      TileTree tree(repo_, tx);  // per page: the tiles of nearby proofs, and no more
      for (AuditRecord& r : records) {
        RecordWithProof p;
        TF_ASSIGN_OR_RETURN(p.leaf, LeafBytes(r));
        TF_ASSIGN_OR_RETURN(p.proof, merkle::InclusionProof(static_cast<uint64_t>(r.leaf_index),
                                                            static_cast<uint64_t>(checkpoint.tree_size), tree));
        p.record = std::move(r);
        page.push_back(std::move(p));
      }
      return absl::OkStatus();
    }));
    more = page.size() == static_cast<size_t>(kProvenPage);
    if (!page.empty()) next = page.back().record.leaf_index + 1;
    for (const RecordWithProof& p : page) {
      if (!each(p)) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AuditStats> AuditService::Stats(const Principal& caller, std::optional<std::string> tenant_id,
                                               std::optional<int64_t> from_time, std::optional<int64_t> to_time) {
  int64_t to = to_time.value_or(clock_.NowMicros() + 1);
  int64_t from = from_time.value_or(to - 30 * kMicrosPerDay);
  if (to <= from) return FieldError("to", "must be after from");
  if (to - from > kMaxStatsDays * kMicrosPerDay) {
    return FieldError("from", StrCat("the range may span at most ", kMaxStatsDays, " days"));
  }
  if (std::optional<std::string> scope = caller.TenantScope()) tenant_id = *scope;
  return db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(),
                  [&](store::Transaction& tx) { return repo_.Stats(tx, tenant_id, from, to); });
}

absl::StatusOr<std::vector<merkle::Hash>> AuditService::InclusionProof(int64_t leaf_index, int64_t tree_size) {
  if (leaf_index < 0 || tree_size <= leaf_index) {
    return absl::InvalidArgumentError("leaf_index must be at least 0 and below tree_size");
  }
  return db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<std::vector<merkle::Hash>> {
    TF_RETURN_IF_ERROR(CheckBuilt(repo_, tx, tree_size));
    TileTree tree(repo_, tx);
    return merkle::InclusionProof(static_cast<uint64_t>(leaf_index), static_cast<uint64_t>(tree_size), tree);
  });
}

absl::StatusOr<std::vector<merkle::Hash>> AuditService::ConsistencyProof(int64_t first, int64_t second) {
  if (first < 0 || second < first) return absl::InvalidArgumentError("first must be at least 0 and at most second");
  return db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<std::vector<merkle::Hash>> {
    TF_RETURN_IF_ERROR(CheckBuilt(repo_, tx, second));
    TileTree tree(repo_, tx);
    return merkle::ConsistencyProof(static_cast<uint64_t>(first), static_cast<uint64_t>(second), tree);
  });
}

}  // namespace tf::audit
