#include "modules/identity/identity_repo.h"
#include "core/strings.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status.h"
#include "store/where.h"

namespace tf::identity {

namespace {

using store::Params;
using store::Row;
using store::OrderByIdLimit;
using store::SelectRows;
using store::Value;
using store::Where;

//! Sealed personal data starts so (secrets::kPersonalPrefix).
constexpr std::string_view kSealedPrefix = "tfpd:";

std::string JoinRoles(const std::vector<Role>& roles) {
  return absl::StrJoin(roles, ",", [](std::string* out, Role r) { StrAppend(out, RoleName(r)); });
}

std::vector<Role> SplitRoles(const std::string& text) {
  std::vector<Role> roles;
  for (absl::string_view name : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    if (auto r = ParseRole(Sv(name))) roles.push_back(*r);
  }
  return roles;
}

std::string JoinPermissions(const PermissionSet& set) { return absl::StrJoin(PermissionNames(set), ","); }

PermissionSet SplitPermissions(const std::string& text) {
  PermissionSet set;
  for (absl::string_view name : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    if (auto p = ParsePermission(Sv(name))) set.set(static_cast<size_t>(*p));
  }
  return set;
}

constexpr std::string_view kTenantColumns =
    "id, slug, name, data_region, status, require_mfa, require_device_approval, created_at, updated_at";

Tenant TenantFromRow(const Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5) != 0, r.Int(6) != 0, r.Int(7), r.Int(8)};
}

constexpr std::string_view kUserColumns =
    "id, tenant_id, email, display_name, password_hash, roles, status, must_change_password, "
    "locked_at, password_changed_at, last_login_at, mfa_enabled, created_at, updated_at, email_index, erased_at";

User UserFromRow(const Row& r) {
  User u;
  u.id = r.Text(0);
  u.tenant_id = r.Text(1);
  u.email = r.Text(2);
  u.display_name = r.Text(3);
  u.password_hash = r.Text(4);
  u.roles = SplitRoles(r.Text(5));
  u.status = r.Text(6);
  u.must_change_password = r.Int(7) != 0;
  u.locked_at = r.OptInt(8);
  u.password_changed_at = r.Int(9);
  u.last_login_at = r.OptInt(10);
  u.mfa_enabled = r.Int(11) != 0;
  u.created_at = r.Int(12);
  u.updated_at = r.Int(13);
  u.email_index = r.OptText(14);
  u.erased_at = r.OptInt(15);
  return u;
}

constexpr std::string_view kSessionColumns =
    "id, tenant_id, user_id, token_hash, csrf_hash, source_ip, user_agent, created_at, "
    "last_seen_at, expires_at, revoked_at, device_id";

Session SessionFromRow(const Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3),  r.Text(4),    r.Text(5),
          r.Text(6), r.Int(7),  r.Int(8),  r.Int(9),  r.OptInt(10), r.OptText(11)};
}

constexpr std::string_view kTokenColumns =
    "id, tenant_id, user_id, name, token_hash, permissions, expires_at, created_at, last_used_at, revoked_at";

ApiToken TokenFromRow(const Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3),   r.Text(4),
          SplitPermissions(r.Text(5)), r.Int(6), r.Int(7), r.OptInt(8), r.OptInt(9)};
}

}  // namespace

absl::Status IdentityRepo::InsertTenant(Tx& tx, const Tenant& t) {
  return tx.Exec(StrCat("INSERT INTO tenants (", kTenantColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {t.id, t.slug, t.name, t.data_region, t.status, int64_t{t.require_mfa},
                  int64_t{t.require_device_approval}, t.created_at, t.updated_at})
      .status();
}

absl::StatusOr<Tenant> IdentityRepo::GetTenant(Tx& tx, const std::string& id) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kTenantColumns, " FROM tenants WHERE id = ?"),
                                           {id}, "tenant"));
  return TenantFromRow(row);
}

absl::StatusOr<Tenant> IdentityRepo::GetTenantBySlug(Tx& tx, std::string_view slug) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kTenantColumns, " FROM tenants WHERE slug = ?"),
                                           {std::string(slug)}, "tenant"));
  return TenantFromRow(row);
}

absl::StatusOr<std::vector<Tenant>> IdentityRepo::ListTenants(Tx& tx, const TenantFilter& filter,
                                                              const std::optional<std::string>& after_id,
                                                              int limit) {
  Where w;
  w.AddIf("status = ?", filter.status);
  w.AddIf("slug = ?", filter.slug);
  w.AddIf("id > ?", after_id);
  return SelectRows(tx, kTenantColumns, "tenants", w, OrderByIdLimit(limit), TenantFromRow);
}

absl::Status IdentityRepo::UpdateTenant(Tx& tx, const Tenant& t) {
  return tx.Exec(
               "UPDATE tenants SET name = ?, status = ?, require_mfa = ?, require_device_approval = ?, "
               "updated_at = ? WHERE id = ?",
               {t.name, t.status, int64_t{t.require_mfa}, int64_t{t.require_device_approval}, t.updated_at, t.id})
      .status();
}

absl::Status IdentityRepo::InsertUser(Tx& tx, const User& u) {
  return tx.Exec(
               StrCat("INSERT INTO users (", kUserColumns,
                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
               {u.id, u.tenant_id, u.email, u.display_name, u.password_hash, JoinRoles(u.roles), u.status,
                int64_t{u.must_change_password}, store::OptInt(u.locked_at), u.password_changed_at,
                store::OptInt(u.last_login_at), int64_t{u.mfa_enabled}, u.created_at, u.updated_at,
                store::OptText(u.email_index), store::OptInt(u.erased_at)})
      .status();
}

absl::StatusOr<User> IdentityRepo::GetUser(Tx& tx, const std::optional<std::string>& tenant_scope,
                                           const std::string& id) {
  Where w;
  w.Add("id = ?", id);
  w.AddIf("tenant_id = ?", tenant_scope);
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kUserColumns, " FROM users", w.sql), w.params, "user"));
  return UserFromRow(row);
}

absl::StatusOr<User> IdentityRepo::GetUserByEmailIndex(Tx& tx, std::string_view email_index) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kUserColumns, " FROM users WHERE email_index = ?"),
                                           {std::string(email_index)}, "user"));
  return UserFromRow(row);
}

absl::StatusOr<std::vector<User>> IdentityRepo::ListUsers(Tx& tx, const UserFilter& filter,
                                                          const std::optional<std::string>& after_id, int limit) {
  Where w;
  w.AddIf("tenant_id = ?", filter.tenant_id);
  w.AddIf("status = ?", filter.status);
  w.AddIf("email_index = ?", filter.email_index);
  if (filter.role) w.Add("(',' || roles || ',') LIKE ?", StrCat("%,", *filter.role, ",%"));
  w.AddIf("id > ?", after_id);
  return SelectRows(tx, kUserColumns, "users", w, OrderByIdLimit(limit), UserFromRow);
}

absl::Status IdentityRepo::UpdateUser(Tx& tx, const User& u) {
  return tx.Exec(
               "UPDATE users SET email = ?, display_name = ?, password_hash = ?, roles = ?, status = ?, "
               "must_change_password = ?, locked_at = ?, password_changed_at = ?, last_login_at = ?, "
               "mfa_enabled = ?, updated_at = ?, email_index = ?, erased_at = ? WHERE id = ? AND tenant_id = ?",
               {u.email, u.display_name, u.password_hash, JoinRoles(u.roles), u.status,
                int64_t{u.must_change_password}, store::OptInt(u.locked_at), u.password_changed_at,
                store::OptInt(u.last_login_at), int64_t{u.mfa_enabled}, u.updated_at, store::OptText(u.email_index),
                store::OptInt(u.erased_at), u.id, u.tenant_id})
      .status();
}

absl::StatusOr<std::vector<std::string>> IdentityRepo::NotErased(Tx& tx, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  if (ids.empty()) return out;
  std::string marks;
  store::Params params;
  for (const std::string& id : ids) {
    StrAppend(&marks, marks.empty() ? "?" : ", ?");
    params.push_back(id);
  }
  TF_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(StrCat("SELECT id FROM users WHERE erased_at IS NULL AND id IN (", marks, ")"), params));
  for (const Row& r : rows) out.push_back(r.Text(0));
  return out;
}

absl::StatusOr<std::vector<User>> IdentityRepo::ListUnsealedUsers(Tx& tx, int limit) {
  Where w;
  w.Add("email NOT LIKE ? AND erased_at IS NULL", StrCat(kSealedPrefix, "%"));
  return SelectRows(tx, kUserColumns, "users", w, OrderByIdLimit(limit), UserFromRow);
}

absl::StatusOr<bool> IdentityRepo::SealUser(Tx& tx, const User& before, const User& sealed) {
  TF_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE users SET email = ?, display_name = ?, email_index = ? "
                                         "WHERE id = ? AND email = ? AND display_name = ?",
                                         {sealed.email, sealed.display_name, store::OptText(sealed.email_index),
                                          before.id, before.email, before.display_name}));
  return n > 0;
}

absl::StatusOr<std::vector<ApiToken>> IdentityRepo::ListUnsealedApiTokens(Tx& tx, int limit) {
  Where w;
  w.Add("name NOT LIKE ? AND user_id NOT IN (SELECT id FROM users WHERE erased_at IS NOT NULL)",
        StrCat(kSealedPrefix, "%"));
  return SelectRows(tx, kTokenColumns, "api_tokens", w, OrderByIdLimit(limit), TokenFromRow);
}

absl::StatusOr<bool> IdentityRepo::SealApiTokenName(Tx& tx, const ApiToken& before, const std::string& sealed_name) {
  TF_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE api_tokens SET name = ? WHERE id = ? AND name = ?",
                                         {sealed_name, before.id, before.name}));
  return n > 0;
}

absl::Status IdentityRepo::ForgetUserCredentials(Tx& tx, const std::string& user_id, std::string_view erased_name,
                                                 int64_t now) {
  TF_RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE user_id = ?", {user_id}).status());
  return tx.Exec("UPDATE api_tokens SET name = ?, revoked_at = COALESCE(revoked_at, ?) WHERE user_id = ?",
                 {std::string(erased_name), now, user_id})
      .status();
}

absl::Status IdentityRepo::SetLastLogin(Tx& tx, const std::string& user_id, int64_t at) {
  return tx.Exec("UPDATE users SET last_login_at = ? WHERE id = ?", {at, user_id}).status();
}

absl::StatusOr<int64_t> IdentityRepo::CountUsersWithRole(Tx& tx, Role role) {
  TF_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM users WHERE (',' || roles || ',') LIKE ?",
                                          {StrCat("%,", RoleName(role), ",%")}));
  return rows.at(0).Int(0);
}

absl::Status IdentityRepo::InsertSession(Tx& tx, const Session& s) {
  return tx.Exec(
               StrCat("INSERT INTO sessions (", kSessionColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
               {s.id, s.tenant_id, s.user_id, s.token_hash, s.csrf_hash, s.source_ip, s.user_agent, s.created_at,
                s.last_seen_at, s.expires_at, store::OptInt(s.revoked_at), store::OptText(s.device_id)})
      .status();
}

absl::StatusOr<Session> IdentityRepo::GetSessionByTokenHash(Tx& tx, std::string_view token_hash) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kSessionColumns, " FROM sessions WHERE token_hash = ?"),
                                           {std::string(token_hash)}, "session"));
  return SessionFromRow(row);
}

absl::Status IdentityRepo::TouchSession(Tx& tx, const std::string& id, int64_t now) {
  return tx.Exec("UPDATE sessions SET last_seen_at = ? WHERE id = ?", {now, id}).status();
}

absl::Status IdentityRepo::RevokeSession(Tx& tx, const std::string& id, int64_t now) {
  return tx.Exec("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", {now, id}).status();
}

absl::StatusOr<int64_t> IdentityRepo::PurgeSessions(Tx& tx, int64_t before) {
  return tx.Exec("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?", {before, before});
}

absl::StatusOr<int64_t> IdentityRepo::RevokeUserSessions(Tx& tx, const std::string& user_id,
                                                         const std::string& keep_id, int64_t now) {
  return tx.Exec("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS NULL",
                 {now, user_id, keep_id});
}

absl::StatusOr<std::vector<Session>> IdentityRepo::ListLiveSessions(Tx& tx, const std::string& user_id, int64_t now,
                                                                    int64_t live_after,
                                                                    const std::optional<std::string>& after_id,
                                                                    int limit) {
  Where w;
  w.Add("user_id = ?", user_id);
  w.Add("revoked_at IS NULL AND expires_at > ?", now);
  w.Add("last_seen_at > ?", live_after);
  w.AddIf("id > ?", after_id);
  return SelectRows(tx, kSessionColumns, "sessions", w, OrderByIdLimit(limit), SessionFromRow);
}

absl::StatusOr<Session> IdentityRepo::GetSession(Tx& tx, const std::string& user_id, const std::string& id) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kSessionColumns,
                                                  " FROM sessions WHERE id = ? AND user_id = ?"),
                                           {id, user_id}, "session"));
  return SessionFromRow(row);
}

absl::StatusOr<int64_t> IdentityRepo::RevokeDeviceSessions(Tx& tx, const std::string& device_id, int64_t now) {
  return tx.Exec("UPDATE sessions SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL", {now, device_id});
}

absl::Status IdentityRepo::InsertApiToken(Tx& tx, const ApiToken& t) {
  return tx.Exec(StrCat("INSERT INTO api_tokens (", kTokenColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {t.id, t.tenant_id, t.user_id, t.name, t.token_hash, JoinPermissions(t.permissions), t.expires_at,
                  t.created_at, store::OptInt(t.last_used_at), store::OptInt(t.revoked_at)})
      .status();
}

absl::StatusOr<ApiToken> IdentityRepo::GetApiTokenByHash(Tx& tx, std::string_view token_hash) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kTokenColumns, " FROM api_tokens WHERE token_hash = ?"),
                                           {std::string(token_hash)}, "API token"));
  return TokenFromRow(row);
}

absl::StatusOr<ApiToken> IdentityRepo::GetApiToken(Tx& tx, const std::string& tenant_id, const std::string& id) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kTokenColumns,
                                                        " FROM api_tokens WHERE id = ? AND tenant_id = ?"),
                                           {id, tenant_id}, "API token"));
  return TokenFromRow(row);
}

absl::StatusOr<std::vector<ApiToken>> IdentityRepo::ListApiTokens(Tx& tx, const std::string& tenant_id,
                                                                  const std::optional<std::string>& after_id,
                                                                  int limit) {
  Where w;
  w.Add("tenant_id = ?", tenant_id);
  w.AddIf("id > ?", after_id);
  return SelectRows(tx, kTokenColumns, "api_tokens", w, OrderByIdLimit(limit), TokenFromRow);
}

absl::Status IdentityRepo::RevokeApiToken(Tx& tx, const std::string& tenant_id, const std::string& id, int64_t now) {
  return tx.Exec("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
                 {now, id, tenant_id})
      .status();
}

absl::Status IdentityRepo::TouchApiToken(Tx& tx, const std::string& id, int64_t now) {
  return tx.Exec("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {now, id}).status();
}

absl::StatusOr<ThrottleState> IdentityRepo::GetThrottle(Tx& tx, std::string_view scope, std::string_view subject) {
  TF_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT failures, last_failure_at, locked_at FROM login_throttle "
                                          "WHERE scope = ? AND subject = ?",
                                          {std::string(scope), std::string(subject)}));
  if (rows.empty()) return ThrottleState{};
  return ThrottleState{static_cast<int>(rows[0].Int(0)), rows[0].Int(1), rows[0].OptInt(2)};
}

absl::Status IdentityRepo::PutThrottle(Tx& tx, std::string_view scope, std::string_view subject,
                                       const ThrottleState& s) {
  return tx.Exec("INSERT INTO login_throttle (scope, subject, failures, last_failure_at, locked_at) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, subject) DO UPDATE SET "
                 "failures = excluded.failures, last_failure_at = excluded.last_failure_at, "
                 "locked_at = excluded.locked_at",
                 {std::string(scope), std::string(subject), int64_t{s.failures}, s.last_failure_at,
                  store::OptInt(s.locked_at)})
      .status();
}

absl::Status IdentityRepo::ClearThrottle(Tx& tx, std::string_view scope, std::string_view subject) {
  return tx.Exec("DELETE FROM login_throttle WHERE scope = ? AND subject = ?",
                 {std::string(scope), std::string(subject)})
      .status();
}

}  // namespace tf::identity
