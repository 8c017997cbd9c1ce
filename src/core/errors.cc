#include "core/errors.h"
#include "core/strings.h"

#include "absl/strings/str_cat.h"

namespace tf {

absl::Status FieldError(std::string_view field, std::string_view message) {
  return WithProblemFields(absl::InvalidArgumentError(StrCat(field, ": ", message)),
                           {{"errors", {{{"field", std::string(field)}, {"message", std::string(message)}}}}});
}

absl::Status WithRetryAfter(absl::Status status, int seconds) {
  status.SetPayload(Sv(kRetryAfterPayload), absl::Cord(StrCat(seconds)));
  return status;
}

absl::Status WithProblemFields(absl::Status status, const nlohmann::json& fields) {
  status.SetPayload(Sv(kProblemFieldsPayload), absl::Cord(fields.dump()));
  return status;
}

}  // namespace tf
