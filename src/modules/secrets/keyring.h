#pragma once
// The keyring: a key-encryption key (KEK) from a KMS provider wraps data-encryption keys
// (DEKs); DEKs encrypt fields with XChaCha20-Poly1305.
//  - Kms: the provider interface. Wrapped keys are self-describing,
//    "<provider>:v<N>:<base64 of nonce || ciphertext || tag>", like Vault Transit's
//    "vault:v<N>:...", and bound to a context (the tenant and DEK version they belong to).
//  - LocalKms: KEK versions in an owner-only key file (or one version from an environment
//    variable). Rotation adds a version used for new wraps; min_decryption_version retires
//    older ones once nothing is wrapped by them. The file is read again whenever it changed
//    (another process, such as `trustctl keys`, rotated it).
//  - DataKeyRing and EncryptField/DecryptField: one tenant's unwrapped DEK versions and field
//    encryption, "tfenc:v<N>:<base64url>", with associated data binding the value to its
//    tenant, table, column and row, so a ciphertext copied anywhere else fails to decrypt.
// Key bytes are wiped when their holder is destroyed.
// Thread-safety: LocalKms is safe from any thread; DataKeyRing is a value (copy it per use or
// guard it); the functions are stateless.

#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"

namespace tf::secrets {

//! Key bytes, wiped on destruction.
class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(std::string bytes) : bytes_(std::move(bytes)) {}
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other);
  ~SecretKey();
  std::string_view bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

struct KekVersion {
  int version = 0;
  int64_t created_at = 0;  //!< microseconds
};

struct KmsStatus {
  std::string provider;     //!< "local", "vault-transit"
  std::string wrap_prefix;  //!< what its wrapped keys start with: "local", "vault"

  int latest_version = 0;
  int min_decryption_version = 1;
  std::vector<KekVersion> versions;  //!< oldest first, retired ones included
};

//! A wrapped key's provider, version and payload, parsed from "<provider>:v<N>:<payload>".
struct VersionedText {
  std::string_view prefix;
  int version = 0;
  std::string_view payload;
};
//! InvalidArgument when `text` is not "<expected_prefix>:v<N>:<payload>" with N >= 1.
absl::StatusOr<VersionedText> ParseVersioned(std::string_view text, std::string_view expected_prefix);

class Kms {
 public:
  virtual ~Kms() = default;
  //! `data_key` encrypted under the latest KEK version, bound to `context`.
  virtual absl::StatusOr<std::string> Wrap(std::string_view data_key, std::string_view context) = 0;
  //! The data key; InvalidArgument for text that is not a wrapped key, FailedPrecondition for
  //! a retired or unknown version, DataLoss when it does not authenticate (tampered, or
  //! another context).
  virtual absl::StatusOr<std::string> Unwrap(std::string_view wrapped, std::string_view context) = 0;
  //! The same data key wrapped under the latest version.
  virtual absl::StatusOr<std::string> Rewrap(std::string_view wrapped, std::string_view context) = 0;
  //! Adds a KEK version; returns it.
  virtual absl::StatusOr<int> Rotate() = 0;
  //! Retires every version below `version` (at most the latest).
  virtual absl::Status SetMinDecryptionVersion(int version) = 0;
  virtual KmsStatus Status() const = 0;
};

class LocalKms final : public Kms {
 public:
  //! The KEK versions in `path` (owner-only), created with a first version when absent.
  static absl::StatusOr<std::unique_ptr<LocalKms>> FromFile(const std::string& path, const Clock& clock);
  //! One version from an environment variable's value: base64 of 32 bytes. It cannot be
  //! rotated (Rotate and SetMinDecryptionVersion refuse); operators move it into a key file.
  static absl::StatusOr<std::unique_ptr<LocalKms>> FromValue(std::string_view base64_key, const Clock& clock);

  absl::StatusOr<std::string> Wrap(std::string_view data_key, std::string_view context) override;
  absl::StatusOr<std::string> Unwrap(std::string_view wrapped, std::string_view context) override;
  absl::StatusOr<std::string> Rewrap(std::string_view wrapped, std::string_view context) override;
  absl::StatusOr<int> Rotate() override;
  absl::Status SetMinDecryptionVersion(int version) override;
  KmsStatus Status() const override;

  static constexpr std::string_view kProvider = "local";

 private:
  struct Version {
    KekVersion info;
    SecretKey key;
  };
  LocalKms(std::string path, const Clock& clock) : path_(std::move(path)), clock_(clock) {}
  absl::Status Save();  // requires mu_
  //! Reads the file again if it changed since it was last read or written; requires mu_.
  void Refresh() const;
  //! The file's identity, size and modification time (to notice a change); requires mu_.
  std::string Stamp() const;
  std::string Serialize() const;  // requires mu_
  static absl::StatusOr<std::vector<Version>> Parse(std::string_view text, const std::string& path,
                                                    int& min_version);

  const std::string path_;  // empty: from the environment
  const Clock& clock_;
  mutable std::mutex mu_;
  // Mutable: Refresh, which const Status also runs, may reload them.
  mutable std::map<int, Version> versions_;  // guarded by mu_
  mutable int min_decryption_version_ = 1;   // guarded by mu_
  mutable std::string stamp_;                // guarded by mu_
};

//! One tenant's data keys, unwrapped: version -> key; and its keyed-hash key (stored as
//! version 0), which keys fingerprints and blind indexes and never encrypts.
struct DataKeyRing {
  std::map<int, SecretKey> keys;
  int latest = 0;
  int min_decryption_version = 1;
  SecretKey hash_key;
};

//! Associated data as length-prefixed parts, so no two different part lists give the same bytes.
std::string AssociatedData(std::initializer_list<std::string_view> parts);
//! nonce || ciphertext || tag of `plaintext` under `key` (XChaCha20-Poly1305, a random nonce).
absl::StatusOr<std::string> SealBox(std::string_view key, std::string_view plaintext, std::string_view aad);
//! The plaintext of a SealBox box; DataLoss naming `what` when it does not authenticate.
absl::StatusOr<std::string> OpenBox(std::string_view key, std::string_view box, std::string_view aad,
                                    std::string_view what);

//! Where a field's value lives; all of it goes into the associated data.
struct FieldContext {
  std::string_view tenant_id, table, column, row_id;
};

inline constexpr std::string_view kFieldPrefix = "tfenc";

//! "tfenc:v<N>:<base64url(nonce || ciphertext || tag)>" under the ring's latest key.
absl::StatusOr<std::string> EncryptField(const DataKeyRing& ring, const FieldContext& where,
                                         std::string_view plaintext);
//! The plaintext; FailedPrecondition for a retired or unknown key version, DataLoss when the
//! value does not authenticate here (tampered, or copied from another row, column or tenant).
absl::StatusOr<std::string> DecryptField(const DataKeyRing& ring, const FieldContext& where,
                                         std::string_view ciphertext);

}  // namespace tf::secrets
