#pragma once
// AccessService: just-in-time access.
//  - Request: a signed-in user asks for a role for 5 to 480 minutes, with a reason. One open
//    (pending or in force) request per user and role; roles the user holds, and the platform
//    role outside the system tenant, cannot be asked for.
//  - Approve / Reject: by someone with access.manage who is not the requester (four-eyes),
//    acting on their standing access (not a grant of their own), and holding every
//    permission of the role. An approved request is the grant: in force at once, until it
//    expires by itself or is revoked. The requester may cancel a pending request or give a
//    grant up; managers may revoke either.
//  - Sweep, every minute: grants whose time ran out become expired and pending requests older
//    than 24 hours lapse, each audited.
// The grants in force are kept in a GrantCache (reloaded at once after each change here) that
// the GrantingAuthenticator adds to signed-in users' roles.
// Everyone sees their own requests; managers and auditors (access.manage, audit.read) see the
// tenant's; platform operators every tenant's.
// Thread-safety: safe from any thread.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/principal.h"
#include "core/rng.h"
#include "modules/audit/audit_log.h"
#include "modules/security/access_repo.h"
#include "modules/security/grant_cache.h"
#include "modules/security/security_repo.h"
#include "store/database.h"

namespace tf::security {

struct NewAccessRequest {
  std::string role;
  int64_t duration_minutes = 0;
  std::string reason;
};

class AccessService {
 public:
  AccessService(store::Database& db, audit::AuditLog& audit, const Clock& clock, Rng& rng, GrantCache& grants);

  absl::StatusOr<AccessRequest> Request(const Principal& caller, const NewAccessRequest& r);
  absl::StatusOr<std::vector<AccessRequest>> List(const Principal& caller, AccessFilter filter);
  absl::StatusOr<AccessRequest> Get(const Principal& caller, const std::string& id);
  absl::StatusOr<AccessRequest> Approve(const Principal& caller, const std::string& id,
                                        const std::optional<std::string>& note);
  absl::StatusOr<AccessRequest> Reject(const Principal& caller, const std::string& id,
                                       const std::optional<std::string>& note);
  //! Cancels a pending request or ends a grant early.
  absl::StatusOr<AccessRequest> Revoke(const Principal& caller, const std::string& id,
                                       const std::optional<std::string>& note);
  //! Expires and lapses what is due; returns how many changed.
  absl::StatusOr<int64_t> Sweep();
  //! The grants in force at `now`, of every tenant (the GrantCache's loader).
  absl::StatusOr<std::vector<AccessRequest>> ActiveGrants(int64_t now);

  static constexpr int64_t kMinMinutes = 5;
  static constexpr int64_t kMaxMinutes = 480;
  static constexpr int64_t kLapseMicros = int64_t{24} * 3600 * 1'000'000;

 private:
  //! Sees the tenant's requests (managers, auditors), or only the caller's own.
  static bool SeesTenant(const Principal& caller);
  template <typename Fn>
  absl::StatusOr<AccessRequest> Decide(const Principal& caller, const std::string& id, std::string_view audit_type,
                                       Fn&& decide);

  store::Database& db_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  Rng& rng_;
  GrantCache& grants_;
  AccessRepo repo_;
  SecurityRepo security_repo_;
};

}  // namespace tf::security
