// Tests of the role -> permission table (core/permissions.h) and Principal's helpers.

#include "core/permissions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/principal.h"

namespace tf {
namespace {

std::vector<Permission> AllPermissions() {
  std::vector<Permission> out;
  for (size_t i = 0; i < static_cast<size_t>(Permission::kCount); ++i) out.push_back(static_cast<Permission>(i));
  return out;
}

PermissionSet Set(std::initializer_list<Permission> ps) {
  PermissionSet s;
  for (Permission p : ps) s.set(static_cast<size_t>(p));
  return s;
}

TEST(PermissionsTest, SuperAdminHoldsEveryPermission) {
  PermissionSet s = PermissionsOf(Role::kSuperAdmin);
  EXPECT_TRUE(s.all());
  for (Permission p : AllPermissions()) EXPECT_TRUE(Has(s, p)) << PermissionName(p);
}

TEST(PermissionsTest, AdminHasNoTenantPermissions) {
  PermissionSet s = PermissionsOf(Role::kAdmin);
  EXPECT_FALSE(Has(s, Permission::kTenantsRead));
  EXPECT_FALSE(Has(s, Permission::kTenantsWrite));
  EXPECT_EQ(s, Set({Permission::kUsersRead, Permission::kUsersWrite, Permission::kTokensRead,
                    Permission::kTokensWrite, Permission::kSystemHealth, Permission::kSecurityPolicyWrite,
                    Permission::kAuditRead, Permission::kAuditManage, Permission::kSecretsRead,
                    Permission::kSecretsFetch, Permission::kSecurityRead, Permission::kSecurityRespond,
                    Permission::kAccessManage}));
  EXPECT_FALSE(Has(s, Permission::kSecretsManage)) << "only platform operators register and rotate secrets";
}

TEST(PermissionsTest, AuditorIsReadOnly) {
  PermissionSet s = PermissionsOf(Role::kAuditor);
  EXPECT_TRUE(s.any());
  for (Permission p : AllPermissions()) {
    std::string name(PermissionName(p));
    if (name.ends_with(".write") || name.ends_with(".manage")) {
      EXPECT_FALSE(Has(s, p)) << name;
    }
  }
  EXPECT_EQ(s, Set({Permission::kUsersRead, Permission::kTokensRead, Permission::kAuditRead,
                    Permission::kSecretsRead, Permission::kSecurityRead}));
  EXPECT_FALSE(Has(s, Permission::kSecurityRespond)) << "auditors read security events, never work them";
}

TEST(PermissionsTest, AccountantsReadSecurityEventsAndViewersHoldNothingYet) {
  EXPECT_EQ(PermissionsOf(Role::kAccountant), Set({Permission::kSecurityRead}));
  EXPECT_TRUE(PermissionsOf(Role::kViewer).none());
}

TEST(PermissionsTest, EveryRoleIsWithinSuperAdminAndPermissionsOfAListIsTheUnion) {
  for (Role r : AllRoles()) EXPECT_TRUE(IsSubset(PermissionsOf(r), PermissionsOf(Role::kSuperAdmin)));
  EXPECT_EQ(PermissionsOf({Role::kAuditor, Role::kAdmin}), PermissionsOf(Role::kAdmin));
  EXPECT_EQ(PermissionsOf(std::vector<Role>{}), PermissionSet());
  EXPECT_EQ(PermissionsOf({Role::kViewer, Role::kAuditor}), PermissionsOf(Role::kAuditor));
}

TEST(PermissionsTest, RoleNamesRoundTrip) {
  std::vector<Role> roles = AllRoles();
  EXPECT_EQ(roles.size(), 5u);
  std::set<std::string> names;
  for (Role r : roles) {
    std::string_view name = RoleName(r);
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(names.insert(std::string(name)).second) << name;
    EXPECT_EQ(ParseRole(name), r);
  }
  EXPECT_EQ(names, (std::set<std::string>{"SUPER_ADMIN", "ADMIN", "ACCOUNTANT", "AUDITOR", "VIEWER"}));
  EXPECT_EQ(ParseRole("admin"), std::nullopt);  // exact, case-sensitive
  EXPECT_EQ(ParseRole(" ADMIN"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
  EXPECT_EQ(ParseRole("ROOT"), std::nullopt);
}

TEST(PermissionsTest, PermissionNamesRoundTrip) {
  std::set<std::string> names;
  for (Permission p : AllPermissions()) {
    std::string_view name = PermissionName(p);
    EXPECT_NE(name.find('.'), std::string_view::npos) << name;
    EXPECT_TRUE(names.insert(std::string(name)).second) << name;
    EXPECT_EQ(ParsePermission(name), p);
  }
  EXPECT_EQ(ParsePermission("users.admin"), std::nullopt);
  EXPECT_EQ(ParsePermission("USERS.READ"), std::nullopt);
  EXPECT_EQ(ParsePermission(""), std::nullopt);
  EXPECT_EQ(PermissionNames(PermissionsOf(Role::kAuditor)), (std::vector<std::string>{"users.read", "tokens.read", "audit.read", "secrets.read", "security.read"}));
  EXPECT_TRUE(PermissionNames(PermissionSet()).empty());
  EXPECT_EQ(PermissionNames(PermissionsOf(Role::kSuperAdmin)).size(), static_cast<size_t>(Permission::kCount));
}

TEST(PermissionsTest, IsSubset) {
  PermissionSet none;
  PermissionSet read = Set({Permission::kUsersRead});
  PermissionSet rw = Set({Permission::kUsersRead, Permission::kUsersWrite});
  EXPECT_TRUE(IsSubset(none, none));
  EXPECT_TRUE(IsSubset(none, read));
  EXPECT_TRUE(IsSubset(read, read));
  EXPECT_TRUE(IsSubset(read, rw));
  EXPECT_FALSE(IsSubset(rw, read));
  EXPECT_FALSE(IsSubset(read, none));
  EXPECT_FALSE(IsSubset(Set({Permission::kTenantsRead}), rw));
  EXPECT_TRUE(IsSubset(PermissionsOf(Role::kAuditor), PermissionsOf(Role::kAdmin)));
  EXPECT_FALSE(IsSubset(PermissionsOf(Role::kSuperAdmin), PermissionsOf(Role::kAdmin)));
}

TEST(PermissionsTest, OnlySuperAdminIsAPlatformRole) {
  for (Role r : AllRoles()) EXPECT_EQ(IsPlatformRole(r), r == Role::kSuperAdmin) << RoleName(r);
}

TEST(PermissionsTest, PrincipalHelpers) {
  Principal p;
  p.user_id = "u1";
  p.credential_id = "c1";
  p.permissions = PermissionsOf(Role::kAdmin);
  EXPECT_FALSE(p.IsPlatform());
  EXPECT_TRUE(p.Can(Permission::kUsersWrite));
  EXPECT_FALSE(p.Can(Permission::kTenantsWrite));
  EXPECT_EQ(p.Actor(), "user:u1");
  p.permissions = PermissionsOf(Role::kSuperAdmin);
  EXPECT_TRUE(p.IsPlatform());
  p.kind = Principal::Kind::kApiToken;
  EXPECT_EQ(p.Actor(), "token:c1");
}

TEST(PermissionsTest, AccessConstructors) {
  EXPECT_EQ(Access::Public().kind, Access::Kind::kPublic);
  EXPECT_EQ(Access::Authenticated().kind, Access::Kind::kAuthenticated);
  Access a = Access::Requires(Permission::kUsersRead);
  EXPECT_EQ(a.kind, Access::Kind::kPermission);
  EXPECT_EQ(a.permission, Permission::kUsersRead);
  EXPECT_FALSE(a.allow_pending_setup);
  EXPECT_TRUE(a.AllowPendingSetup().allow_pending_setup);
  EXPECT_FALSE(a.allow_pending_setup);  // a copy, not a mutation
}

}  // namespace
}  // namespace tf
