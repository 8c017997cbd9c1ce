#include "modules/audit/retention.h"

#include "core/clock.h"
#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"

namespace tf::audit {

namespace {

nlohmann::json DaysJson(const std::optional<RetentionPolicy>& p) {
  return p ? nlohmann::json(p->retention_days) : nlohmann::json(nullptr);
}

}  // namespace

RetentionService::RetentionService(store::Database& db, const Clock& clock, AuditLog& log, metrics::Registry& metrics)
    : db_(db),
      clock_(clock),
      log_(log),
      pruned_(metrics.AddCounter("audit_records_pruned_total", "Audit records whose details retention pruned.").Get()) {}

absl::Status RetentionService::CheckTenant(const Principal& caller, const std::string& tenant_id,
                                          store::Transaction& tx) {
  std::optional<std::string> scope = caller.TenantScope();
  if (scope && *scope != tenant_id) return absl::NotFoundError("no such tenant");
  TF_ASSIGN_OR_RETURN(bool exists, repo_.TenantExists(tx, tenant_id));
  return exists ? absl::OkStatus() : absl::NotFoundError("no such tenant");
}

absl::StatusOr<std::optional<RetentionPolicy>> RetentionService::Get(const Principal& caller,
                                                                     const std::string& tenant_id) {
  return db_.InTx(store::ReadTx(caller.TxTenant()),
                  [&](store::Transaction& tx) -> absl::StatusOr<std::optional<RetentionPolicy>> {
                    TF_RETURN_IF_ERROR(CheckTenant(caller, tenant_id, tx));
                    return repo_.Retention(tx, tenant_id);
                  });
}

absl::StatusOr<RetentionPolicy> RetentionService::Set(const Principal& caller, const std::string& tenant_id,
                                                      int64_t days) {
  if (days < kMinDays || days > kMaxDays) {
    return FieldError("retention_days", StrCat("must be between ", kMinDays, " and ", kMaxDays, " days"));
  }
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<RetentionPolicy> {
    TF_RETURN_IF_ERROR(CheckTenant(caller, tenant_id, tx));
    TF_ASSIGN_OR_RETURN(std::optional<RetentionPolicy> before, repo_.Retention(tx, tenant_id));
    RetentionPolicy policy;
    if (before) policy = *before;
    policy.tenant_id = tenant_id;
    policy.retention_days = days;
    policy.updated_at = clock_.NowMicros();
    policy.updated_by = caller.user_id;
    TF_RETURN_IF_ERROR(repo_.PutRetention(tx, policy));
    TF_RETURN_IF_ERROR(log_.RecordEvent(tx, tenant_id, Actor::Of(caller),
                                        {"audit.retention_updated", "UPDATE", "tenant", tenant_id,
                                         {{"before", DaysJson(before)}, {"after", days}}}));
    return policy;
  });
}

absl::Status RetentionService::Remove(const Principal& caller, const std::string& tenant_id) {
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(CheckTenant(caller, tenant_id, tx));
    TF_ASSIGN_OR_RETURN(std::optional<RetentionPolicy> before, repo_.Retention(tx, tenant_id));
    if (!before) return absl::NotFoundError("the tenant has no audit retention policy: details are kept forever");
    TF_RETURN_IF_ERROR(repo_.DeleteRetention(tx, tenant_id).status());
    return log_.RecordEvent(tx, tenant_id, Actor::Of(caller),
                            {"audit.retention_updated", "UPDATE", "tenant", tenant_id,
                             {{"before", DaysJson(before)}, {"after", nullptr}}});
  });
}

absl::StatusOr<PruneResult> RetentionService::Prune(const Principal& caller, const std::string& tenant_id) {
  TF_ASSIGN_OR_RETURN(std::optional<RetentionPolicy> policy, Get(caller, tenant_id));
  if (!policy) {
    return absl::FailedPreconditionError("the tenant has no audit retention policy: set one before pruning");
  }
  return PruneTenant(*policy, Actor::Of(caller));
}

absl::StatusOr<std::vector<PruneResult>> RetentionService::PruneAll() {
  TF_ASSIGN_OR_RETURN(std::vector<RetentionPolicy> policies,
                      db_.InTx(store::ReadTx(), [&](store::Transaction& tx) { return repo_.RetentionPolicies(tx); }));
  std::vector<PruneResult> out;
  for (const RetentionPolicy& p : policies) {
    TF_ASSIGN_OR_RETURN(PruneResult r, PruneTenant(p, Actor::System()));
    out.push_back(r);
  }
  return out;
}

absl::StatusOr<PruneResult> RetentionService::PruneTenant(const RetentionPolicy& policy, const Actor& actor) {
  int64_t now = clock_.NowMicros();
  PruneResult result{policy.tenant_id, now - policy.retention_days * kMicrosPerDay, 0};
  for (;;) {
    TF_ASSIGN_OR_RETURN(PrunedRange range, db_.InTx(store::WriteTx(policy.tenant_id), [&](store::Transaction& tx)
                                                                                           -> absl::StatusOr<PrunedRange> {
      TF_ASSIGN_OR_RETURN(PrunedRange r, repo_.PruneBatch(tx, policy.tenant_id, result.cutoff, now, kBatch));
      if (r.count == 0) return r;
      TF_RETURN_IF_ERROR(log_.RecordEvent(tx, policy.tenant_id, actor,
                                          {"audit.pruned", "PRUNE", "audit_log", std::nullopt,
                                           {{"retention_days", policy.retention_days},
                                            {"cutoff", FormatRfc3339Exact(result.cutoff)},
                                            {"records", r.count},
                                            {"first_leaf_index", r.first},
                                            {"last_leaf_index", r.last}}}));
      return r;
    }));
    result.pruned += range.count;
    pruned_.Inc(static_cast<double>(range.count));
    if (range.count == 0) break;
  }
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(policy.tenant_id), [&](store::Transaction& tx) {
    return repo_.NotePruned(tx, policy.tenant_id, now, result.pruned);
  }));
  return result;
}

}  // namespace tf::audit
