#include "modules/secrets/inventory_repo.h"

#include "core/status.h"
#include "core/strings.h"
#include "store/where.h"

namespace tf::secrets {

namespace {

using store::OptInt;
using store::OptText;

constexpr std::string_view kSecretColumns =
    "id, tenant_id, name, type, owner, description, managed, location, value_format, auto_rotate, rotation_days, "
    "grace_days, current_version, last_rotated_at, next_rotation_at, reminder_state, reminded_at, created_at, "
    "created_by, updated_at";

Secret SecretFromRow(const store::Row& r) {
  Secret s;
  s.id = r.Text(0);
  s.tenant_id = r.Text(1);
  s.name = r.Text(2);
  s.type = r.Text(3);
  s.owner = r.OptText(4);
  s.description = r.OptText(5);
  s.managed = r.Int(6) != 0;
  s.location = r.OptText(7);
  s.value_format = r.OptText(8);
  s.auto_rotate = r.Int(9) != 0;
  s.rotation_days = r.Int(10);
  s.grace_days = r.Int(11);
  s.current_version = r.Int(12);
  s.last_rotated_at = r.OptInt(13);
  s.next_rotation_at = r.Int(14);
  s.reminder_state = r.OptText(15);
  s.reminded_at = r.OptInt(16);
  s.created_at = r.Int(17);
  s.created_by = r.Text(18);
  s.updated_at = r.Int(19);
  return s;
}

constexpr std::string_view kVersionColumns = "secret_id, version, tenant_id, value, fingerprint, created_at, valid_until";

SecretVersion VersionFromRow(const store::Row& r) {
  return {r.Text(0), r.Int(1), r.Text(2), r.OptText(3), r.Text(4), r.Int(5), r.OptInt(6)};
}

constexpr std::string_view kRotationColumns =
    "id, tenant_id, secret_id, secret_name, secret_type, kind, status, version, previous_version, "
    "previous_fingerprint, reason, error, actor, rotated_at, grace_until, valid_until, next_due_at, metadata, "
    "status_changed_at";

Rotation RotationFromRow(const store::Row& r) {
  Rotation x;
  x.id = r.Text(0);
  x.tenant_id = r.Text(1);
  x.secret_id = r.Text(2);
  x.secret_name = r.Text(3);
  x.secret_type = r.Text(4);
  x.kind = r.Text(5);
  x.status = r.Text(6);
  x.version = r.OptInt(7);
  x.previous_version = r.OptInt(8);
  x.previous_fingerprint = r.OptText(9);
  x.reason = r.OptText(10);
  x.error = r.OptText(11);
  x.actor = r.Text(12);
  x.rotated_at = r.Int(13);
  x.grace_until = r.OptInt(14);
  x.valid_until = r.OptInt(15);
  x.next_due_at = r.OptInt(16);
  x.metadata = r.Text(17);
  x.status_changed_at = r.Int(18);
  return x;
}

//! Rows after (next_rotation_at, id) `after`, for lists in that order.
void AddAfter(store::Where& where, const std::optional<std::pair<int64_t, std::string>>& after) {
  if (!after) return;
  where.sql += " AND (next_rotation_at > ? OR (next_rotation_at = ? AND id > ?))";
  where.params.insert(where.params.end(), {after->first, after->first, after->second});
}

template <typename T>
std::optional<T> First(std::vector<T> rows) {
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

}  // namespace

absl::StatusOr<bool> InventoryRepo::InsertSecret(Tx& tx, const Secret& s) {
  TF_ASSIGN_OR_RETURN(
      int64_t n,
      tx.Exec(StrCat("INSERT INTO secrets (", kSecretColumns,
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (tenant_id, name) DO NOTHING"),
              {s.id, s.tenant_id, s.name, s.type, OptText(s.owner), OptText(s.description), int64_t{s.managed},
               OptText(s.location), OptText(s.value_format), int64_t{s.auto_rotate}, s.rotation_days, s.grace_days,
               s.current_version, OptInt(s.last_rotated_at), s.next_rotation_at, OptText(s.reminder_state),
               OptInt(s.reminded_at), s.created_at, s.created_by, s.updated_at}));
  return n == 1;
}

absl::StatusOr<std::optional<Secret>> InventoryRepo::FindSecret(Tx& tx, const std::string& tenant_id,
                                                                const std::string& name) {
  store::Where where;
  where.Add("tenant_id = ?", tenant_id);
  where.Add("name = ?", name);
  TF_ASSIGN_OR_RETURN(auto rows, store::SelectRows(tx, kSecretColumns, "secrets", where, "", SecretFromRow));
  return First(std::move(rows));
}

absl::StatusOr<std::vector<Secret>> InventoryRepo::ListSecrets(Tx& tx, const SecretFilter& f) {
  store::Where where;
  where.AddIf("tenant_id = ?", f.tenant_id);
  where.AddIf("type = ?", f.type);
  where.AddIf("owner = ?", f.owner);
  if (f.name_contains) {
    where.Add("LOWER(name) LIKE LOWER(?) ESCAPE '\\'", StrCat("%", store::EscapeLike(*f.name_contains), "%"));
  }
  if (f.managed) where.Add("managed = ?", int64_t{*f.managed});
  where.AddIf("next_rotation_at <= ?", f.due_before);
  where.AddIf("next_rotation_at > ?", f.due_after);
  where.AddIf("id > ?", f.after_id);
  return store::SelectRows(tx, kSecretColumns, "secrets", where, store::OrderByIdLimit(f.limit), SecretFromRow);
}

absl::StatusOr<std::vector<Secret>> InventoryRepo::DueSecrets(
    Tx& tx, const std::optional<std::string>& tenant_id, int64_t before,
    const std::optional<std::pair<int64_t, std::string>>& after, int limit) {
  store::Where where;
  where.AddIf("tenant_id = ?", tenant_id);
  where.Add("next_rotation_at <= ?", before);
  AddAfter(where, after);
  return store::SelectRows(tx, kSecretColumns, "secrets", where,
                           StrCat(" ORDER BY next_rotation_at, id LIMIT ", limit), SecretFromRow);
}

absl::StatusOr<std::vector<Secret>> InventoryRepo::AutoRotationsDue(
    Tx& tx, int64_t now, const std::optional<std::pair<int64_t, std::string>>& after, int limit) {
  store::Where where;
  where.Add("managed = ?", int64_t{1});
  where.Add("auto_rotate = ?", int64_t{1});
  where.Add("next_rotation_at <= ?", now);
  AddAfter(where, after);
  return store::SelectRows(tx, kSecretColumns, "secrets", where, StrCat(" ORDER BY next_rotation_at, id LIMIT ", limit),
                           SecretFromRow);
}

absl::StatusOr<bool> InventoryRepo::UpdateRotated(Tx& tx, const Secret& s, const Secret& expected) {
  TF_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE secrets SET current_version = ?, last_rotated_at = ?, "
                                         "next_rotation_at = ?, reminder_state = ?, reminded_at = ?, updated_at = ? "
                                         "WHERE id = ? AND current_version = ? AND updated_at = ?",
                                         {s.current_version, OptInt(s.last_rotated_at), s.next_rotation_at,
                                          OptText(s.reminder_state), OptInt(s.reminded_at), s.updated_at, s.id,
                                          expected.current_version, expected.updated_at}));
  return n == 1;
}

absl::Status InventoryRepo::UpdatePolicy(Tx& tx, const Secret& s) {
  return tx
      .Exec("UPDATE secrets SET rotation_days = ?, grace_days = ?, auto_rotate = ?, next_rotation_at = ?, "
            "reminder_state = ?, reminded_at = ?, updated_at = ? WHERE id = ?",
            {s.rotation_days, s.grace_days, int64_t{s.auto_rotate}, s.next_rotation_at, OptText(s.reminder_state),
             OptInt(s.reminded_at), s.updated_at, s.id})
      .status();
}

absl::StatusOr<bool> InventoryRepo::SetReminder(Tx& tx, const Secret& s, const std::optional<std::string>& to,
                                                int64_t at) {
  TF_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE secrets SET reminder_state = ?, reminded_at = ? "
                                         "WHERE id = ? AND COALESCE(reminder_state, '') = ? AND next_rotation_at = ?",
                                         {OptText(to), to ? store::Value(at) : store::Value(nullptr), s.id,
                                          s.reminder_state.value_or(""), s.next_rotation_at}));
  return n == 1;
}

absl::StatusOr<bool> InventoryRepo::TenantExists(Tx& tx, const std::string& tenant_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT 1 FROM tenants WHERE id = ?", {tenant_id}));
  return !rows.empty();
}

absl::StatusOr<std::optional<std::string>> InventoryRepo::TenantIdBySlug(Tx& tx, std::string_view slug) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT id FROM tenants WHERE slug = ?", {std::string(slug)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

absl::StatusOr<std::vector<Secret>> InventoryRepo::DueOrReminded(Tx& tx, int64_t before) {
  return store::SelectRows(
      tx, kSecretColumns, "secrets",
      store::Where{" WHERE (next_rotation_at <= ? OR reminder_state IS NOT NULL)", {before}}, " ORDER BY id",
      SecretFromRow);
}

absl::Status InventoryRepo::InsertVersion(Tx& tx, const SecretVersion& v) {
  return tx
      .Exec(StrCat("INSERT INTO secret_versions (", kVersionColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?)"),
            {v.secret_id, v.version, v.tenant_id, OptText(v.value), v.fingerprint, v.created_at,
             OptInt(v.valid_until)})
      .status();
}

absl::StatusOr<std::optional<SecretVersion>> InventoryRepo::Version(Tx& tx, const std::string& secret_id,
                                                                    int64_t version) {
  store::Where where;
  where.Add("secret_id = ?", secret_id);
  where.Add("version = ?", version);
  TF_ASSIGN_OR_RETURN(auto rows, store::SelectRows(tx, kVersionColumns, "secret_versions", where, "", VersionFromRow));
  return First(std::move(rows));
}

absl::Status InventoryRepo::EndVersion(Tx& tx, const std::string& secret_id, int64_t version, int64_t valid_until) {
  return tx
      .Exec("UPDATE secret_versions SET valid_until = ? WHERE secret_id = ? AND version = ? AND "
            "(valid_until IS NULL OR valid_until > ?)",
            {valid_until, secret_id, version, valid_until})
      .status();
}

absl::Status InventoryRepo::EndVersionsBelow(Tx& tx, const std::string& secret_id, int64_t below, int64_t now) {
  return tx
      .Exec("UPDATE secret_versions SET valid_until = ?, value = NULL WHERE secret_id = ? AND version < ? AND "
            "(valid_until IS NULL OR valid_until > ? OR value IS NOT NULL)",
            {now, secret_id, below, now})
      .status();
}

absl::StatusOr<int64_t> InventoryRepo::DestroyExpiredValues(Tx& tx, int64_t now) {
  return tx.Exec("UPDATE secret_versions SET value = NULL WHERE valid_until <= ? AND value IS NOT NULL", {now});
}

absl::Status InventoryRepo::InsertRotation(Tx& tx, const Rotation& r) {
  return tx
      .Exec(StrCat("INSERT INTO secret_rotations (", kRotationColumns,
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            {r.id, r.tenant_id, r.secret_id, r.secret_name, r.secret_type, r.kind, r.status, OptInt(r.version),
             OptInt(r.previous_version), OptText(r.previous_fingerprint), OptText(r.reason), OptText(r.error),
             r.actor, r.rotated_at, OptInt(r.grace_until), OptInt(r.valid_until), OptInt(r.next_due_at), r.metadata,
             r.status_changed_at})
      .status();
}

absl::StatusOr<std::vector<Rotation>> InventoryRepo::ListRotations(Tx& tx, const RotationFilter& f) {
  store::Where where;
  where.AddIf("tenant_id = ?", f.tenant_id);
  where.AddIf("secret_name = ?", f.secret_name);
  where.AddIf("secret_type = ?", f.secret_type);
  where.AddIf("status = ?", f.status);
  where.AddIf("kind = ?", f.kind);
  where.AddIf("rotated_at >= ?", f.from);
  where.AddIf("rotated_at < ?", f.to);
  where.AddIf("id < ?", f.before_id);
  return store::SelectRows(tx, kRotationColumns, "secret_rotations", where, store::OrderByIdLimit(f.limit, true),
                           RotationFromRow);
}

absl::StatusOr<std::optional<Rotation>> InventoryRepo::RotationOf(Tx& tx, const std::string& secret_id,
                                                                  int64_t version) {
  store::Where where;
  where.Add("secret_id = ?", secret_id);
  where.Add("version = ?", version);
  TF_ASSIGN_OR_RETURN(auto rows,
                      store::SelectRows(tx, kRotationColumns, "secret_rotations", where, "", RotationFromRow));
  return First(std::move(rows));
}

absl::StatusOr<std::optional<Rotation>> InventoryRepo::LatestRotation(Tx& tx, const std::string& secret_id) {
  store::Where where;
  where.Add("secret_id = ?", secret_id);
  TF_ASSIGN_OR_RETURN(auto rows, store::SelectRows(tx, kRotationColumns, "secret_rotations", where,
                                                   store::OrderByIdLimit(1, true), RotationFromRow));
  return First(std::move(rows));
}

absl::StatusOr<bool> InventoryRepo::SetRotationStatus(Tx& tx, const std::string& id, std::string_view from,
                                                      std::string_view to, int64_t at,
                                                      std::optional<int64_t> valid_until) {
  TF_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE secret_rotations SET status = ?, status_changed_at = ?, "
                                         "valid_until = COALESCE(?, valid_until) WHERE id = ? AND status = ?",
                                         {std::string(to), at, OptInt(valid_until), id, std::string(from)}));
  return n == 1;
}

absl::StatusOr<std::vector<Rotation>> InventoryRepo::GraceEnded(Tx& tx, int64_t now, int limit) {
  store::Where where;
  where.Add("status = ?", std::string(kDeprecated));
  where.Add("valid_until <= ?", now);
  return store::SelectRows(tx, kRotationColumns, "secret_rotations", where, StrCat(" ORDER BY id LIMIT ", limit),
                           RotationFromRow);
}

absl::StatusOr<std::vector<Rotation>> InventoryRepo::DeprecatedBelow(Tx& tx, const std::string& secret_id,
                                                                     int64_t below) {
  store::Where where;
  where.Add("secret_id = ?", secret_id);
  where.Add("status = ?", std::string(kDeprecated));
  where.Add("version < ?", below);
  return store::SelectRows(tx, kRotationColumns, "secret_rotations", where, " ORDER BY id", RotationFromRow);
}

}  // namespace tf::secrets
