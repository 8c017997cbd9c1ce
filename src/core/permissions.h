#pragma once
// The one role -> permission table. Routes name the permission they need; the router checks it
// against the caller's permissions; no handler checks roles by hand. API tokens carry a subset
// of their creator's permissions.
// Thread-safety: immutable tables.

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tf {

enum class Role { kSuperAdmin, kAdmin, kAccountant, kAuditor, kViewer };

enum class Permission {
  kTenantsRead,
  kTenantsWrite,
  kUsersRead,
  kUsersWrite,
  kTokensRead,
  kTokensWrite,
  kSystemHealth,
  kSecurityPolicyWrite,  //!< the tenant's sign-in rules (MFA, device approval)
  kAuditRead,            //!< the audit trail, its checkpoints and proofs
  kAuditManage,          //!< the tenant's audit retention, and pruning by it
  kSecretsRead,          //!< the secret inventory and rotation ledger (never values)
  kSecretsManage,        //!< registering secrets, rotating them, their rotation policies
  kSecretsFetch,         //!< managed secrets' values, served to API tokens only
  kSecurityRead,         //!< security events, detection rules
  kSecurityRespond,      //!< reporting security events and working them; running incidents
  kAccessManage,         //!< deciding just-in-time access requests; access reviews
  kCount,  // not a permission: the number of them
};

//! What a route requires: nobody (public), any authenticated caller, or one permission.
struct Access {
  enum class Kind { kPublic, kAuthenticated, kPermission } kind = Kind::kPublic;
  Permission permission = Permission::kCount;
  //! Reachable while the caller must still change their password or enrol MFA (the routes
  //! that let them do so, and sign-out).
  bool allow_pending_setup = false;
  //! Only API tokens may call it (services fetching secret values); sessions get 403.
  bool api_tokens_only = false;

  static Access Public() { return {}; }
  static Access Authenticated() { return {Kind::kAuthenticated, Permission::kCount, false}; }
  static Access Requires(Permission p) { return {Kind::kPermission, p, false}; }
  Access AllowPendingSetup() const {
    Access a = *this;
    a.allow_pending_setup = true;
    return a;
  }
  Access ApiTokensOnly() const {
    Access a = *this;
    a.api_tokens_only = true;
    return a;
  }
};

using PermissionSet = std::bitset<static_cast<size_t>(Permission::kCount)>;

std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view name);
std::vector<Role> AllRoles();
//! Roles that exist only in the system tenant.
bool IsPlatformRole(Role r);

//! The slug of the platform operators' tenant (the only one holding platform roles).
inline constexpr std::string_view kSystemTenantSlug = "system";

std::string_view PermissionName(Permission p);
std::optional<Permission> ParsePermission(std::string_view name);

PermissionSet PermissionsOf(Role r);
PermissionSet PermissionsOf(const std::vector<Role>& roles);
std::vector<std::string> PermissionNames(const PermissionSet& set);
inline bool Has(const PermissionSet& set, Permission p) { return set.test(static_cast<size_t>(p)); }
//! True when every permission in `inner` is also in `outer`.
inline bool IsSubset(const PermissionSet& inner, const PermissionSet& outer) { return (inner & ~outer).none(); }

}  // namespace tf
