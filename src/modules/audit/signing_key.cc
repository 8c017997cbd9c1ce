#include "modules/audit/signing_key.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "core/secret_file.h"
#include "core/strings.h"

namespace tf::audit {

namespace {

constexpr std::string_view kSetting = "audit.signing_key_file";

}  // namespace

std::string SigningKeyFile(const Config& config) {
  return config.audit.signing_key_file.empty()
             ? (std::filesystem::path(config.data_dir) / "audit-signing.key").string()
             : config.audit.signing_key_file;
}

absl::StatusOr<note::Signer> LoadOrCreateSigningKey(const std::string& path, const std::string& name) {
  absl::StatusOr<std::optional<note::Signer>> read = ReadSigningKey(path, name);
  if (!read.ok()) return read.status();
  if (*read) return std::move(**read);
  absl::StatusOr<note::Signer> signer = note::Signer::Generate(name);
  if (!signer.ok()) return absl::InvalidArgumentError(StrCat("audit.origin: ", signer.status().message()));
  absl::Status written = WriteOwnerOnlyFile(path, signer->KeyString() + "\n", kSetting, /*create_only=*/true);
  if (written.code() == absl::StatusCode::kAlreadyExists) return LoadOrCreateSigningKey(path, name);  // another instance's
  if (!written.ok()) return written;
  return signer;
}

absl::StatusOr<std::optional<note::Signer>> ReadSigningKey(const std::string& path, const std::string& name) {
  absl::StatusOr<std::optional<std::string>> text = ReadOwnerOnlyFile(path, kSetting);
  if (!text.ok()) return text.status();
  if (!*text) return std::nullopt;
  absl::StatusOr<note::Signer> signer = note::Signer::FromKeyString(Sv(absl::StripAsciiWhitespace(**text)));
  if (!signer.ok()) {
    return absl::FailedPreconditionError(StrCat(kSetting, ": ", path, " does not hold a note signer key"));
  }
  if (signer->name() != name) {
    return absl::FailedPreconditionError(StrCat(kSetting, ": the key in ", path, " is named '", signer->name(),
                                                "' but audit.origin is '", name, "'"));
  }
  return std::optional<note::Signer>(std::move(*signer));
}

}  // namespace tf::audit
