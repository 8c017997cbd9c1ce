#include "core/signed_note.h"

#include <sodium.h>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/crypto.h"
#include "core/strings.h"
#include "core/utf8.h"

namespace tf::note {

namespace {

constexpr char kAlgEd25519 = 0x01;
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // em dash U+2014, space
constexpr std::string_view kPrivatePrefix = "PRIVATE+KEY+";

std::string KeyIdBytes(uint32_t id) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((id >> (24 - 8 * i)) & 0xFF);
  return out;
}

//! Splits "<name>+<8 hex>+<base64>" into its parts, checking the key ID and algorithm byte.
struct KeyParts {
  std::string name;
  std::string key;  // without the algorithm byte
};

absl::StatusOr<KeyParts> ParseKey(std::string_view s, size_t key_bytes) {
  size_t first = s.find('+');
  size_t second = first == std::string_view::npos ? first : s.find('+', first + 1);
  if (second == std::string_view::npos) return absl::InvalidArgumentError("a note key is <name>+<id>+<key>");
  KeyParts parts{std::string(s.substr(0, first)), ""};
  std::string_view id_hex = s.substr(first + 1, second - first - 1);
  if (!IsValidKeyName(parts.name)) return absl::InvalidArgumentError("invalid key name");
  absl::StatusOr<std::string> id = crypto::HexDecode(id_hex);
  if (id_hex.size() != 8 || !id.ok()) return absl::InvalidArgumentError("a key ID is 8 hex digits");
  absl::StatusOr<std::string> material = crypto::Base64Decode(s.substr(second + 1));
  if (!material.ok() || material->size() != key_bytes + 1 || (*material)[0] != kAlgEd25519) {
    return absl::InvalidArgumentError("the key is not a base64 Ed25519 key (type 0x01)");
  }
  parts.key = material->substr(1);
  return parts;
}

}  // namespace

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || !IsValidUtf8(name)) return false;
  for (unsigned char c : name) {
    if (c == '+' || c <= 0x20 || c == 0x7F) return false;
  }
  // Unicode spaces that Go's unicode.IsSpace also refuses.
  for (std::string_view space : {"\xC2\x85", "\xC2\xA0", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE3\x80\x80"}) {
    if (name.find(space) != std::string_view::npos) return false;
  }
  return true;
}

uint32_t KeyId(std::string_view name, std::string_view public_key) {
  std::string input = StrCat(name, "\n", std::string(1, kAlgEd25519), public_key);
  std::string digest = crypto::Sha256(input);
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  return id;
}

Verifier::Verifier(std::string name, std::string public_key)
    : name_(std::move(name)), public_key_(std::move(public_key)), key_id_(KeyId(name_, public_key_)) {}

absl::StatusOr<Verifier> Verifier::FromKeyString(std::string_view verifier_key) {
  absl::StatusOr<KeyParts> parts = ParseKey(verifier_key, crypto_sign_PUBLICKEYBYTES);
  if (!parts.ok()) return parts.status();
  Verifier verifier(parts->name, parts->key);
  if (verifier_key.substr(parts->name.size() + 1, 8) != absl::StrFormat("%08x", verifier.key_id())) {
    return absl::InvalidArgumentError("the key ID does not match the key");
  }
  return verifier;
}

std::string Verifier::KeyString() const {
  return absl::StrFormat("%s+%08x+%s", name_, key_id_, crypto::Base64Encode(std::string(1, kAlgEd25519) + public_key_));
}

bool Verifier::VerifySignature(std::string_view text, std::string_view signature) const {
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                                     reinterpret_cast<const unsigned char*>(public_key_.data())) == 0;
}

Signer::Signer(std::string name, std::string seed) : seed_(std::move(seed)), verifier_("", "") {
  std::string pk(crypto_sign_PUBLICKEYBYTES, '\0');
  secret_key_.assign(crypto_sign_SECRETKEYBYTES, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(pk.data()),
                           reinterpret_cast<unsigned char*>(secret_key_.data()),
                           reinterpret_cast<const unsigned char*>(seed_.data()));
  verifier_ = Verifier(std::move(name), std::move(pk));
}

absl::StatusOr<Signer> Signer::FromKeyString(std::string_view signer_key) {
  if (signer_key.substr(0, kPrivatePrefix.size()) != kPrivatePrefix) {
    return absl::InvalidArgumentError("a signer key starts with PRIVATE+KEY+");
  }
  std::string_view rest = signer_key.substr(kPrivatePrefix.size());
  absl::StatusOr<KeyParts> parts = ParseKey(rest, crypto_sign_SEEDBYTES);
  if (!parts.ok()) return parts.status();
  Signer signer(parts->name, parts->key);
  if (rest.substr(parts->name.size() + 1, 8) != absl::StrFormat("%08x", signer.verifier_.key_id())) {
    return absl::InvalidArgumentError("the key ID does not match the key");
  }
  return signer;
}

absl::StatusOr<Signer> Signer::Generate(std::string name) {
  if (!IsValidKeyName(name)) return absl::InvalidArgumentError("invalid key name");
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  randombytes_buf(seed.data(), seed.size());
  return Signer(std::move(name), std::move(seed));
}

std::string Signer::KeyString() const {
  return absl::StrFormat("%s%s+%08x+%s", kPrivatePrefix, name(), verifier_.key_id(),
                         crypto::Base64Encode(std::string(1, kAlgEd25519) + seed_));
}

std::string Signer::Sign(std::string_view text) const {
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return StrCat(text, "\n", kSignaturePrefix, name(), " ",
                crypto::Base64Encode(KeyIdBytes(verifier_.key_id()) + signature), "\n");
}

absl::StatusOr<std::string> Open(std::string_view note, const Verifier& verifier) {
  if (!IsValidUtf8(note) || note.empty() || note.back() != '\n') {
    return absl::InvalidArgumentError("a signed note is UTF-8 text ending in a newline");
  }
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return absl::InvalidArgumentError("the note has no signature block");
  std::string_view text = note.substr(0, split + 1);
  std::string_view block = note.substr(split + 2);
  if (block.empty()) return absl::InvalidArgumentError("the note has no signature lines");
  block.remove_suffix(1);
  for (absl::string_view line : absl::StrSplit(Sv(block), '\n')) {
    std::string_view l = Sv(line);
    if (l.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
      return absl::InvalidArgumentError("a signature line starts with an em dash and a space");
    }
    l.remove_prefix(kSignaturePrefix.size());
    size_t space = l.find(' ');
    if (space == std::string_view::npos) return absl::InvalidArgumentError("malformed signature line");
    if (l.substr(0, space) != verifier.name()) continue;
    absl::StatusOr<std::string> blob = crypto::Base64Decode(l.substr(space + 1));
    if (!blob.ok() || blob->size() < 4) return absl::InvalidArgumentError("malformed signature");
    if (blob->substr(0, 4) != KeyIdBytes(verifier.key_id())) continue;
    if (verifier.VerifySignature(text, std::string_view(*blob).substr(4))) return std::string(text);
  }
  return absl::UnauthenticatedError(StrCat("no valid signature by ", verifier.name()));
}

}  // namespace tf::note
