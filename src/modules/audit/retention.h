#pragma once
// RetentionService: how long each tenant's audit records keep their details, and the pruning
// that applies it. Pruning sets an old record's details to NULL and stamps pruned_at (the only
// change the store's triggers allow); the leaf holds the details' hash, not the details, so
// the tree, the checkpoints and every proof still verify. Each batch of pruned records is
// itself recorded, in the batch's own transaction, as an `audit.pruned` event naming the leaf
// range, the cutoff and who pruned (an admin, or the system applying the policy hourly).
// Records without a tenant (sign-in attempts nobody could be matched to) are never pruned.
// Thread-safety: safe from any thread; two prunes at once each change distinct records.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/principal.h"
#include "modules/audit/audit_log.h"
#include "modules/audit/audit_repo.h"
#include "store/database.h"

namespace tf::audit {

class RetentionService {
 public:
  RetentionService(store::Database& db, const Clock& clock, AuditLog& log, metrics::Registry& metrics);

  //! NotFound for a tenant the caller cannot see; nullopt when the tenant keeps details forever.
  absl::StatusOr<std::optional<RetentionPolicy>> Get(const Principal& caller, const std::string& tenant_id);
  //! Sets the tenant's retention (kMinDays..kMaxDays); recorded with the value before and after.
  absl::StatusOr<RetentionPolicy> Set(const Principal& caller, const std::string& tenant_id, int64_t days);
  //! Removes the policy: details are kept forever again. NotFound when there was none.
  absl::Status Remove(const Principal& caller, const std::string& tenant_id);
  //! Prunes now what the tenant's policy lets go. FailedPrecondition without a policy.
  absl::StatusOr<PruneResult> Prune(const Principal& caller, const std::string& tenant_id);
  //! Applies every tenant's policy, as the system (the hourly task).
  absl::StatusOr<std::vector<PruneResult>> PruneAll();

  static constexpr int64_t kMinDays = 30;
  static constexpr int64_t kMaxDays = 3650;
  //! Records one pruning transaction changes.
  static constexpr int kBatch = 5000;

 private:
  //! NotFound for a tenant that does not exist or that the caller may not see.
  absl::Status CheckTenant(const Principal& caller, const std::string& tenant_id, store::Transaction& tx);
  absl::StatusOr<PruneResult> PruneTenant(const RetentionPolicy& policy, const Actor& actor);

  store::Database& db_;
  const Clock& clock_;
  AuditLog& log_;
  AuditRepo repo_;
  metrics::Counter& pruned_;
};

}  // namespace tf::audit
