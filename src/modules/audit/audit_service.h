#pragma once
// AuditService: reading the audit trail and proving it. Searches are scoped to the caller's
// tenant (platform operators see every tenant); a record comes with its leaf bytes and its
// inclusion proof against the latest checkpoint; inclusion and consistency proofs are served
// for any size the tree has reached. Writing is AuditLog's; building the tree TreeBuilder's.
// Thread-safety: safe from any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/merkle.h"
#include "core/principal.h"
#include "core/signed_note.h"
#include "modules/audit/audit_repo.h"
#include "store/database.h"

namespace tf::audit {

struct RecordWithProof {
  AuditRecord record;
  std::string leaf;                      //!< the canonical leaf bytes
  std::optional<Checkpoint> checkpoint;  //!< the latest, when it covers the record
  std::vector<merkle::Hash> proof;       //!< inclusion proof against `checkpoint`
};

class AuditService {
 public:
  AuditService(store::Database& db, const Clock& clock, const note::Signer& signer)
      : db_(db), clock_(clock), signer_(signer) {}

  const note::Signer& signer() const { return signer_; }
  //! NotFound before the first checkpoint.
  absl::StatusOr<Checkpoint> LatestCheckpoint();
  //! Newest first, below `before_size` when set.
  absl::StatusOr<std::vector<Checkpoint>> ListCheckpoints(std::optional<int64_t> before_size, int limit);
  absl::StatusOr<std::vector<AuditRecord>> List(const Principal& caller, RecordFilter filter);
  absl::StatusOr<RecordWithProof> Get(const Principal& caller, const std::string& id);
  //! Calls `each` with every record `filter` selects (its cursor and limit aside) that
  //! `checkpoint` covers, oldest first, with its leaf and inclusion proof against `checkpoint`
  //! (its `checkpoint` member is left empty); stops early, without error, when `each` returns
  //! false. Pages are read in transactions of their own: the records a checkpoint covers no
  //! longer change (pruning keeps their leaves), so no long snapshot is held.
  absl::Status ForEachProven(const Principal& caller, RecordFilter filter, const Checkpoint& checkpoint,
                             const std::function<bool(const RecordWithProof&)>& each);
  static constexpr int kProvenPage = 512;
  //! Counts over [from, to) (default: the 30 days up to now) of the caller's tenant; platform
  //! operators: every tenant, or `tenant_id`. At most kMaxStatsDays days.
  absl::StatusOr<AuditStats> Stats(const Principal& caller, std::optional<std::string> tenant_id,
                                   std::optional<int64_t> from, std::optional<int64_t> to);
  static constexpr int64_t kMaxStatsDays = 366;
  absl::StatusOr<std::vector<merkle::Hash>> InclusionProof(int64_t leaf_index, int64_t tree_size);
  absl::StatusOr<std::vector<merkle::Hash>> ConsistencyProof(int64_t first, int64_t second);

 private:
  store::Database& db_;
  const Clock& clock_;
  const note::Signer& signer_;
  AuditRepo repo_;
};

}  // namespace tf::audit
