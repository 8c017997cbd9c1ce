#include "core/crypto.h"
#include "core/strings.h"

#include <memory>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "core/status.h"

namespace tf::crypto {

absl::Status InitCrypto() {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

namespace {

//! SHA-256 fetched from the default provider once: OpenSSL 3 otherwise looks the algorithm up
//! (under a lock) at every one-shot call or context initialisation.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

void Sha256Into(std::initializer_list<std::string_view> parts, unsigned char* out) {
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr);
  for (std::string_view part : parts) EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  EVP_DigestFinal_ex(ctx.get(), out, nullptr);
}

std::string Sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  Sha256Into({data}, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  Sha256Into({data}, digest);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(ctx_), Sha256Md(), nullptr);
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Stream::Update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Sha256Stream::Digest() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, static_cast<EVP_MD_CTX*>(ctx_));
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy, reinterpret_cast<unsigned char*>(out.data()), &len);
  EVP_MD_CTX_free(copy);
  return out;
}

namespace {
std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}
}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  return Hmac(EVP_sha256(), key, data);
}

std::string HmacSha1(std::string_view key, std::string_view data) {
  return Hmac(EVP_sha1(), key, data);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HexEncode(std::string_view bytes) { return absl::BytesToHexString(Sv(bytes)); }

absl::StatusOr<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("odd-length hex string");
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("not a hex string");
    }
  }
  return absl::HexStringToBytes(Sv(hex));
}

std::string Base64Encode(std::string_view bytes) { return absl::Base64Escape(Sv(bytes)); }

absl::StatusOr<std::string> Base64Decode(std::string_view b64) {
  std::string out;
  if (!absl::Base64Unescape(Sv(b64), &out)) return absl::InvalidArgumentError("not base64");
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) { return absl::WebSafeBase64Escape(Sv(bytes)); }

std::string NewToken(Rng& rng, std::string_view prefix) {
  return std::string(prefix) + Base64UrlEncode(rng.Bytes(32));
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

namespace {

absl::Status CheckAeadSizes(std::string_view key, std::string_view nonce) {
  if (key.size() != kAeadKeyBytes) return absl::InvalidArgumentError("an AEAD key is 32 bytes");
  if (nonce.size() != kAeadNonceBytes) return absl::InvalidArgumentError("an XChaCha20 nonce is 24 bytes");
  return absl::OkStatus();
}

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

absl::StatusOr<std::string> AeadSeal(std::string_view key, std::string_view nonce, std::string_view plaintext,
                                     std::string_view aad) {
  TF_RETURN_IF_ERROR(CheckAeadSizes(key, nonce));
  std::string out(plaintext.size() + kAeadTagBytes, '\0');
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(out.data()), &written, Bytes(plaintext),
                                             plaintext.size(), Bytes(aad), aad.size(), nullptr, Bytes(nonce),
                                             Bytes(key));
  out.resize(written);
  return out;
}

absl::StatusOr<std::string> AeadOpen(std::string_view key, std::string_view nonce, std::string_view sealed,
                                     std::string_view aad) {
  TF_RETURN_IF_ERROR(CheckAeadSizes(key, nonce));
  if (sealed.size() < kAeadTagBytes) return absl::InvalidArgumentError("the ciphertext is shorter than its tag");
  std::string out(sealed.size() - kAeadTagBytes, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()), &written, nullptr,
                                                 Bytes(sealed), sealed.size(), Bytes(aad), aad.size(), Bytes(nonce),
                                                 Bytes(key)) != 0) {
    sodium_memzero(out.data(), out.size());
    return absl::InvalidArgumentError("the ciphertext does not authenticate");
  }
  out.resize(written);
  return out;
}

absl::StatusOr<std::string> HashPassword(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kArgonOpsLimit,
                            kArgonMemLimitBytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("out of memory while hashing a password");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  std::string z(encoded);  // crypto_pwhash_str_verify needs a NUL-terminated string
  return crypto_pwhash_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

void BurnPasswordVerification(std::string_view password) {
  static const std::string kDummy = [] {
    auto h = HashPassword("trust-fabric-timing-equaliser");
    return h.ok() ? *h : std::string();
  }();
  (void)VerifyPassword(kDummy, password);
}

}  // namespace tf::crypto
