#pragma once
// ReviewService: access review campaigns.
//  - Open: snapshots each active user's roles in the tenant (by the identity service's list).
//  - Decide: a reviewer with access.manage certifies a user's roles or revokes some of them;
//    nobody decides their own access (four-eyes). A revocation applies at once through the
//    identity service (its rules and its `user.updated` audit event); revoking every role a
//    user has disables the account instead, since a user holds at least one role.
//  - Complete: once every user is decided; the campaign is then kept, unchanged, as evidence.
// Each step is audited (access_review.opened, .decided, .completed).
// Platform operators act on any tenant (`tenant_id`, default their own); everyone else on
// their own.
// Thread-safety: safe from any thread.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/principal.h"
#include "core/rng.h"
#include "modules/audit/audit_log.h"
#include "modules/identity/identity_service.h"
#include "modules/security/access_repo.h"
#include "store/database.h"

namespace tf::security {

struct ReviewDecision {
  std::string user_id;
  std::string decision;             //!< certify | revoke
  std::vector<std::string> roles;   //!< revoke: the roles taken away (default: every role)
  std::optional<std::string> note;
};

class ReviewService {
 public:
  ReviewService(store::Database& db, audit::AuditLog& audit, identity::IdentityService& identity, const Clock& clock,
                Rng& rng);

  absl::StatusOr<AccessReview> Open(const Principal& caller, const std::optional<std::string>& tenant_id,
                                    std::string title, std::optional<int64_t> due_at);
  absl::StatusOr<std::vector<AccessReview>> List(const Principal& caller, const std::optional<std::string>& tenant_id,
                                                 const std::optional<std::string>& before_id, int limit);
  absl::StatusOr<AccessReview> Get(const Principal& caller, const std::string& id);
  absl::StatusOr<AccessReview> Decide(const Principal& caller, const std::string& id, const ReviewDecision& d);
  absl::StatusOr<AccessReview> Complete(const Principal& caller, const std::string& id);

  static constexpr int kMaxUsers = 10000;

 private:
  store::Database& db_;
  audit::AuditLog& audit_;
  identity::IdentityService& identity_;
  const Clock& clock_;
  Rng& rng_;
  AccessRepo repo_;
};

}  // namespace tf::security
