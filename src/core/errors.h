#pragma once
// Details that ride on an absl::Status for the one HTTP error mapper (http/problem.h) to use,
// so services can say which field is wrong or when to retry without knowing about HTTP.
// Thread-safety: stateless.

#include <string_view>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace tf {

inline constexpr std::string_view kRetryAfterPayload = "tf/retry-after";
inline constexpr std::string_view kProblemFieldsPayload = "tf/problem-fields";

//! InvalidArgument naming the field: the answer carries {"errors": [{"field", "message"}]}.
absl::Status FieldError(std::string_view field, std::string_view message);
//! Adds `Retry-After: seconds` to the answer (429, 503).
absl::Status WithRetryAfter(absl::Status status, int seconds);
//! Adds extension members to the problem document.
absl::Status WithProblemFields(absl::Status status, const nlohmann::json& fields);

}  // namespace tf
