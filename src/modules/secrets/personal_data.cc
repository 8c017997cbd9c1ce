#include "modules/secrets/personal_data.h"

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "core/crypto.h"
#include "core/status.h"
#include "core/strings.h"

namespace tf::secrets {

namespace {

// The key store's own migrations (its version numbers are its own).
//   wrapped_key  the subject's 32-byte key, a tfenc value under the tenant's data key
//                (bound to subject_keys/wrapped_key/<subject id>); NULL once erased
//   erased_at    when the key was destroyed: the tombstone that keeps it from being made again
const store::Migration kKeyStoreMigrations[] = {
    {1, "subject_keys",
     "CREATE TABLE subject_keys (\n"
     "  tenant_id TEXT NOT NULL,\n"
     "  subject_id TEXT NOT NULL,\n"
     "  wrapped_key TEXT,\n"
     "  created_at BIGINT NOT NULL,\n"
     "  erased_at BIGINT,\n"
     "  PRIMARY KEY (tenant_id, subject_id)\n"
     ");\n"
     "CREATE INDEX subject_keys_by_erasure ON subject_keys (erased_at, tenant_id, subject_id);\n"},
};

constexpr std::string_view kKeyTable = "subject_keys";
constexpr std::string_view kKeyColumn = "wrapped_key";

std::string Aad(const FieldContext& where, std::string_view subject_id) {
  return AssociatedData({"tf-personal", where.tenant_id, where.table, where.column, where.row_id, subject_id});
}

bool ValidSubject(std::string_view id) {
  return !id.empty() && id.size() <= 64 && id.find(':') == std::string_view::npos;
}

absl::Status InvalidSubject() { return absl::InvalidArgumentError("a data subject id is 1 to 64 characters, no ':'"); }

}  // namespace

const store::StoreSpec& SubjectKeyStoreSpec() {
  static const store::StoreSpec spec{"secrets.subject_keys_url", "secrets.subject_keys_migration_url",
                                     "subject-keys.db", kKeyStoreMigrations, true};
  return spec;
}

DatabaseConfig SubjectKeyStoreConfig(const Config& config) {
  DatabaseConfig c;
  c.url = config.secrets.subject_keys_url;
  c.migration_url = config.secrets.subject_keys_migration_url;
  c.pool_size = 4;
  return c;
}

const std::vector<PersonalColumn>& PersonalColumns() {
  static const auto* columns = new std::vector<PersonalColumn>{
      {"users", "email", "users' email addresses (found by a blind index)"},
      {"users", "display_name", "users' names"},
      {"api_tokens", "name", "API token names, under their creator's key"},
  };
  return *columns;
}

absl::StatusOr<std::unique_ptr<store::Database>> OpenSubjectKeyStore(const Config& config, const Clock& clock) {
  DatabaseConfig c = SubjectKeyStoreConfig(config);
  const store::StoreSpec& spec = SubjectKeyStoreSpec();
  TF_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::OpenDatabase(c, config.data_dir, spec));
  TF_ASSIGN_OR_RETURN(store::MigrationStatus status, store::GetMigrationStatus(*db, spec.migrations));
  if (!status.pending.empty()) TF_RETURN_IF_ERROR(store::MigrateSchema(*db, c, clock, spec).status());
  TF_RETURN_IF_ERROR(store::CheckReadyToServe(*db, spec));
  return db;
}

bool PersonalData::IsSealed(std::string_view text) { return !SubjectOf(text).empty(); }

std::string_view PersonalData::SubjectOf(std::string_view sealed) {
  if (!absl::StartsWith(Sv(sealed), Sv(kPersonalPrefix)) || sealed.size() <= kPersonalPrefix.size() ||
      sealed[kPersonalPrefix.size()] != ':') {
    return {};
  }
  std::string_view rest = sealed.substr(kPersonalPrefix.size() + 1);
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || !ValidSubject(rest.substr(0, colon))) return {};
  return rest.substr(0, colon);
}

bool PersonalData::IsErased(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition &&
         absl::StrContains(status.message(), "was erased");
}

absl::StatusOr<std::optional<PersonalData::SubjectKey>> PersonalData::Fetch(const std::string& tenant_id,
                                                                       const std::string& subject_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, store_.InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx) {
                        return tx.Query("SELECT wrapped_key, erased_at FROM subject_keys "
                                        "WHERE tenant_id = ? AND subject_id = ?",
                                        {tenant_id, subject_id});
                      }));
  if (rows.empty()) return std::nullopt;
  SubjectKey out;
  out.erased = !rows[0].IsNull(1) || rows[0].IsNull(0);
  if (!out.erased) {
    TF_ASSIGN_OR_RETURN(std::string key,
                        data_keys_.Decrypt({tenant_id, kKeyTable, kKeyColumn, subject_id}, rows[0].Text(0)));
    out.key = SecretKey(std::move(key));
  }
  return out;
}

absl::StatusOr<PersonalData::SubjectKey> PersonalData::Key(const std::string& tenant_id, std::string_view subject_id,
                                                           bool create) {
  std::pair<std::string, std::string> id{tenant_id, std::string(subject_id)};
  int64_t now = clock_.NowMicros();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(id);
    if (it != cache_.end() && now - it->second.fetched_at < std::chrono::microseconds(kCacheTtl).count()) {
      return it->second.key;
    }
  }
  TF_ASSIGN_OR_RETURN(std::optional<SubjectKey> stored, Fetch(id.first, id.second));
  if (!stored && create) {
    std::string key = crypto::RandomBytes(crypto::kAeadKeyBytes);
    absl::StatusOr<std::string> wrapped = data_keys_.Encrypt({tenant_id, kKeyTable, kKeyColumn, subject_id}, key);
    sodium_memzero(key.data(), key.size());
    if (!wrapped.ok()) return wrapped.status();
    // Another instance may have made one meanwhile: the first stored is the key.
    TF_RETURN_IF_ERROR(store_.InTx(store::WriteTx(tenant_id).Retryable(), [&](store::Transaction& tx) {
      return tx.Exec("INSERT INTO subject_keys (tenant_id, subject_id, wrapped_key, created_at) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (tenant_id, subject_id) DO NOTHING",
                     {tenant_id, id.second, *wrapped, now}).status();
    }));
    TF_ASSIGN_OR_RETURN(stored, Fetch(id.first, id.second));
    if (!stored) return absl::InternalError("the data subject's key was not stored");
  }
  if (!stored) return absl::NotFoundError("the data subject has no key");
  std::lock_guard lock(mu_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_[id] = {*stored, now};
  return *stored;
}

absl::StatusOr<std::string> PersonalData::Seal(const FieldContext& where, std::string_view subject_id,
                                               std::string_view plaintext) {
  if (!ValidSubject(subject_id)) return InvalidSubject();
  TF_ASSIGN_OR_RETURN(SubjectKey key, Key(std::string(where.tenant_id), subject_id, true));
  if (key.erased) return absl::FailedPreconditionError("the data subject was erased: nothing of theirs can be stored");
  TF_ASSIGN_OR_RETURN(std::string box, SealBox(key.key.bytes(), plaintext, Aad(where, subject_id)));
  return StrCat(kPersonalPrefix, ":", subject_id, ":", crypto::Base64UrlEncode(box));
}

absl::StatusOr<std::string> PersonalData::Open(const FieldContext& where, std::string_view sealed) {
  std::string_view subject = SubjectOf(sealed);
  if (subject.empty()) {
    return absl::DataLossError(StrCat(where.table, ".", where.column, " holds a value that is not sealed personal data"));
  }
  std::string box;
  if (!absl::WebSafeBase64Unescape(Sv(sealed.substr(kPersonalPrefix.size() + subject.size() + 2)), &box)) {
    return absl::DataLossError(StrCat(where.table, ".", where.column, " holds personal data that is not base64url"));
  }
  absl::StatusOr<SubjectKey> key = Key(std::string(where.tenant_id), subject, false);
  if (!key.ok() && key.status().code() == absl::StatusCode::kNotFound) {
    return absl::DataLossError(StrCat(where.table, ".", where.column, " holds personal data of an unknown subject"));
  }
  if (!key.ok()) return key.status();
  if (key->erased) return absl::FailedPreconditionError("the data subject was erased: their data cannot be read");
  return OpenBox(key->key.bytes(), box, Aad(where, subject), StrCat(where.table, ".", where.column));
}

absl::StatusOr<std::string> PersonalData::BlindIndex(std::string_view purpose, std::string_view value) {
  return data_keys_.KeyedHash(std::string(kPlatformKeysTenant), StrCat("blind-index/", purpose), value);
}

absl::StatusOr<bool> PersonalData::Erase(const std::string& tenant_id, const std::string& subject_id) {
  if (!ValidSubject(subject_id)) return InvalidSubject();
  int64_t now = clock_.NowMicros();
  TF_ASSIGN_OR_RETURN(bool erased, store_.InTx(store::WriteTx(tenant_id).Retryable(), [&](store::Transaction& tx) -> absl::StatusOr<bool> {
    TF_ASSIGN_OR_RETURN(int64_t changed,
                        tx.Exec("UPDATE subject_keys SET wrapped_key = NULL, erased_at = ? "
                                "WHERE tenant_id = ? AND subject_id = ? AND erased_at IS NULL",
                                {now, tenant_id, subject_id}));
    if (changed > 0) return true;
    TF_ASSIGN_OR_RETURN(int64_t added,
                        tx.Exec("INSERT INTO subject_keys (tenant_id, subject_id, wrapped_key, created_at, erased_at) "
                                "VALUES (?, ?, NULL, ?, ?) ON CONFLICT (tenant_id, subject_id) DO NOTHING",
                                {tenant_id, subject_id, now, now}));
    return added > 0;
  }));
  std::lock_guard lock(mu_);
  cache_[{tenant_id, subject_id}] = {SubjectKey{true, {}}, now};
  return erased;
}

absl::StatusOr<std::pair<int64_t, int64_t>> PersonalData::CountSubjects(const std::string& tenant_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, store_.InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx) {
                        return tx.Query("SELECT COUNT(*) - COUNT(erased_at), COUNT(erased_at) FROM subject_keys "
                                        "WHERE tenant_id = ?",
                                        {tenant_id});
                      }));
  return std::pair<int64_t, int64_t>(rows.at(0).Int(0), rows.at(0).Int(1));
}

absl::StatusOr<std::vector<ErasedSubject>> PersonalData::ErasedAfter(const ErasedSubject& after, int limit) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, store_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                        return tx.Query(StrCat("SELECT tenant_id, subject_id, erased_at FROM subject_keys "
                                               "WHERE erased_at IS NOT NULL AND (erased_at > ? OR (erased_at = ? AND "
                                               "(tenant_id > ? OR (tenant_id = ? AND subject_id > ?)))) "
                                               "ORDER BY erased_at, tenant_id, subject_id LIMIT ",
                                               limit),
                                        {after.erased_at, after.erased_at, after.tenant_id, after.tenant_id,
                                         after.subject_id});
                      }));
  std::vector<ErasedSubject> out;
  for (const store::Row& r : rows) out.push_back({r.Text(0), r.Text(1), r.Int(2)});
  return out;
}

}  // namespace tf::secrets
