#pragma once
// DataKeys: each tenant's data-encryption keys (DEKs), stored only wrapped by the KMS and
// unwrapped into a DataKeyRing on first use. A tenant's first key, and its keyed-hash key
// (version 0), are created when its ring is first asked for; Rotate adds a version that new values use (old ones still decrypt);
// Retire raises min_decryption_version; RewrapAll moves every stored DEK to the KMS's latest
// KEK version in batches, so the KEK's older versions can be retired.
// Rings are cached per process. A cached ring is compared with the stored latest and minimum
// versions at most every kRingCheckInterval (one small read) and reloaded when another
// process rotated or retired a version; a ciphertext naming a version the cached ring lacks
// reloads it at once.
// Thread-safety: safe from any thread.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "modules/secrets/keyring.h"
#include "modules/secrets/secrets_repo.h"
#include "store/database.h"

namespace tf::secrets {

struct RewrapResult {
  int64_t rewrapped = 0;
  int kek_version = 0;  //!< the version every data key is now wrapped by
};

class DataKeys {
 public:
  DataKeys(store::Database& db, Kms& kms, const Clock& clock) : db_(db), kms_(kms), clock_(clock) {}

  //! The tenant's ring, with a first key created if it has none.
  absl::StatusOr<DataKeyRing> Ring(const std::string& tenant_id);
  //! Encrypts/decrypts a field with the tenant's ring (FieldContext::tenant_id names it).
  absl::StatusOr<std::string> Encrypt(const FieldContext& where, std::string_view plaintext);
  absl::StatusOr<std::string> Decrypt(const FieldContext& where, std::string_view ciphertext);
  //! Hex HMAC-SHA256 of `value` under the tenant's keyed-hash key, separated by `purpose`
  //! ("secret-fingerprint", "users.email"): equal values give equal hashes within one tenant
  //! and purpose, and nothing can be learnt of a value without the key.
  absl::StatusOr<std::string> KeyedHash(const std::string& tenant_id, std::string_view purpose,
                                        std::string_view value);
  //! Runs in the transaction that adds a data key version, with the version (its audit record).
  using InRotation = std::function<absl::Status(store::Transaction&, int version)>;
  //! Adds a DEK version for the tenant; returns it. `also` commits with it, or neither does.
  absl::StatusOr<int> Rotate(const std::string& tenant_id, const InRotation& also = {});
  //! Refuses values encrypted under versions below `min_version` from now on.
  absl::Status Retire(const std::string& tenant_id, int min_version);
  //! Rewraps every stored DEK under the KMS's latest version, `batch` per transaction;
  //! `progress(done)` after each batch.
  absl::StatusOr<RewrapResult> RewrapAll(int batch = 500, const std::function<void(int64_t)>& progress = {});

  static std::string WrapContext(std::string_view tenant_id, int version);
  static constexpr std::chrono::seconds kRingCheckInterval{5};
  //! After a rotation, how long until every instance surely writes under the new version
  //! (the check interval, and requests that encrypted just before it): retire no earlier.
  static constexpr std::chrono::seconds kSettleTime = kRingCheckInterval + std::chrono::seconds(2);

  //! The tenant's stored keys (version 0, the keyed-hash key, first) and state; no keys are
  //! created.
  absl::StatusOr<std::pair<std::optional<KeyState>, std::vector<StoredDataKey>>> Stored(const std::string& tenant_id);
  Kms& kms() { return kms_; }

 private:
  absl::StatusOr<DataKeyRing> Load(const std::string& tenant_id);
  //! Stores a new DEK as `version` unless the tenant's latest is no longer version - 1;
  //! returns the tenant's latest version after.
  absl::StatusOr<int> AddVersion(const std::string& tenant_id, int version, const InRotation& also = {});
  //! The tenant's wrapped key `version` (0: the keyed-hash key), freshly generated.
  absl::StatusOr<StoredDataKey> NewKey(const std::string& tenant_id, int version);
  void Forget(const std::string& tenant_id);

  store::Database& db_;
  Kms& kms_;
  const Clock& clock_;
  SecretsRepo repo_;
  mutable std::mutex mu_;
  struct CachedRing {
    DataKeyRing ring;
    int64_t checked_at = 0;  //!< when the stored versions were last compared with it
  };
  std::map<std::string, CachedRing> rings_;  // guarded by mu_
};

}  // namespace tf::secrets
