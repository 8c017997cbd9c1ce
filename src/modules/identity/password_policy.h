#pragma once
// Password rules: length-based (NIST SP 800-63B / OWASP ASVS: at least 12 characters, at most
// 128, any characters allowed, no composition rules) plus a refusal of passwords on the shipped
// list of common passwords and of ones built from the account's own email.
// Thread-safety: stateless.

#include <string_view>

#include "absl/status/status.h"

namespace tf::identity {

inline constexpr size_t kMinPasswordLength = 12;
inline constexpr size_t kMaxPasswordLength = 128;

//! OK, or InvalidArgument saying what to change (never echoing the password).
absl::Status CheckPassword(std::string_view password, std::string_view email);

//! True when the password (case-insensitively) is on the shipped common-password list.
bool IsCommonPassword(std::string_view password);

}  // namespace tf::identity
