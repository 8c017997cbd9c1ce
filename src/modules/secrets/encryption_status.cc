#include "modules/secrets/encryption_status.h"

#include <map>

#include "core/certificate.h"
#include "core/clock.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "modules/secrets/inventory_repo.h"
#include "modules/secrets/reencrypt.h"

namespace tf::secrets {

namespace {

using nlohmann::json;

int64_t AgeDays(int64_t since, int64_t now) { return (now - since) / kMicrosPerDay; }

}  // namespace

absl::StatusOr<json> EncryptionStatus::Columns(const std::string& tenant_id) {
  json out = json::array();
  for (const EncryptedColumn& c : EncryptedColumns()) {
    // Table and column names come from EncryptedColumns(), never from requests.
    TF_ASSIGN_OR_RETURN(store::Rows rows, stores_.Of(c).InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx) {
                          return tx.Query(StrCat("SELECT SUBSTR(", c.column, ", 1, 16) FROM ", c.table,
                                                 " WHERE tenant_id = ? AND ", c.column, " IS NOT NULL"),
                                          {tenant_id});
                        }));
    std::map<std::string, int64_t> by_version;
    for (const store::Row& r : rows) {
      absl::StatusOr<VersionedText> v = ParseVersioned(StrCat(r.Text(0), ":"), kFieldPrefix);
      ++by_version[v.ok() ? StrCat("v", v->version) : "unreadable"];
    }
    out.push_back({{"table", c.table},
                   {"column", c.column},
                   {"holds", c.holds},
                   {"store", c.store == ColumnStore::kKeyStore ? "subject_keys" : "database"},
                   {"cipher", "XChaCha20-Poly1305"},
                   {"values", static_cast<int64_t>(rows.size())},
                   {"by_key_version", by_version}});
  }
  return out;
}

absl::StatusOr<json> EncryptionStatus::PersonalDataStatus(const std::string& tenant_id) {
  json columns = json::array();
  for (const PersonalColumn& c : PersonalColumns()) {
    // Table and column names come from PersonalColumns(), never from requests.
    TF_ASSIGN_OR_RETURN(store::Rows rows, stores_.db.InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx) {
                          return tx.Query(StrCat("SELECT COUNT(*), COUNT(CASE WHEN ", c.column, " LIKE ? THEN 1 END) FROM ",
                                                 c.table, " WHERE tenant_id = ?"),
                                          {StrCat(kPersonalPrefix, ":%"), tenant_id});
                        }));
    columns.push_back({{"table", c.table},
                       {"column", c.column},
                       {"holds", c.holds},
                       {"cipher", "XChaCha20-Poly1305"},
                       {"key", "the person's own"},
                       {"values", rows.at(0).Int(0)},
                       {"sealed", rows.at(0).Int(1)}});
  }
  TF_ASSIGN_OR_RETURN(auto people, personal_.CountSubjects(tenant_id));
  return json{{"columns", std::move(columns)},
              {"people_with_keys", people.first},
              {"people_erased", people.second}};
}

json EncryptionStatus::InTransit() const {
  const std::string& cert_file = config_.server.tls_cert_file;
  json out = {{"tls", !cert_file.empty()}, {"certificate", nullptr}};
  if (cert_file.empty()) return out;
  absl::StatusOr<CertificateInfo> cert = ReadCertificateFile(cert_file);
  if (!cert.ok()) {
    // The file's path stays in the server's configuration.
    out["certificate"] = {{"error", "the configured certificate cannot be read"}};
    return out;
  }
  int64_t now = clock_.NowMicros();
  out["certificate"] = {{"subject", cert->subject},
                        {"issuer", cert->issuer},
                        {"not_before", FormatRfc3339Exact(cert->not_before)},
                        {"not_after", FormatRfc3339Exact(cert->not_after)},
                        {"days_left", (cert->not_after - now) / kMicrosPerDay},
                        {"expired", cert->not_after <= now}};
  return out;
}

absl::StatusOr<json> EncryptionStatus::Get(const Principal& caller, const std::optional<std::string>& tenant_id) {
  std::string tenant = tenant_id.value_or(caller.tenant_id);
  if (!caller.IsPlatform() && tenant != caller.tenant_id) return absl::NotFoundError("no such tenant");
  TF_ASSIGN_OR_RETURN(bool exists, stores_.db.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                        return InventoryRepo().TenantExists(tx, tenant);
                      }));
  if (!exists) return absl::NotFoundError("no such tenant");
  int64_t now = clock_.NowMicros();
  KmsStatus kms = keys_.kms().Status();

  TF_ASSIGN_OR_RETURN(auto stored, keys_.Stored(tenant));
  const auto& [state, keys] = stored;
  json versions = json::array();
  int64_t tenant_keys = 0, under_latest = 0;
  std::optional<int64_t> last_rotated;
  for (const StoredDataKey& k : keys) {
    ++tenant_keys;
    if (k.kek_version == kms.latest_version) ++under_latest;
    if (k.version == 0) continue;  // the keyed-hash key, shown apart
    if (k.version > 1) last_rotated = k.created_at;
    versions.push_back({{"version", k.version},
                        {"created_at", FormatRfc3339Exact(k.created_at)},
                        {"age_days", AgeDays(k.created_at, now)},
                        {"kek_version", k.kek_version},
                        {"retired", state && k.version < state->min_decryption_version}});
  }
  TF_ASSIGN_OR_RETURN(json columns, Columns(tenant));
  TF_ASSIGN_OR_RETURN(json personal, PersonalDataStatus(tenant));
  json data_keys = {{"versions", std::move(versions)},
                    {"latest_version", state ? json(state->latest_version) : json(nullptr)},
                    {"min_decryption_version", state ? json(state->min_decryption_version) : json(nullptr)},
                    {"last_rotated_at", last_rotated ? json(FormatRfc3339Exact(*last_rotated)) : json(nullptr)},
                    {"keyed_hash", "HMAC-SHA256, a key of its own that does not rotate with the versions"}};

  json kek_versions = json::array();
  for (const KekVersion& v : kms.versions) {
    kek_versions.push_back({{"version", v.version},
                            {"created_at", FormatRfc3339Exact(v.created_at)},
                            {"age_days", AgeDays(v.created_at, now)},
                            {"retired", v.version < kms.min_decryption_version}});
  }
  json rewrap = {{"scope", "tenant"}, {"data_keys", tenant_keys}, {"under_latest_kek", under_latest}};
  if (caller.IsPlatform()) {
    TF_ASSIGN_OR_RETURN(auto counts, stores_.db.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                          return repo_.CountByKekVersion(tx);
                        }));
    int64_t all = 0, latest = 0;
    for (const auto& [version, n] : counts) {
      all += n;
      if (version == kms.latest_version) latest += n;
    }
    rewrap = {{"scope", "platform"}, {"data_keys", all}, {"under_latest_kek", latest}};
  }
  int64_t total = rewrap["data_keys"];
  rewrap["progress"] = total == 0 ? 1.0 : static_cast<double>(rewrap["under_latest_kek"].get<int64_t>()) / total;
  json key_management = {
      {"provider", kms.provider},
      {"kek_latest_version", kms.latest_version},
      {"kek_min_decryption_version", kms.min_decryption_version},
      {"kek_versions", std::move(kek_versions)},
      {"kek_last_rotated_at", kms.versions.size() > 1 ? json(FormatRfc3339Exact(kms.versions.back().created_at))
                                                       : json(nullptr)},
      {"rewrap", std::move(rewrap)}};
  return json{{"tenant_id", tenant},
              {"as_of", FormatRfc3339Exact(now)},
              {"at_rest",
               {{"columns", std::move(columns)}, {"data_keys", std::move(data_keys)}, {"personal_data", std::move(personal)}}},
              {"in_transit", InTransit()},
              {"key_management", std::move(key_management)}};
}

}  // namespace tf::secrets
