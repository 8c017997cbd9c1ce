#pragma once
// The one place that turns an absl::Status into an HTTP answer: RFC 9457
// application/problem+json with type, title, status, detail, instance and request_id.
// Canonical codes map to HTTP statuses (InvalidArgument 422, ...); an explicit HTTP status
// for cases the codes cannot tell apart (400 malformed, 405, 413, 415, 431) rides on the
// Status as a payload, set by HttpError().
// Thread-safety: stateless.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/errors.h"
#include "http/message.h"

namespace tf::http {

//! A Status that maps to exactly `http_status`.
absl::Status HttpError(int http_status, std::string_view detail);
//! 400: the request could not be parsed (malformed JSON, wrong types, bad query values).
absl::Status BadRequest(std::string_view detail);

int HttpStatusFor(const absl::Status& status);

//! The problem+json response for `status`. Internal errors never expose their message.
Response ProblemResponse(const absl::Status& status, std::string_view instance,
                         std::string_view request_id);

}  // namespace tf::http
