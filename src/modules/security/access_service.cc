#include "modules/security/access_service.h"

#include <algorithm>

#include "core/clock.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/permissions.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"

namespace tf::security {

namespace {

using nlohmann::json;

constexpr int kSweepBatch = 500;

json AuditView(const AccessRequest& r) {
  return {{"requester", r.requester},
          {"role", r.role},
          {"duration_minutes", r.duration_minutes},
          {"status", r.status},
          {"expires_at", r.expires_at ? json(FormatRfc3339Exact(*r.expires_at)) : json(nullptr)}};
}

absl::Status ValidNote(const std::optional<std::string>& note) {
  if (note && (note->empty() || note->size() > 1000)) return FieldError("note", "must be 1 to 1000 characters");
  return absl::OkStatus();
}

}  // namespace

AccessService::AccessService(store::Database& db, audit::AuditLog& audit, const Clock& clock, Rng& rng,
                             GrantCache& grants)
    : db_(db), audit_(audit), clock_(clock), rng_(rng), grants_(grants) {}

bool AccessService::SeesTenant(const Principal& caller) {
  return caller.Can(Permission::kAccessManage) || caller.Can(Permission::kAuditRead);
}

absl::StatusOr<AccessRequest> AccessService::Request(const Principal& caller, const NewAccessRequest& n) {
  if (caller.kind != Principal::Kind::kSession) {
    return absl::FailedPreconditionError("access is requested by a person in a signed-in session, not an API token");
  }
  std::optional<Role> role = ParseRole(n.role);
  if (!role) return FieldError("role", "must be one of SUPER_ADMIN, ADMIN, ACCOUNTANT, AUDITOR, VIEWER");
  if (n.duration_minutes < kMinMinutes || n.duration_minutes > kMaxMinutes) {
    return FieldError("duration_minutes", StrCat("must be from ", kMinMinutes, " to ", kMaxMinutes));
  }
  if (n.reason.empty() || n.reason.size() > 1000) return FieldError("reason", "must be 1 to 1000 characters");
  if (std::find(caller.roles.begin(), caller.roles.end(), *role) != caller.roles.end()) {
    return absl::FailedPreconditionError(StrCat("you already hold ", n.role));
  }
  int64_t now = clock_.NowMicros();
  AccessRequest r;
  r.id = NewUuidV7(clock_, rng_);
  r.tenant_id = caller.tenant_id;
  r.requester = caller.user_id;
  r.role = n.role;
  r.duration_minutes = n.duration_minutes;
  r.reason = n.reason;
  r.created_at = r.updated_at = now;
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    if (IsPlatformRole(*role)) {
      TF_ASSIGN_OR_RETURN(std::optional<std::string> system, security_repo_.TenantIdBySlug(tx, kSystemTenantSlug));
      if (system != caller.tenant_id) {
        return FieldError("role", "SUPER_ADMIN is for platform operators: the system tenant's users only");
      }
    }
    TF_ASSIGN_OR_RETURN(std::vector<AccessRequest> open, repo_.Open(tx, caller.user_id, n.role, now));
    if (!open.empty()) {
      return absl::FailedPreconditionError(StrCat("request ", open.front().id, " for ", n.role, " is already ",
                                                  open.front().status == "pending" ? "waiting" : "in force"));
    }
    TF_RETURN_IF_ERROR(repo_.Insert(tx, r));
    return audit_.RecordEvent(tx, r.tenant_id, audit::Actor::Of(caller),
                              {"access.requested", "CREATE", "access_requests", r.id,
                               {{"after", AuditView(r)}, {"reason", r.reason}}});
  }));
  return r;
}

absl::StatusOr<std::vector<AccessRequest>> AccessService::List(const Principal& caller, AccessFilter f) {
  if (std::optional<std::string> scope = caller.TenantScope()) {
    if (f.tenant_id && *f.tenant_id != *scope) return std::vector<AccessRequest>();
    f.tenant_id = std::move(scope);
  }
  if (!SeesTenant(caller)) {
    if (f.requester && *f.requester != caller.user_id) return std::vector<AccessRequest>();
    f.requester = caller.user_id;
  }
  return db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) { return repo_.List(tx, f); });
}

absl::StatusOr<AccessRequest> AccessService::Get(const Principal& caller, const std::string& id) {
  TF_ASSIGN_OR_RETURN(AccessRequest r, db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) {
                        return repo_.Get(tx, caller.TenantScope(), id);
                      }));
  if (!SeesTenant(caller) && r.requester != caller.user_id) return absl::NotFoundError("no such access request");
  return r;
}

template <typename Fn>
absl::StatusOr<AccessRequest> AccessService::Decide(const Principal& caller, const std::string& id,
                                                    std::string_view audit_type, Fn&& decide) {
  TF_ASSIGN_OR_RETURN(AccessRequest r,
                      db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<AccessRequest> {
                        TF_ASSIGN_OR_RETURN(AccessRequest r, repo_.Get(tx, caller.TenantScope(), id));
                        if (!SeesTenant(caller) && r.requester != caller.user_id) {
                          return absl::NotFoundError("no such access request");
                        }
                        std::string from = r.status;
                        int64_t now = clock_.NowMicros();
                        TF_RETURN_IF_ERROR(decide(r, now));
                        r.updated_at = now;
                        TF_ASSIGN_OR_RETURN(bool applied, repo_.Update(tx, r, from));
                        if (!applied) return absl::AbortedError("the request changed meanwhile; read it again");
                        TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, r.tenant_id, audit::Actor::Of(caller),
                                                              {std::string(audit_type), "UPDATE", "access_requests",
                                                               r.id, {{"from", from}, {"after", AuditView(r)}}}));
                        return r;
                      }));
  TF_RETURN_IF_ERROR(grants_.Refresh());
  return r;
}

absl::StatusOr<AccessRequest> AccessService::Approve(const Principal& caller, const std::string& id,
                                                     const std::optional<std::string>& note) {
  TF_RETURN_IF_ERROR(ValidNote(note));
  if (!caller.Can(Permission::kAccessManage)) return absl::PermissionDeniedError("approving needs access.manage");
  return Decide(caller, id, "access.granted", [&](AccessRequest& r, int64_t now) -> absl::Status {
    if (r.requester == caller.user_id) {
      return absl::PermissionDeniedError("you cannot approve your own request: another person must (four-eyes)");
    }
    if (!caller.via.empty()) {
      return absl::PermissionDeniedError("approvals need your standing access, not a just-in-time grant");
    }
    std::optional<Role> role = ParseRole(r.role);
    if (!role || !IsSubset(PermissionsOf(*role), caller.permissions)) {
      return absl::PermissionDeniedError(StrCat("you cannot grant ", r.role, ": it holds permissions you do not"));
    }
    if (r.status != "pending") return absl::FailedPreconditionError(StrCat("the request is ", r.status));
    r.status = "approved";
    r.decided_by = caller.Actor();
    r.decided_at = r.granted_at = now;
    r.decision_note = note;
    r.expires_at = now + r.duration_minutes * kMicrosPerMinute;
    return absl::OkStatus();
  });
}

absl::StatusOr<AccessRequest> AccessService::Reject(const Principal& caller, const std::string& id,
                                                    const std::optional<std::string>& note) {
  TF_RETURN_IF_ERROR(ValidNote(note));
  if (!caller.Can(Permission::kAccessManage)) return absl::PermissionDeniedError("rejecting needs access.manage");
  return Decide(caller, id, "access.rejected", [&](AccessRequest& r, int64_t now) -> absl::Status {
    if (r.status != "pending") return absl::FailedPreconditionError(StrCat("the request is ", r.status));
    r.status = "rejected";
    r.decided_by = caller.Actor();
    r.decided_at = now;
    r.decision_note = note;
    return absl::OkStatus();
  });
}

absl::StatusOr<AccessRequest> AccessService::Revoke(const Principal& caller, const std::string& id,
                                                    const std::optional<std::string>& note) {
  TF_RETURN_IF_ERROR(ValidNote(note));
  return Decide(caller, id, "access.revoked", [&](AccessRequest& r, int64_t now) -> absl::Status {
    if (r.requester != caller.user_id && !caller.Can(Permission::kAccessManage)) {
      return absl::PermissionDeniedError("only the requester or someone with access.manage ends a request");
    }
    if (r.status == "pending") {
      r.status = "cancelled";
    } else if (r.ActiveAt(now)) {
      r.status = "revoked";
    } else {
      return absl::FailedPreconditionError(StrCat("the request is ", r.status, " and no longer in force"));
    }
    r.ended_at = now;
    r.ended_by = caller.Actor();
    if (note) r.decision_note = note;
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> AccessService::Sweep() {
  int64_t now = clock_.NowMicros();
  int64_t changed = 0;
  TF_ASSIGN_OR_RETURN(std::vector<AccessRequest> due, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                        return repo_.Ended(tx, now, now - kLapseMicros, kSweepBatch);
                      }));
  for (AccessRequest& r : due) {
    std::string from = r.status;
    r.status = from == "pending" ? "lapsed" : "expired";
    r.ended_at = from == "pending" ? now : r.expires_at;
    r.ended_by = "system";
    r.updated_at = now;
    TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
      TF_ASSIGN_OR_RETURN(bool applied, repo_.Update(tx, r, from));
      if (!applied) return absl::OkStatus();  // decided meanwhile
      ++changed;
      return audit_.RecordEvent(tx, r.tenant_id, audit::Actor::System(),
                                {from == "pending" ? "access.lapsed" : "access.expired", "UPDATE", "access_requests",
                                 r.id, {{"from", from}, {"after", AuditView(r)}}});
    }));
  }
  TF_RETURN_IF_ERROR(grants_.Refresh());
  return changed;
}

absl::StatusOr<std::vector<AccessRequest>> AccessService::ActiveGrants(int64_t now) {
  return db_.InTx(store::ReadTx(), [&](store::Transaction& tx) { return repo_.ActiveGrants(tx, now); });
}

}  // namespace tf::security
