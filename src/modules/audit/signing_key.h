#pragma once
// The audit checkpoint signing key: a file holding one C2SP/Go note signer key string
// ("PRIVATE+KEY+<name>+<id>+<key>"), created owner-only on first start. A key file readable by
// group or others, or named differently from audit.origin, is refused.
// Thread-safety: stateless.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/config.h"
#include "core/signed_note.h"

namespace tf::audit {

//! audit.signing_key_file, or audit-signing.key in the data directory.
std::string SigningKeyFile(const Config& config);
//! The key in `path`; nullopt when there is no such file.
absl::StatusOr<std::optional<note::Signer>> ReadSigningKey(const std::string& path, const std::string& name);
absl::StatusOr<note::Signer> LoadOrCreateSigningKey(const std::string& path, const std::string& name);

}  // namespace tf::audit
