#include "modules/secrets/secrets_repo.h"

#include "core/status.h"
#include "core/strings.h"

namespace tf::secrets {

namespace {

constexpr std::string_view kKeyColumns = "tenant_id, version, wrapped, kek_version, created_at, rewrapped_at";

StoredDataKey KeyFromRow(const store::Row& r) {
  return {r.Text(0),  static_cast<int>(r.Int(1)), r.Text(2), static_cast<int>(r.Int(3)), r.Int(4),
          r.OptInt(5)};
}

std::vector<StoredDataKey> KeysFrom(const store::Rows& rows) {
  std::vector<StoredDataKey> out;
  out.reserve(rows.size());
  for (const store::Row& r : rows) out.push_back(KeyFromRow(r));
  return out;
}

constexpr std::string_view kStateColumns = "tenant_id, latest_version, min_decryption_version, updated_at";

KeyState StateFromRow(const store::Row& r) {
  return KeyState{r.Text(0), static_cast<int>(r.Int(1)), static_cast<int>(r.Int(2)), r.Int(3)};
}

}  // namespace

absl::StatusOr<bool> SecretsRepo::InsertDataKey(Tx& tx, const StoredDataKey& key) {
  TF_ASSIGN_OR_RETURN(
      int64_t inserted,
      tx.Exec("INSERT INTO secrets_data_keys (tenant_id, version, wrapped, kek_version, created_at) "
              "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, version) DO NOTHING",
              {key.tenant_id, int64_t{key.version}, key.wrapped, int64_t{key.kek_version}, key.created_at}));
  return inserted == 1;
}

absl::StatusOr<std::vector<StoredDataKey>> SecretsRepo::DataKeys(Tx& tx, const std::string& tenant_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(StrCat("SELECT ", kKeyColumns,
                                                        " FROM secrets_data_keys WHERE tenant_id = ? "
                                                        "ORDER BY version"),
                                                 {tenant_id}));
  return KeysFrom(rows);
}

absl::StatusOr<std::optional<KeyState>> SecretsRepo::State(Tx& tx, const std::string& tenant_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(StrCat("SELECT ", kStateColumns,
                                                        " FROM secrets_key_state WHERE tenant_id = ?"),
                                                 {tenant_id}));
  if (rows.empty()) return std::nullopt;
  return StateFromRow(rows[0]);
}

absl::StatusOr<std::vector<KeyState>> SecretsRepo::States(Tx& tx) {
  TF_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(StrCat("SELECT ", kStateColumns, " FROM secrets_key_state ORDER BY tenant_id")));
  std::vector<KeyState> out;
  for (const store::Row& r : rows) out.push_back(StateFromRow(r));
  return out;
}

absl::Status SecretsRepo::PutState(Tx& tx, const KeyState& s) {
  return tx
      .Exec(
          "INSERT INTO secrets_key_state (tenant_id, latest_version, min_decryption_version, updated_at) "
          "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET latest_version = "
          "excluded.latest_version, "
          "min_decryption_version = excluded.min_decryption_version, updated_at = excluded.updated_at",
          {s.tenant_id, int64_t{s.latest_version}, int64_t{s.min_decryption_version}, s.updated_at})
      .status();
}

absl::StatusOr<std::vector<StoredDataKey>> SecretsRepo::WrappedBelow(Tx& tx, int kek_version,
                                                                     const std::pair<std::string, int>& after,
                                                                     int limit) {
  TF_ASSIGN_OR_RETURN(
      store::Rows rows,
      tx.Query(
          StrCat("SELECT ", kKeyColumns,
                 " FROM secrets_data_keys WHERE kek_version < ? AND "
                 "(tenant_id > ? OR (tenant_id = ? AND version > ?)) ORDER BY tenant_id, version LIMIT ?"),
          {int64_t{kek_version}, after.first, after.first, int64_t{after.second}, int64_t{limit}}));
  return KeysFrom(rows);
}

absl::Status SecretsRepo::Rewrapped(Tx& tx, const StoredDataKey& key) {
  return tx
      .Exec(
          "UPDATE secrets_data_keys SET wrapped = ?, kek_version = ?, rewrapped_at = ? "
          "WHERE tenant_id = ? AND version = ?",
          {key.wrapped, int64_t{key.kek_version}, store::OptInt(key.rewrapped_at), key.tenant_id,
           int64_t{key.version}})
      .status();
}

absl::StatusOr<std::vector<std::pair<int, int64_t>>> SecretsRepo::CountByKekVersion(Tx& tx) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT kek_version, COUNT(*) FROM secrets_data_keys "
                                                 "GROUP BY kek_version ORDER BY kek_version"));
  std::vector<std::pair<int, int64_t>> out;
  for (const store::Row& r : rows) out.emplace_back(static_cast<int>(r.Int(0)), r.Int(1));
  return out;
}

}  // namespace tf::secrets
