#pragma once
// VaultTransitKms: the key-encryption key is a key of HashiCorp Vault's (or OpenBao's) Transit
// engine and never leaves it. Data keys are wrapped with POST /v1/<mount>/encrypt/<key>
// (plaintext and associated_data base64; the answer's "vault:v<N>:..." ciphertext is stored
// as is) and unwrapped with /decrypt; the wrap context is the associated data, so a wrapped
// key moved to another context does not open. Rotate and min_decryption_version are the
// key's /rotate and /config; versions are read from GET /v1/<mount>/keys/<key>.
//
// The key must be of an AEAD type (aes256-gcm96, chacha20-poly1305, ...) and exist: Open
// refuses a missing key (naming the command that creates it) and a server that ignores
// associated_data (it proves the binding with a probe at start). Rewrap decrypts and
// encrypts again under the latest version, because Transit's own rewrap carries no
// associated data.
//
// Errors: Vault's 403 -> PermissionDenied, an answer that does not authenticate -> DataLoss,
// a retired version -> FailedPrecondition, no answer or 5xx -> Unavailable; messages quote
// Vault's errors and never the token.
// Thread-safety: safe from any thread; the key's versions are cached and read again after
// kStatusTtl or a rotation.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "modules/secrets/keyring.h"
#include "nlohmann/json.hpp"

namespace tf::secrets {

struct VaultOptions {
  std::string address;  //!< https://vault.internal:8200
  std::string token;
  std::string ns;  //!< X-Vault-Namespace; empty = none
  std::string mount = "transit";
  std::string key = "trust-fabric";
  HttpClientOptions http;
};

class VaultTransitKms final : public Kms {
 public:
  static absl::StatusOr<std::unique_ptr<VaultTransitKms>> Open(VaultOptions options, const Clock& clock);

  absl::StatusOr<std::string> Wrap(std::string_view data_key, std::string_view context) override;
  absl::StatusOr<std::string> Unwrap(std::string_view wrapped, std::string_view context) override;
  absl::StatusOr<std::string> Rewrap(std::string_view wrapped, std::string_view context) override;
  absl::StatusOr<int> Rotate() override;
  absl::Status SetMinDecryptionVersion(int version) override;
  KmsStatus Status() const override;

  static constexpr std::string_view kProvider = "vault-transit";
  static constexpr std::string_view kPrefix = "vault";
  static constexpr std::chrono::seconds kStatusTtl{30};

 private:
  VaultTransitKms(VaultOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}
  //! POSTs (or GETs, with a null body) `path` under the mount; the answer's JSON.
  absl::StatusOr<nlohmann::json> Call(std::string_view method, const std::string& path,
                                      const nlohmann::json* body) const;
  absl::StatusOr<KmsStatus> ReadKey() const;
  absl::Status Refresh() const;
  //! Proves that the server binds associated data: a probe sealed under one context must not
  //! open under another.
  absl::Status ProbeAssociatedData();

  const VaultOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable KmsStatus status_;     // guarded by mu_
  mutable int64_t read_at_ = 0;  // guarded by mu_; when status_ was read
};

}  // namespace tf::secrets
