#include "modules/secrets/keyring.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/secret_file.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"

namespace tf::secrets {

namespace {

constexpr std::string_view kKekSetting = "secrets.kek_file";
constexpr std::string_view kEnvironmentKek =
    "a KEK given in secrets.kek has one version and cannot be rotated; move it into a key file first "
    "(docs/operations.md, Keys)";

int64_t MicrosOf(SysTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

//! An exclusive lock on `path` + ".lock" for the life of the object, so two processes never
//! both add "the next" version to one key file.
class FileLock {
 public:
  explicit FileLock(const std::string& path)
      : fd_(::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

SecretKey& SecretKey::operator=(const SecretKey& other) {
  if (this != &other) {
    sodium_memzero(bytes_.data(), bytes_.size());
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

absl::StatusOr<VersionedText> ParseVersioned(std::string_view text, std::string_view expected_prefix) {
  auto bad = [&] {
    return absl::InvalidArgumentError(StrCat("not a ", expected_prefix, ":v<version>:<data> value"));
  };
  if (!text.starts_with(expected_prefix) || text.substr(expected_prefix.size()).substr(0, 2) != ":v")
    return bad();
  std::string_view rest = text.substr(expected_prefix.size() + 2);
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 9) return bad();
  int version = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + colon, version);
  if (ec != std::errc() || end != rest.data() + colon || version < 1 || rest[0] == '0') return bad();
  return VersionedText{text.substr(0, expected_prefix.size()), version, rest.substr(colon + 1)};
}

// ---- LocalKms ----

absl::StatusOr<std::vector<LocalKms::Version>> LocalKms::Parse(std::string_view text, const std::string& path,
                                                               int& min_version) {
  std::vector<Version> out;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(Sv(text), '\n')) {
    std::string_view line = Sv(raw);
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](std::string_view why) {
      return absl::FailedPreconditionError(StrCat(kKekSetting, ": ", path, " line ", line_number, ": ", why));
    };
    std::vector<std::string_view> fields;
    for (absl::string_view f : absl::StrSplit(raw, ' ')) fields.push_back(Sv(f));
    if (fields.size() == 2 && fields[0] == "min_decryption_version") {
      auto [end, ec] = std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), min_version);
      if (ec != std::errc() || end != fields[1].data() + fields[1].size() || min_version < 1) {
        return bad("min_decryption_version is not a positive number");
      }
      continue;
    }
    if (fields.size() != 3 || !fields[0].starts_with("v"))
      return bad("expected 'v<N> <created RFC 3339> <base64 key>'");
    Version v;
    auto [end, ec] =
        std::from_chars(fields[0].data() + 1, fields[0].data() + fields[0].size(), v.info.version);
    if (ec != std::errc() || end != fields[0].data() + fields[0].size() || v.info.version < 1) {
      return bad("the version is not v<positive number>");
    }
    absl::StatusOr<SysTime> created = ParseRfc3339(fields[1]);
    if (!created.ok()) return bad("the creation time is not RFC 3339");
    v.info.created_at = MicrosOf(*created);
    absl::StatusOr<std::string> key = crypto::Base64Decode(fields[2]);
    if (!key.ok() || key->size() != crypto::kAeadKeyBytes) return bad("the key is not base64 of 32 bytes");
    v.key = SecretKey(std::move(*key));
    if (!out.empty() && v.info.version != out.back().info.version + 1)
      return bad("versions must count up from v1");
    if (out.empty() && v.info.version != 1) return bad("versions must count up from v1");
    out.push_back(std::move(v));
  }
  if (out.empty()) return absl::FailedPreconditionError(StrCat(kKekSetting, ": ", path, " holds no key"));
  if (min_version > out.back().info.version) {
    return absl::FailedPreconditionError(StrCat(kKekSetting, ": ", path, ": min_decryption_version ",
                                                min_version, " is above the latest version ",
                                                out.back().info.version));
  }
  return out;
}

std::string LocalKms::Serialize() const {
  std::string out =
      StrCat("# Trust Fabric key-encryption key versions. Owner-only; back it up apart from the data.\n",
             "min_decryption_version ", min_decryption_version_, "\n");
  for (const auto& [n, v] : versions_) {
    StrAppend(&out, "v", n, " ", FormatRfc3339Exact(v.info.created_at), " ",
              crypto::Base64Encode(v.key.bytes()), "\n");
  }
  return out;
}

absl::Status LocalKms::Save() {
  if (path_.empty()) {
    return absl::FailedPreconditionError(Sv(kEnvironmentKek));
  }
  std::string text = Serialize();
  absl::Status status = WriteOwnerOnlyFile(path_, text, kKekSetting);
  sodium_memzero(text.data(), text.size());
  if (status.ok()) stamp_ = Stamp();
  return status;
}

std::string LocalKms::Stamp() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return "";
  return StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
}

void LocalKms::Refresh() const {
  if (path_.empty()) return;
  std::string now = Stamp();
  if (now == stamp_) return;
  stamp_ = now;  // one attempt (and at most one warning) per change
  absl::StatusOr<std::optional<std::string>> text = ReadOwnerOnlyFile(path_, kKekSetting);
  absl::Status problem = text.status();
  if (text.ok() && !*text) problem = absl::NotFoundError(StrCat(path_, " is gone"));
  if (problem.ok()) {
    int min_version = 1;
    absl::StatusOr<std::vector<Version>> versions = Parse(**text, path_, min_version);
    sodium_memzero((*text)->data(), (*text)->size());
    if (!versions.ok()) {
      problem = versions.status();
    } else if (versions->back().info.version < versions_.rbegin()->first) {
      problem = absl::FailedPreconditionError(StrCat(path_, " holds fewer versions than are in use"));
    } else {
      versions_.clear();
      for (Version& v : *versions) versions_[v.info.version] = std::move(v);
      min_decryption_version_ = min_version;
      return;
    }
  }
  // Keep serving with the versions already loaded.
  log::Warn("the KEK file changed but was not reloaded", {{"error", std::string(problem.message())}});
}

absl::StatusOr<std::unique_ptr<LocalKms>> LocalKms::FromFile(const std::string& path, const Clock& clock) {
  auto kms = std::unique_ptr<LocalKms>(new LocalKms(path, clock));
  TF_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadOwnerOnlyFile(path, kKekSetting));
  if (!text) {
    kms->versions_[1] = {{1, clock.NowMicros()}, SecretKey(crypto::RandomBytes(crypto::kAeadKeyBytes))};
    std::string first = kms->Serialize();
    absl::Status written = WriteOwnerOnlyFile(path, first, kKekSetting, /*create_only=*/true);
    sodium_memzero(first.data(), first.size());
    if (written.code() == absl::StatusCode::kAlreadyExists) return FromFile(path, clock);  // another process's
    TF_RETURN_IF_ERROR(written);
    kms->stamp_ = kms->Stamp();
    return kms;
  }
  absl::StatusOr<std::vector<Version>> versions = Parse(*text, path, kms->min_decryption_version_);
  sodium_memzero(text->data(), text->size());
  if (!versions.ok()) return versions.status();
  for (Version& v : *versions) kms->versions_[v.info.version] = std::move(v);
  kms->stamp_ = kms->Stamp();
  return kms;
}

absl::StatusOr<std::unique_ptr<LocalKms>> LocalKms::FromValue(std::string_view base64_key,
                                                              const Clock& clock) {
  absl::StatusOr<std::string> key = crypto::Base64Decode(base64_key);
  if (!key.ok() || key->size() != crypto::kAeadKeyBytes) {
    return absl::InvalidArgumentError("the KEK variable must hold base64 of 32 bytes");
  }
  auto kms = std::unique_ptr<LocalKms>(new LocalKms("", clock));
  kms->versions_[1] = {{1, 0}, SecretKey(std::move(*key))};
  return kms;
}

absl::StatusOr<std::string> LocalKms::Wrap(std::string_view data_key, std::string_view context) {
  std::lock_guard lock(mu_);
  Refresh();
  const Version& latest = versions_.rbegin()->second;
  TF_ASSIGN_OR_RETURN(std::string box,
                      SealBox(latest.key.bytes(), data_key, AssociatedData({"tf-kek", context})));
  return StrCat(kProvider, ":v", latest.info.version, ":", crypto::Base64Encode(box));
}

absl::StatusOr<std::string> LocalKms::Unwrap(std::string_view wrapped, std::string_view context) {
  TF_ASSIGN_OR_RETURN(VersionedText parsed, ParseVersioned(wrapped, kProvider));
  absl::StatusOr<std::string> box = crypto::Base64Decode(parsed.payload);
  if (!box.ok()) return absl::InvalidArgumentError("the wrapped key's data is not base64");
  std::lock_guard lock(mu_);
  Refresh();
  auto it = versions_.find(parsed.version);
  if (it == versions_.end()) {
    return absl::FailedPreconditionError(StrCat("KEK version ", parsed.version, " is not in the keyring"));
  }
  if (parsed.version < min_decryption_version_) {
    return absl::FailedPreconditionError(StrCat("KEK version ", parsed.version,
                                                " is retired (min_decryption_version ",
                                                min_decryption_version_, ")"));
  }
  return OpenBox(it->second.key.bytes(), *box, AssociatedData({"tf-kek", context}), "the wrapped key");
}

absl::StatusOr<std::string> LocalKms::Rewrap(std::string_view wrapped, std::string_view context) {
  TF_ASSIGN_OR_RETURN(std::string key, Unwrap(wrapped, context));
  absl::StatusOr<std::string> rewrapped = Wrap(key, context);
  sodium_memzero(key.data(), key.size());
  return rewrapped;
}

absl::StatusOr<int> LocalKms::Rotate() {
  std::lock_guard lock(mu_);
  if (path_.empty()) {
    return absl::FailedPreconditionError(Sv(kEnvironmentKek));
  }
  FileLock file_lock(path_);
  if (!file_lock.held()) return absl::UnavailableError(StrCat(kKekSetting, ": cannot lock ", path_, ".lock"));
  Refresh();
  int next = versions_.rbegin()->first + 1;
  versions_[next] = {{next, clock_.NowMicros()}, SecretKey(crypto::RandomBytes(crypto::kAeadKeyBytes))};
  if (absl::Status saved = Save(); !saved.ok()) {
    versions_.erase(next);
    return saved;
  }
  return next;
}

absl::Status LocalKms::SetMinDecryptionVersion(int version) {
  std::lock_guard lock(mu_);
  if (path_.empty()) {
    return absl::FailedPreconditionError(Sv(kEnvironmentKek));
  }
  FileLock file_lock(path_);
  Refresh();
  int latest = versions_.rbegin()->first;
  if (version < 1 || version > latest) {
    return absl::InvalidArgumentError(
        StrCat("min_decryption_version must be between 1 and the latest version, ", latest));
  }
  int before = min_decryption_version_;
  min_decryption_version_ = version;
  if (absl::Status saved = Save(); !saved.ok()) {
    min_decryption_version_ = before;
    return saved;
  }
  return absl::OkStatus();
}

KmsStatus LocalKms::Status() const {
  std::lock_guard lock(mu_);
  Refresh();
  KmsStatus s{std::string(kProvider), std::string(kProvider), versions_.rbegin()->first, min_decryption_version_, {}};
  for (const auto& [n, v] : versions_) s.versions.push_back(v.info);
  return s;
}

// ---- boxes and fields ----

//! Associated data as length-prefixed parts, so no two different part lists give the same bytes.
std::string AssociatedData(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) StrAppend(&out, p.size(), ":", p, ";");
  return out;
}

//! nonce || ciphertext || tag of `plaintext` under `key`.
absl::StatusOr<std::string> SealBox(std::string_view key, std::string_view plaintext, std::string_view aad) {
  std::string nonce = crypto::RandomBytes(crypto::kAeadNonceBytes);
  TF_ASSIGN_OR_RETURN(std::string sealed, crypto::AeadSeal(key, nonce, plaintext, aad));
  return nonce + sealed;
}

absl::StatusOr<std::string> OpenBox(std::string_view key, std::string_view box, std::string_view aad,
                                 std::string_view what) {
  if (box.size() < crypto::kAeadNonceBytes + crypto::kAeadTagBytes) {
    return absl::DataLossError(StrCat(what, " is too short to be a ciphertext"));
  }
  absl::StatusOr<std::string> plain =
      crypto::AeadOpen(key, box.substr(0, crypto::kAeadNonceBytes), box.substr(crypto::kAeadNonceBytes), aad);
  if (!plain.ok())
    return absl::DataLossError(StrCat(what, " does not decrypt here: it was altered or belongs elsewhere"));
  return plain;
}


absl::StatusOr<std::string> EncryptField(const DataKeyRing& ring, const FieldContext& where,
                                         std::string_view plaintext) {
  auto it = ring.keys.find(ring.latest);
  if (it == ring.keys.end()) return absl::FailedPreconditionError("the tenant has no data key");
  TF_ASSIGN_OR_RETURN(
      std::string box,
      SealBox(it->second.bytes(), plaintext,
           AssociatedData({"tf-field", where.tenant_id, where.table, where.column, where.row_id})));
  return StrCat(kFieldPrefix, ":v", ring.latest, ":", crypto::Base64UrlEncode(box));
}

absl::StatusOr<std::string> DecryptField(const DataKeyRing& ring, const FieldContext& where,
                                         std::string_view ciphertext) {
  absl::StatusOr<VersionedText> parsed = ParseVersioned(ciphertext, kFieldPrefix);
  if (!parsed.ok())
    return absl::DataLossError(
        StrCat(where.table, ".", where.column, " holds a value that is not a ", kFieldPrefix, " ciphertext"));
  if (parsed->version < ring.min_decryption_version) {
    return absl::FailedPreconditionError(StrCat("data key version ", parsed->version, " is retired"));
  }
  auto it = ring.keys.find(parsed->version);
  if (it == ring.keys.end()) {
    return absl::FailedPreconditionError(
        StrCat("data key version ", parsed->version, " is not in the tenant's keyring"));
  }
  std::string box;
  if (!absl::WebSafeBase64Unescape(Sv(parsed->payload), &box)) {
    return absl::DataLossError(
        StrCat(where.table, ".", where.column, " holds a ciphertext that is not base64url"));
  }
  return OpenBox(it->second.bytes(), box,
              AssociatedData({"tf-field", where.tenant_id, where.table, where.column, where.row_id}),
              StrCat(where.table, ".", where.column));
}

}  // namespace tf::secrets
