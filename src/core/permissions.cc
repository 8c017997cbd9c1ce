#include "core/permissions.h"

#include <array>
#include <initializer_list>

namespace tf {

namespace {

struct RoleRow {
  Role role;
  std::string_view name;
  std::initializer_list<Permission> permissions;
};

using P = Permission;

// The table. AUDITOR is read-only; ACCOUNTANT and VIEWER gain permissions as domain modules
// (ledgers, evidence, dashboards) arrive.
const RoleRow kRoles[] = {
    {Role::kSuperAdmin, "SUPER_ADMIN",
     {P::kTenantsRead, P::kTenantsWrite, P::kUsersRead, P::kUsersWrite, P::kTokensRead,
      P::kTokensWrite, P::kSystemHealth, P::kSecurityPolicyWrite, P::kAuditRead, P::kAuditManage,
      P::kSecretsRead, P::kSecretsManage, P::kSecretsFetch, P::kSecurityRead, P::kSecurityRespond,
      P::kAccessManage}},
    {Role::kAdmin, "ADMIN",
     {P::kUsersRead, P::kUsersWrite, P::kTokensRead, P::kTokensWrite, P::kSystemHealth, P::kSecurityPolicyWrite,
      P::kAuditRead, P::kAuditManage, P::kSecretsRead, P::kSecretsFetch, P::kSecurityRead, P::kSecurityRespond,
      P::kAccessManage}},
    {Role::kAccountant, "ACCOUNTANT", {P::kSecurityRead}},
    {Role::kAuditor, "AUDITOR", {P::kUsersRead, P::kTokensRead, P::kAuditRead, P::kSecretsRead, P::kSecurityRead}},
    {Role::kViewer, "VIEWER", {}},
};

constexpr std::array<std::string_view, static_cast<size_t>(Permission::kCount)> kPermissionNames = {
    "tenants.read", "tenants.write", "users.read", "users.write",
    "tokens.read",  "tokens.write",  "system.health", "security_policy.write", "audit.read",
    "audit.manage", "secrets.read", "secrets.manage", "secrets.fetch", "security.read", "security.respond", "access.manage",
};

}  // namespace

std::string_view RoleName(Role r) {
  for (const auto& row : kRoles) {
    if (row.role == r) return row.name;
  }
  return "";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& row : kRoles) {
    if (row.name == name) return row.role;
  }
  return std::nullopt;
}

std::vector<Role> AllRoles() {
  std::vector<Role> out;
  for (const auto& row : kRoles) out.push_back(row.role);
  return out;
}

bool IsPlatformRole(Role r) { return r == Role::kSuperAdmin; }

std::string_view PermissionName(Permission p) { return kPermissionNames.at(static_cast<size_t>(p)); }

std::optional<Permission> ParsePermission(std::string_view name) {
  for (size_t i = 0; i < kPermissionNames.size(); ++i) {
    if (kPermissionNames[i] == name) return static_cast<Permission>(i);
  }
  return std::nullopt;
}

PermissionSet PermissionsOf(Role r) {
  PermissionSet set;
  for (const auto& row : kRoles) {
    if (row.role != r) continue;
    for (Permission p : row.permissions) set.set(static_cast<size_t>(p));
  }
  return set;
}

PermissionSet PermissionsOf(const std::vector<Role>& roles) {
  PermissionSet set;
  for (Role r : roles) set |= PermissionsOf(r);
  return set;
}

std::vector<std::string> PermissionNames(const PermissionSet& set) {
  std::vector<std::string> out;
  for (size_t i = 0; i < set.size(); ++i) {
    if (set.test(i)) out.emplace_back(kPermissionNames[i]);
  }
  return out;
}

}  // namespace tf
