#pragma once
// Principal: who is calling, once authenticated (a user's session or an API token), with the
// permissions that follow from their roles. Services take it to decide scope and rights.
// Thread-safety: a plain value.

#include <optional>
#include <string>
#include <vector>

#include "core/permissions.h"

namespace tf {

struct Principal {
  enum class Kind { kSession, kApiToken };
  Kind kind = Kind::kSession;
  std::string user_id;        //!< the session's user, or the token's creator
  std::string tenant_id;
  std::vector<Role> roles;
  PermissionSet permissions;
  std::string credential_id;  //!< session id or API token id (never the secret)
  bool via_cookie = false;    //!< state changes then need the CSRF header
  bool must_change_password = false;
  bool must_enroll_mfa = false;  //!< the tenant requires MFA and the user has none yet
  std::string source_ip;         //!< where the request came from (for account events)
  std::string user_agent;
  //! "jit:<request id>[,<request id>...]" when some roles come from just-in-time grants.
  std::string via;

  //! "user:<id>" or "token:<id>", for logs and audit.
  std::string Actor() const {
    return kind == Kind::kSession ? "user:" + user_id : "token:" + credential_id;
  }
  //! Platform operators act across tenants.
  bool IsPlatform() const { return Has(permissions, Permission::kTenantsRead); }
  //! The tenant this caller's queries are filtered to; none for platform operators.
  std::optional<std::string> TenantScope() const {
    return IsPlatform() ? std::nullopt : std::optional<std::string>(tenant_id);
  }
  //! The tenant its transactions carry for row-level security ("" = platform-wide).
  std::string TxTenant() const { return IsPlatform() ? std::string() : tenant_id; }
  bool Can(Permission p) const { return Has(permissions, p); }
};

}  // namespace tf
