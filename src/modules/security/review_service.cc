#include "modules/security/review_service.h"

#include <algorithm>

#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/strings.h"
#include "modules/security/security_repo.h"

namespace tf::security {

namespace {

using nlohmann::json;

constexpr int kPage = 500;

}  // namespace

ReviewService::ReviewService(store::Database& db, audit::AuditLog& audit, identity::IdentityService& identity,
                             const Clock& clock, Rng& rng)
    : db_(db), audit_(audit), identity_(identity), clock_(clock), rng_(rng) {}

absl::StatusOr<AccessReview> ReviewService::Open(const Principal& caller, const std::optional<std::string>& tenant_id,
                                                 std::string title, std::optional<int64_t> due_at) {
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantToActOn(db_, caller, tenant_id));
  if (title.empty() || title.size() > 200) return FieldError("title", "must be 1 to 200 characters");
  int64_t now = clock_.NowMicros();
  if (due_at && *due_at <= now) return FieldError("due_at", "must be in the future");
  AccessReview r;
  r.id = NewUuidV7(clock_, rng_);
  r.tenant_id = tenant;
  r.title = std::move(title);
  r.due_at = due_at;
  r.created_at = now;
  r.created_by = caller.Actor();
  identity::UserFilter f;
  f.tenant_id = tenant;
  f.status = "active";
  std::optional<std::string> after;
  for (;;) {
    TF_ASSIGN_OR_RETURN(std::vector<identity::User> users, identity_.ListUsers(caller, f, after, kPage));
    for (const identity::User& u : users) {
      ReviewItem item;
      item.user_id = u.id;
      for (Role role : u.roles) item.roles.emplace_back(RoleName(role));
      r.items.push_back(std::move(item));
    }
    if (users.size() < static_cast<size_t>(kPage)) break;
    if (r.items.size() >= static_cast<size_t>(kMaxUsers)) {
      return absl::FailedPreconditionError(StrCat("a review covers at most ", kMaxUsers, " users"));
    }
    after = users.back().id;
  }
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(repo_.InsertReview(tx, r));
    return audit_.RecordEvent(tx, tenant, audit::Actor::Of(caller),
                              {"access_review.opened", "CREATE", "access_reviews", r.id,
                               {{"users", r.items.size()}}});
  }));
  return r;
}

absl::StatusOr<std::vector<AccessReview>> ReviewService::List(const Principal& caller,
                                                              const std::optional<std::string>& tenant_id,
                                                              const std::optional<std::string>& before_id, int limit) {
  std::optional<std::string> scope = caller.TenantScope();
  if (scope && tenant_id && *tenant_id != *scope) return std::vector<AccessReview>();
  std::optional<std::string> tenant = scope ? scope : tenant_id;
  return db_.InTx(store::ReadTx(caller.TxTenant()),
                  [&](store::Transaction& tx) { return repo_.ListReviews(tx, tenant, before_id, limit); });
}

absl::StatusOr<AccessReview> ReviewService::Get(const Principal& caller, const std::string& id) {
  return db_.InTx(store::ReadTx(caller.TxTenant()),
                  [&](store::Transaction& tx) { return repo_.GetReview(tx, caller.TenantScope(), id); });
}

absl::StatusOr<AccessReview> ReviewService::Decide(const Principal& caller, const std::string& id,
                                                   const ReviewDecision& d) {
  if (d.decision != "certify" && d.decision != "revoke") return FieldError("decision", "must be certify or revoke");
  if (d.note && (d.note->empty() || d.note->size() > 1000)) return FieldError("note", "must be 1 to 1000 characters");
  TF_ASSIGN_OR_RETURN(AccessReview r, Get(caller, id));
  if (r.status != "open") return absl::FailedPreconditionError("the review is completed");
  auto it = std::find_if(r.items.begin(), r.items.end(), [&](const ReviewItem& i) { return i.user_id == d.user_id; });
  if (it == r.items.end()) return FieldError("user_id", "is not under this review");
  if (d.user_id == caller.user_id) {
    return absl::PermissionDeniedError("you cannot review your own access: another reviewer must (four-eyes)");
  }
  if (it->decision) return absl::FailedPreconditionError(StrCat("this user's access was already ", *it->decision));
  ReviewItem item = *it;
  item.decision = d.decision == "certify" ? "certified" : "revoked";
  item.note = d.note;
  item.decided_by = caller.Actor();
  item.decided_at = clock_.NowMicros();
  if (d.decision == "revoke") {
    std::vector<std::string> taken = d.roles.empty() ? item.roles : d.roles;
    for (const std::string& role : taken) {
      if (std::find(item.roles.begin(), item.roles.end(), role) == item.roles.end()) {
        return FieldError("roles", StrCat("'", role.substr(0, 32), "' is not among the roles under review"));
      }
    }
    // Revoke from the roles the user holds now (they may have changed since the snapshot).
    TF_ASSIGN_OR_RETURN(identity::User current, identity_.GetUser(caller, d.user_id));
    identity::UserPatch patch;
    std::vector<std::string> remaining;
    for (Role role : current.roles) {
      std::string name(RoleName(role));
      if (std::find(taken.begin(), taken.end(), name) == taken.end()) remaining.push_back(name);
    }
    if (remaining.empty()) {
      patch.status = "disabled";
    } else {
      patch.roles = remaining;
    }
    TF_RETURN_IF_ERROR(identity_.UpdateUser(caller, d.user_id, patch).status());
    item.revoked_roles = taken;
  }
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(bool applied, repo_.DecideItem(tx, r.id, item));
    if (!applied) return absl::AbortedError("this user's access was decided meanwhile");
    return audit_.RecordEvent(tx, r.tenant_id, audit::Actor::Of(caller),
                              {"access_review.decided", "UPDATE", "access_reviews", r.id,
                               {{"user_id", item.user_id},
                                {"decision", *item.decision},
                                {"roles", item.roles},
                                {"revoked_roles", item.revoked_roles}}});
  }));
  return Get(caller, id);
}

absl::StatusOr<AccessReview> ReviewService::Complete(const Principal& caller, const std::string& id) {
  TF_ASSIGN_OR_RETURN(AccessReview r, Get(caller, id));
  if (r.status != "open") return absl::FailedPreconditionError("the review is already completed");
  int64_t undecided = std::count_if(r.items.begin(), r.items.end(), [](const ReviewItem& i) { return !i.decision; });
  if (undecided > 0) {
    return absl::FailedPreconditionError(StrCat(undecided, " user", undecided == 1 ? " is" : "s are", " not decided yet"));
  }
  r.completed_at = clock_.NowMicros();
  r.completed_by = caller.Actor();
  int64_t revoked = std::count_if(r.items.begin(), r.items.end(), [](const ReviewItem& i) {
    return i.decision == "revoked";
  });
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(bool applied, repo_.CompleteReview(tx, r));
    if (!applied) return absl::AbortedError("the review was completed meanwhile");
    return audit_.RecordEvent(tx, r.tenant_id, audit::Actor::Of(caller),
                              {"access_review.completed", "UPDATE", "access_reviews", r.id,
                               {{"users", r.items.size()},
                                {"certified", static_cast<int64_t>(r.items.size()) - revoked},
                                {"revoked", revoked}}});
  }));
  r.status = "completed";
  return r;
}

}  // namespace tf::security
