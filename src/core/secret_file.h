#pragma once
// Files that hold key material: readable and writable by their owner only. A file that group
// or others may read is refused rather than used, and files are replaced atomically (a
// temporary file in the same directory, synced, renamed over the old one, and the directory
// synced).
// `setting` names the configuration key in messages. Thread-safety: stateless.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tf {

//! The file's contents; nullopt when it does not exist. FailedPrecondition when group or
//! others have any access to it.
absl::StatusOr<std::optional<std::string>> ReadOwnerOnlyFile(const std::string& path,
                                                             std::string_view setting);

//! Writes `contents` with mode 0600, replacing any file at `path` atomically; with
//! `create_only`, fails (AlreadyExists) if a file is there, also when another process created
//! it a moment before (the caller then reads that one).
absl::Status WriteOwnerOnlyFile(const std::string& path, std::string_view contents, std::string_view setting,
                                bool create_only = false);

}  // namespace tf
