#pragma once
// Signed notes as C2SP signed-note defines them, with Ed25519 keys (signature type 0x01):
// text ending in a newline, a blank line, then lines "— <key name> <base64(key ID || sig)>".
// Key strings follow the same specification and Go's golang.org/x/mod/sumdb/note, so notes
// signed here open with any of their verifiers and keys move between them unchanged:
//   verifier key  <name>+<key ID, 8 hex>+<base64(0x01 || public key)>
//   signer key    PRIVATE+KEY+<name>+<key ID, 8 hex>+<base64(0x01 || 32-byte seed)>
// Thread-safety: Signer and Verifier are immutable values, safe to share.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tf::note {

//! A key name: non-empty UTF-8 without '+', spaces or control characters.
bool IsValidKeyName(std::string_view name);
//! The first four bytes of SHA-256(name || 0x0A || 0x01 || public key), big-endian.
uint32_t KeyId(std::string_view name, std::string_view public_key);

class Verifier {
 public:
  static absl::StatusOr<Verifier> FromKeyString(std::string_view verifier_key);
  Verifier(std::string name, std::string public_key);
  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  //! The raw 32-byte Ed25519 public key.
  const std::string& public_key() const { return public_key_; }
  std::string KeyString() const;
  bool VerifySignature(std::string_view text, std::string_view signature) const;

 private:
  std::string name_;
  std::string public_key_;
  uint32_t key_id_;
};

class Signer {
 public:
  static absl::StatusOr<Signer> FromKeyString(std::string_view signer_key);
  //! A new key pair from libsodium's random source.
  static absl::StatusOr<Signer> Generate(std::string name);
  const std::string& name() const { return verifier_.name(); }
  const Verifier& verifier() const { return verifier_; }
  //! The private key string, for the key file only.
  std::string KeyString() const;
  //! `text` (which must end in a newline) followed by its signature: a complete signed note.
  std::string Sign(std::string_view text) const;

 private:
  Signer(std::string name, std::string seed);
  std::string seed_;
  std::string secret_key_;  // libsodium's 64-byte form: seed || public key
  Verifier verifier_;
};

//! The text of `note` when it carries a valid signature by `verifier`; InvalidArgument for a
//! malformed note, Unauthenticated when no signature by that key verifies.
absl::StatusOr<std::string> Open(std::string_view note, const Verifier& verifier);

}  // namespace tf::note
