#pragma once
// The audit checkpoint signing key: a file holding one C2SP/Go note signer key string
// ("PRIVATE+KEY+<name>+<id>+<key>"), created owner-only on first start. A key file readable by
// group or others, or named differently from audit.origin, is refused.
// Thread-safety: stateless.

#include <string>

#include "absl/status/statusor.h"
#include "core/signed_note.h"

namespace tf::audit {

absl::StatusOr<note::Signer> LoadOrCreateSigningKey(const std::string& path, const std::string& name);

}  // namespace tf::audit
