#pragma once
// `trustctl keys ...`: the keyring for operators. Each command opens the configured KMS and
// store as trustd does, prints what it did and records it in the audit trail; an error is
// returned for trustctl to report.
// Thread-safety: one call per process.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "core/config.h"

namespace tf::keys_cli {

//! The KEK's versions and ages, and how many data keys each version wraps.
absl::Status Status(const Config& config);
//! A new KEK version (no tenant), or a new data key version for `tenant`.
absl::Status Rotate(const Config& config, const std::optional<std::string>& tenant);
//! Every data key rewrapped under the KEK's latest version; with `retire`, older KEK versions
//! retired afterwards.
absl::Status Rewrap(const Config& config, bool retire, bool quiet);
//! Every encrypted value (of `tenant`, or of every tenant) moved to its tenant's latest data
//! key version; with `retire`, each tenant left with nothing under older versions has them
//! retired.
absl::Status Reencrypt(const Config& config, const std::optional<std::string>& tenant, bool retire, bool quiet);

}  // namespace tf::keys_cli
