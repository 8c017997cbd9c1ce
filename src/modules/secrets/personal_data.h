#pragma once
// PersonalData: encryption of people's data under one key per person (data subject), so that
// erasing the person (GDPR Art. 17) destroys the key and their data becomes unreadable in
// every copy: the database, its backups, audit payloads.
//  - Subject keys live in the personal-data key store, a database of its own
//    (secrets.subject_keys_url), so a copy or backup of the main database never carries them.
//    Each is stored encrypted under its tenant's data key (rotated and re-encrypted with the
//    tenant's other values). Erase keeps a tombstone (when it was erased) instead of the key.
//  - Seal/Open: "tfpd:<subject id>:<base64url(nonce || ciphertext || tag)>", XChaCha20-Poly1305
//    with associated data binding the value to tenant, table, column, row and subject.
//  - BlindIndex: a keyed hash (HMAC-SHA256 under the platform's keyed-hash key) for looking up
//    a value without decrypting anything (users by email, across tenants).
// Subject keys are cached per process and checked against the store at most every
// kCacheTtl, so an erasure made by another instance takes effect here within that time.
// Thread-safety: safe from any thread.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "modules/secrets/data_keys.h"
#include "modules/secrets/keyring.h"
#include "core/config.h"
#include "store/database.h"
#include "store/migrator.h"
#include "store/open.h"

namespace tf::secrets {

inline constexpr std::string_view kPersonalPrefix = "tfpd";
//! What an erased person's data reads as wherever it is shown.
inline constexpr std::string_view kErasedText = "[erased]";
//! The data keys of platform-wide lookups (blind indexes), a tenant id no tenant has.
inline constexpr std::string_view kPlatformKeysTenant = "platform";

//! The key store's schema, configuration keys and file (store::OpenDatabase et al.).
const store::StoreSpec& SubjectKeyStoreSpec();
//! secrets.subject_keys_* as a DatabaseConfig.
DatabaseConfig SubjectKeyStoreConfig(const Config& config);
//! Opens the key store, applies its pending migrations where the configuration may (a current
//! one is not written to), and checks it is ready to serve.
absl::StatusOr<std::unique_ptr<store::Database>> OpenSubjectKeyStore(const Config& config, const Clock& clock);

//! A database column whose values are sealed under people's own keys (PersonalData::Seal).
//! PersonalColumns() is THE list, which the encryption status reports; a module that seals a
//! column adds it there.
struct PersonalColumn {
  std::string table, column, holds;
};
const std::vector<PersonalColumn>& PersonalColumns();

struct ErasedSubject {
  std::string tenant_id, subject_id;
  int64_t erased_at = 0;
};

class PersonalData {
 public:
  PersonalData(store::Database& key_store, DataKeys& data_keys, const Clock& clock)
      : store_(key_store), data_keys_(data_keys), clock_(clock) {}

  //! `plaintext` sealed under the subject's key (created on first use); FailedPrecondition when
  //! the subject was erased.
  absl::StatusOr<std::string> Seal(const FieldContext& where, std::string_view subject_id, std::string_view plaintext);
  //! The plaintext; FailedPrecondition (IsErased) once the subject was erased, DataLoss when
  //! the value does not authenticate here or is not sealed at all.
  absl::StatusOr<std::string> Open(const FieldContext& where, std::string_view sealed);
  //! True for text in the sealed format.
  static bool IsSealed(std::string_view text);
  //! The subject a sealed value belongs to (empty when `sealed` is not sealed).
  static std::string_view SubjectOf(std::string_view sealed);
  //! True for Open's answer about an erased subject.
  static bool IsErased(const absl::Status& status);

  //! Hex HMAC-SHA256 of `value` under the platform's keyed-hash key, separated by `purpose`.
  absl::StatusOr<std::string> BlindIndex(std::string_view purpose, std::string_view value);

  //! Destroys the subject's key, leaving a tombstone; false when it was already erased.
  //! Erasing a subject that never had a key leaves a tombstone too (no key can be made later).
  absl::StatusOr<bool> Erase(const std::string& tenant_id, const std::string& subject_id);
  //! Tombstones in (erased_at, tenant, subject) order after `after`, at most `limit`.
  absl::StatusOr<std::vector<ErasedSubject>> ErasedAfter(const ErasedSubject& after, int limit);
  //! How many of the tenant's people have a key, and how many were erased.
  absl::StatusOr<std::pair<int64_t, int64_t>> CountSubjects(const std::string& tenant_id);

  //! The tenants' data keys the subject keys are stored under.
  DataKeys& data_keys() { return data_keys_; }

  static constexpr std::chrono::seconds kCacheTtl{5};

 private:
  struct SubjectKey {
    bool erased = false;
    SecretKey key;  //!< empty when erased
  };
  struct Cached {
    SubjectKey key;
    int64_t fetched_at = 0;
  };
  //! The subject's key or tombstone, creating the key when `create` and absent (NotFound when
  //! absent otherwise).
  absl::StatusOr<SubjectKey> Key(const std::string& tenant_id, std::string_view subject_id, bool create);
  //! The stored key or tombstone; nullopt when there is neither.
  absl::StatusOr<std::optional<SubjectKey>> Fetch(const std::string& tenant_id, const std::string& subject_id);

  store::Database& store_;
  DataKeys& data_keys_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Cached> cache_;  // guarded by mu_
  static constexpr size_t kCacheLimit = 100'000;
};

}  // namespace tf::secrets
