#pragma once
// Vetted cryptographic primitives behind small functions: SHA-256 and HMAC (OpenSSL),
// argon2id password hashing, XChaCha20-Poly1305, random keys and constant-time comparison
// (libsodium), and encodings.
// Call InitCrypto() once at start-up. Thread-safety: all functions are safe from any thread.

#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/rng.h"

namespace tf::crypto {

[[nodiscard]] absl::Status InitCrypto();

//! Raw 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);
//! The SHA-256 digest of `parts` one after another, written to `out` (32 bytes). No allocation:
//! the digest is fetched from OpenSSL once and each thread reuses one context.
void Sha256Into(std::initializer_list<std::string_view> parts, unsigned char* out);
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);

//! SHA-256 of data given in pieces.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  //! The raw 32-byte digest of everything given so far.
  std::string Digest() const;

 private:
  void* ctx_;  // EVP_MD_CTX
};
std::string HmacSha1(std::string_view key, std::string_view data);

//! Constant-time equality; different lengths compare unequal (length is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string HexEncode(std::string_view bytes);
absl::StatusOr<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view bytes);
absl::StatusOr<std::string> Base64Decode(std::string_view b64);
std::string Base64UrlEncode(std::string_view bytes);

//! An opaque bearer secret: `prefix` + 32 random bytes as unpadded base64url.
std::string NewToken(Rng& rng, std::string_view prefix);

//! argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1); returns the PHC string.
absl::StatusOr<std::string> HashPassword(std::string_view password);
//! True when `password` matches the PHC string `encoded`.
bool VerifyPassword(std::string_view encoded, std::string_view password);
//! Runs one argon2id verification against a fixed hash, so unknown users cost the same time.
void BurnPasswordVerification(std::string_view password);

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 24;
inline constexpr size_t kAeadTagBytes = 16;

//! `n` bytes from libsodium's CSPRNG (keys, nonces).
std::string RandomBytes(size_t n);
//! XChaCha20-Poly1305 (IETF, draft-irtf-cfrg-xchacha): ciphertext || tag of `plaintext` under
//! `key` (kAeadKeyBytes) and `nonce` (kAeadNonceBytes), bound to `aad`.
absl::StatusOr<std::string> AeadSeal(std::string_view key, std::string_view nonce, std::string_view plaintext,
                                     std::string_view aad);
//! The plaintext of AeadSeal's output; InvalidArgument when it does not authenticate under
//! this key, nonce and `aad` (tampered, truncated, another key or another context).
absl::StatusOr<std::string> AeadOpen(std::string_view key, std::string_view nonce, std::string_view sealed,
                                     std::string_view aad);

inline constexpr unsigned long long kArgonOpsLimit = 2;
inline constexpr size_t kArgonMemLimitBytes = 19456u * 1024u;

}  // namespace tf::crypto
