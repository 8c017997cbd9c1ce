#include "modules/identity/account_repo.h"

#include "core/clock.h"
#include "core/status.h"
#include "core/strings.h"
#include "store/where.h"

namespace tf::identity {

namespace {

using store::Params;
using store::OrderByIdLimit;
using store::Row;
using store::SelectRows;
using store::Where;

constexpr std::string_view kTotpColumns = "user_id, tenant_id, secret, confirmed_at, last_used_step, created_at";

TotpFactor TotpFromRow(const Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.OptInt(3), r.OptInt(4), r.Int(5)};
}

constexpr std::string_view kChallengeColumns =
    "id, tenant_id, user_id, token_hash, device_id, mfa_pending, attempts, source_ip, user_agent, created_at, "
    "expires_at";

LoginChallenge ChallengeFromRow(const Row& r) {
  return {r.Text(0), r.Text(1),       r.Text(2), r.Text(3), r.Text(4), r.Int(5) != 0,
          static_cast<int>(r.Int(6)), r.Text(7), r.Text(8), r.Int(9),  r.Int(10)};
}

constexpr std::string_view kDeviceColumns =
    "id, tenant_id, user_id, token_hash, name, user_agent, first_ip, last_ip, status, approval_code, "
    "approval_expires_at, approved_by, approved_at, first_seen_at, last_seen_at";

Device DeviceFromRow(const Row& r) {
  return {r.Text(0),     r.Text(1),      r.Text(2),     r.Text(3),      r.Text(4),
          r.Text(5),     r.Text(6),      r.Text(7),     r.Text(8),      r.OptText(9),
          r.OptInt(10),  r.OptText(11),  r.OptInt(12),  r.Int(13),      r.Int(14)};
}

constexpr std::string_view kEventColumns =
    "id, tenant_id, user_id, actor, type, source_ip, user_agent, detail, created_at";

AccountEvent EventFromRow(const Row& r) {
  return {r.Text(0), r.Text(1), r.OptText(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7), r.Int(8)};
}

absl::StatusOr<int64_t> Count(store::Transaction& tx, std::string_view sql, const Params& params) {
  TF_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
  return rows.at(0).Int(0);
}

}  // namespace

// --- TOTP ------------------------------------------------------------------------------------

absl::StatusOr<TotpFactor> AccountRepo::GetTotp(Tx& tx, const std::string& user_id) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kTotpColumns, " FROM mfa_totp WHERE user_id = ?"),
                                           {user_id}, "TOTP factor"));
  return TotpFromRow(row);
}

absl::Status AccountRepo::PutTotp(Tx& tx, const TotpFactor& f) {
  TF_RETURN_IF_ERROR(DeleteTotp(tx, f.user_id));
  return tx.Exec(StrCat("INSERT INTO mfa_totp (", kTotpColumns, ") VALUES (?, ?, ?, ?, ?, ?)"),
                 {f.user_id, f.tenant_id, f.secret, store::OptInt(f.confirmed_at), store::OptInt(f.last_used_step),
                  f.created_at})
      .status();
}

absl::Status AccountRepo::ConfirmTotp(Tx& tx, const std::string& user_id, int64_t step, int64_t now) {
  return tx.Exec("UPDATE mfa_totp SET confirmed_at = ?, last_used_step = ? WHERE user_id = ?", {now, step, user_id})
      .status();
}

absl::Status AccountRepo::DeleteTotp(Tx& tx, const std::string& user_id) {
  return tx.Exec("DELETE FROM mfa_totp WHERE user_id = ?", {user_id}).status();
}

absl::StatusOr<std::vector<TotpFactor>> AccountRepo::ListPlaintextTotp(Tx& tx, int limit) {
  TF_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(StrCat("SELECT ", kTotpColumns, " FROM mfa_totp WHERE secret NOT LIKE 'tfenc:%' "
                                      "ORDER BY user_id LIMIT ", limit),
                               {}));
  std::vector<TotpFactor> out;
  for (const Row& r : rows) out.push_back(TotpFromRow(r));
  return out;
}

absl::StatusOr<bool> AccountRepo::EncryptTotp(Tx& tx, const TotpFactor& before, const std::string& encrypted) {
  TF_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE mfa_totp SET secret = ? WHERE user_id = ? AND secret = ?",
                                         {encrypted, before.user_id, before.secret}));
  return n > 0;
}

absl::StatusOr<bool> AccountRepo::UseTotpStep(Tx& tx, const std::string& user_id, int64_t step) {
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      tx.Exec("UPDATE mfa_totp SET last_used_step = ? WHERE user_id = ? AND "
                              "(last_used_step IS NULL OR last_used_step < ?)",
                              {step, user_id, step}));
  return changed == 1;
}

absl::Status AccountRepo::ForgetUser(Tx& tx, const std::string& user_id) {
  for (const char* sql : {"DELETE FROM mfa_totp WHERE user_id = ?", "DELETE FROM mfa_recovery_codes WHERE user_id = ?",
                          "DELETE FROM login_challenges WHERE user_id = ?", "DELETE FROM devices WHERE user_id = ?",
                          "UPDATE account_events SET source_ip = '', user_agent = '' WHERE user_id = ?"}) {
    TF_RETURN_IF_ERROR(tx.Exec(sql, {user_id}).status());
  }
  return absl::OkStatus();
}

// --- recovery codes --------------------------------------------------------------------------

absl::Status AccountRepo::ReplaceRecoveryCodes(Tx& tx, const std::string& tenant_id, const std::string& user_id,
                                               const std::vector<std::pair<std::string, std::string>>& ids_and_hashes,
                                               int64_t now) {
  TF_RETURN_IF_ERROR(DeleteRecoveryCodes(tx, user_id));
  for (const auto& [id, hash] : ids_and_hashes) {
    TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO mfa_recovery_codes (id, tenant_id, user_id, code_hash, used_at, "
                               "created_at) VALUES (?, ?, ?, ?, NULL, ?)",
                               {id, tenant_id, user_id, hash, now})
                           .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> AccountRepo::UseRecoveryCode(Tx& tx, const std::string& user_id, const std::string& code_hash,
                                                  int64_t now) {
  TF_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE mfa_recovery_codes SET used_at = ? WHERE user_id = ? AND "
                                               "code_hash = ? AND used_at IS NULL",
                                               {now, user_id, code_hash}));
  return changed > 0;
}

absl::StatusOr<int64_t> AccountRepo::CountUnusedRecoveryCodes(Tx& tx, const std::string& user_id) {
  return Count(tx, "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL", {user_id});
}

absl::Status AccountRepo::DeleteRecoveryCodes(Tx& tx, const std::string& user_id) {
  return tx.Exec("DELETE FROM mfa_recovery_codes WHERE user_id = ?", {user_id}).status();
}

// --- pending sign-ins ------------------------------------------------------------------------

absl::Status AccountRepo::InsertChallenge(Tx& tx, const LoginChallenge& c) {
  return tx.Exec(StrCat("INSERT INTO login_challenges (", kChallengeColumns,
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {c.id, c.tenant_id, c.user_id, c.token_hash, c.device_id, int64_t{c.mfa_pending},
                  int64_t{c.attempts}, c.source_ip, c.user_agent, c.created_at, c.expires_at})
      .status();
}

absl::StatusOr<LoginChallenge> AccountRepo::GetChallengeByTokenHash(Tx& tx, const std::string& token_hash) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kChallengeColumns,
                                                  " FROM login_challenges WHERE token_hash = ?"),
                                           {token_hash}, "sign-in"));
  return ChallengeFromRow(row);
}

absl::Status AccountRepo::UpdateChallenge(Tx& tx, const LoginChallenge& c) {
  return tx.Exec("UPDATE login_challenges SET mfa_pending = ?, attempts = ?, expires_at = ? WHERE id = ?",
                 {int64_t{c.mfa_pending}, int64_t{c.attempts}, c.expires_at, c.id})
      .status();
}

absl::Status AccountRepo::DeleteChallenge(Tx& tx, const std::string& id) {
  return tx.Exec("DELETE FROM login_challenges WHERE id = ?", {id}).status();
}

absl::StatusOr<int64_t> AccountRepo::PurgeChallenges(Tx& tx, int64_t expired_before) {
  return tx.Exec("DELETE FROM login_challenges WHERE expires_at < ?", {expired_before});
}

// --- devices ---------------------------------------------------------------------------------

absl::Status AccountRepo::InsertDevice(Tx& tx, const Device& d) {
  return tx.Exec(StrCat("INSERT INTO devices (", kDeviceColumns,
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {d.id, d.tenant_id, d.user_id, d.token_hash, d.name, d.user_agent, d.first_ip, d.last_ip, d.status,
                  store::OptText(d.approval_code), store::OptInt(d.approval_expires_at), store::OptText(d.approved_by),
                  store::OptInt(d.approved_at), d.first_seen_at, d.last_seen_at})
      .status();
}

absl::StatusOr<Device> AccountRepo::GetDeviceByToken(Tx& tx, const std::string& user_id,
                                                     const std::string& token_hash) {
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kDeviceColumns,
                                                  " FROM devices WHERE user_id = ? AND token_hash = ?"),
                                           {user_id, token_hash}, "device"));
  return DeviceFromRow(row);
}

absl::StatusOr<Device> AccountRepo::GetDevice(Tx& tx, const std::optional<std::string>& tenant_scope,
                                              const std::string& id) {
  Where w;
  w.Add("id = ?", id);
  w.AddIf("tenant_id = ?", tenant_scope);
  TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(StrCat("SELECT ", kDeviceColumns, " FROM devices", w.sql), w.params, "device"));
  return DeviceFromRow(row);
}

absl::StatusOr<std::vector<Device>> AccountRepo::ListDevices(Tx& tx, const std::string& user_id,
                                                             const std::optional<std::string>& after_id, int limit) {
  Where w;
  w.Add("user_id = ?", user_id);
  w.AddIf("id > ?", after_id);
  return SelectRows(tx, kDeviceColumns, "devices", w, OrderByIdLimit(limit), DeviceFromRow);
}

absl::Status AccountRepo::UpdateDevice(Tx& tx, const Device& d) {
  return tx.Exec("UPDATE devices SET name = ?, last_ip = ?, status = ?, approval_code = ?, approval_expires_at = ?, "
                 "approved_by = ?, approved_at = ?, last_seen_at = ? WHERE id = ?",
                 {d.name, d.last_ip, d.status, store::OptText(d.approval_code), store::OptInt(d.approval_expires_at),
                  store::OptText(d.approved_by), store::OptInt(d.approved_at), d.last_seen_at, d.id})
      .status();
}

absl::Status AccountRepo::DeleteDevice(Tx& tx, const std::string& id) {
  TF_RETURN_IF_ERROR(tx.Exec("DELETE FROM login_challenges WHERE device_id = ?", {id}).status());
  return tx.Exec("DELETE FROM devices WHERE id = ?", {id}).status();
}

// --- events ----------------------------------------------------------------------------------

absl::Status AccountRepo::InsertEvent(Tx& tx, const AccountEvent& e) {
  return tx.Exec(StrCat("INSERT INTO account_events (", kEventColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {e.id, e.tenant_id, store::OptText(e.user_id), e.actor, e.type, e.source_ip, e.user_agent, e.detail,
                  e.created_at})
      .status();
}

absl::StatusOr<std::vector<AccountEvent>> AccountRepo::ListEvents(Tx& tx, const std::string& tenant_id,
                                                                  const AccountEventFilter& filter,
                                                                  const std::optional<std::string>& after_id,
                                                                  int limit) {
  // Newest first: the cursor continues towards older events.
  Where w;
  w.Add("tenant_id = ?", tenant_id);
  w.AddIf("user_id = ?", filter.user_id);
  w.AddIf("type = ?", filter.type);
  w.AddIf("created_at >= ?", filter.since);
  w.AddIf("created_at < ?", filter.until);
  w.AddIf("id < ?", after_id);
  return SelectRows(tx, kEventColumns, "account_events", w, OrderByIdLimit(limit, /*newest_first=*/true),
                    EventFromRow);
}

absl::StatusOr<AccountStats> AccountRepo::Stats(Tx& tx, const std::string& tenant_id, int64_t now,
                                                int64_t live_after) {
  AccountStats s;
  TF_ASSIGN_OR_RETURN(auto users, tx.Query("SELECT COUNT(*), "
                                           "COALESCE(SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0), "
                                           "COALESCE(SUM(CASE WHEN status = 'active' AND mfa_enabled = 1 "
                                           "THEN 1 ELSE 0 END), 0) FROM users WHERE tenant_id = ?",
                                           {tenant_id}));
  s.users = users.at(0).Int(0);
  s.active_users = users.at(0).Int(1);
  s.mfa_enabled_users = users.at(0).Int(2);
  TF_ASSIGN_OR_RETURN(s.active_sessions,
                      Count(tx, "SELECT COUNT(*) FROM sessions WHERE tenant_id = ? AND revoked_at IS NULL AND "
                                "expires_at > ? AND last_seen_at > ?",
                            {tenant_id, now, live_after}));
  TF_ASSIGN_OR_RETURN(s.failed_logins_24h,
                      Count(tx, "SELECT COUNT(*) FROM account_events WHERE tenant_id = ? AND type = 'login_failed' "
                                "AND created_at >= ?",
                            {tenant_id, now - kMicrosPerDay}));
  return s;
}

}  // namespace tf::identity
