#include "modules/secrets/reencrypt.h"

#include "absl/strings/str_join.h"
#include "core/log.h"
#include "core/status.h"
#include "core/strings.h"

namespace tf::secrets {

namespace {

//! Row id, value and key columns of `c`'s values in the tenant that are not under `latest`,
//! after the row id `after`.
std::string PendingSql(const EncryptedColumn& c, bool with_cursor, std::string_view tail) {
  return StrCat("SELECT ", c.row_sql, ", ", c.column, ", ", absl::StrJoin(c.key_columns, ", "), " FROM ", c.table,
                " WHERE tenant_id = ? AND ", c.column, " IS NOT NULL AND ", c.column, " NOT LIKE ?",
                with_cursor ? StrCat(" AND ", c.row_sql, " > ?") : "", tail);
}

//! Sets the value of the row named by its key if it still holds the value read.
std::string UpdateSql(const EncryptedColumn& c) {
  std::string where;
  for (const std::string& k : c.key_columns) StrAppend(&where, " AND ", k, " = ?");
  return StrCat("UPDATE ", c.table, " SET ", c.column, " = ? WHERE tenant_id = ?", where, " AND ", c.column, " = ?");
}

std::string LatestPattern(int latest) { return StrCat(kFieldPrefix, ":v", latest, ":%"); }

}  // namespace

const std::vector<EncryptedColumn>& EncryptedColumns() {
  static const auto* columns = new std::vector<EncryptedColumn>{
      {"secret_versions", "value", "secret_id || '/' || CAST(version AS TEXT)", {"secret_id", "version"},
       "managed secrets' values"},
      {"mfa_totp", "secret", "user_id", {"user_id"}, "users' TOTP (authenticator) secrets"},
      {"subject_keys", "wrapped_key", "subject_id", {"subject_id"}, "each person's key for their personal data",
       ColumnStore::kKeyStore},
  };
  return *columns;
}

absl::StatusOr<int64_t> Reencryptor::Remaining(const std::string& tenant_id, int latest) {
  int64_t n = 0;
  for (const EncryptedColumn& c : EncryptedColumns()) {
    TF_ASSIGN_OR_RETURN(store::Rows rows, stores_.Of(c).InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx) {
                          return tx.Query(StrCat("SELECT COUNT(*) FROM ", c.table, " WHERE tenant_id = ? AND ",
                                                 c.column, " IS NOT NULL AND ", c.column, " NOT LIKE ?"),
                                          {tenant_id, LatestPattern(latest)});
                        }));
    n += rows.at(0).Int(0);
  }
  return n;
}

absl::StatusOr<ReencryptResult> Reencryptor::RunTenant(
    const std::string& tenant_id, int batch, int64_t limit,
    const std::function<void(const std::string&, int64_t)>& progress) {
  TF_ASSIGN_OR_RETURN(DataKeyRing ring, keys_.Ring(tenant_id));
  ReencryptResult result{tenant_id, ring.latest, 0, 0, 0};
  // One live version (never rotated, or every older one retired): nothing can be moved.
  if (ring.min_decryption_version >= ring.latest) return result;
  for (const EncryptedColumn& c : EncryptedColumns()) {
    std::optional<std::string> after;
    for (;;) {
      if (limit > 0 && result.reencrypted + result.failed >= limit) break;
      // Counted per attempt: a transaction retried after a conflict starts them afresh.
      int64_t done = 0, changed = 0, failed = 0;
      std::optional<std::string> last;
      TF_RETURN_IF_ERROR(stores_.Of(c).InTx(store::WriteTx(tenant_id).Retryable(), [&](store::Transaction& tx) -> absl::Status {
        done = changed = failed = 0;
        last = after;
        store::Params params{tenant_id, LatestPattern(ring.latest)};
        if (after) params.push_back(*after);
        TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(PendingSql(c, after.has_value(),
                                                                  StrCat(" ORDER BY ", c.row_sql, " LIMIT ", batch)),
                                                       params));
        for (const store::Row& r : rows) {
          std::string row_id = r.Text(0), old_value = r.Text(1);
          last = row_id;
          ++done;
          FieldContext where{tenant_id, c.table, c.column, row_id};
          absl::StatusOr<std::string> plain = DecryptField(ring, where, old_value);
          if (!plain.ok()) {
            ++failed;
            continue;
          }
          TF_ASSIGN_OR_RETURN(std::string fresh, EncryptField(ring, where, *plain));
          store::Params update{fresh, tenant_id};
          for (size_t k = 0; k < c.key_columns.size(); ++k) update.push_back(r.at(2 + k));
          update.push_back(old_value);
          // Only if unchanged since it was read: a value rewritten meanwhile is already current.
          TF_ASSIGN_OR_RETURN(int64_t n, tx.Exec(UpdateSql(c), update));
          changed += n;
        }
        return absl::OkStatus();
      }));
      after = last;
      result.reencrypted += changed;
      result.failed += failed;
      if (progress && done > 0) progress(tenant_id, result.reencrypted);
      if (done < batch) break;
    }
  }
  TF_ASSIGN_OR_RETURN(result.remaining, Remaining(tenant_id, ring.latest));
  return result;
}

absl::StatusOr<std::vector<ReencryptResult>> Reencryptor::Run(
    const std::optional<std::string>& tenant_id, int batch, int64_t limit,
    const std::function<void(const std::string&, int64_t)>& progress) {
  std::vector<std::string> tenants;
  if (tenant_id) {
    tenants.push_back(*tenant_id);
  } else {
    TF_ASSIGN_OR_RETURN(std::vector<KeyState> states, stores_.db.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                          return SecretsRepo().States(tx);
                        }));
    for (const KeyState& s : states) tenants.push_back(s.tenant_id);
  }
  std::vector<ReencryptResult> out;
  for (const std::string& t : tenants) {
    absl::StatusOr<ReencryptResult> r = RunTenant(t, batch, limit, progress);
    if (!r.ok()) {
      if (tenant_id) return r.status();
      // One tenant whose keys cannot be opened must not hold the others back.
      log::Warn("re-encryption of a tenant's values failed", {{"tenant", t}, {"error", r.status().ToString()}});
      continue;
    }
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace tf::secrets
