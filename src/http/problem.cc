#include "http/problem.h"
#include "core/strings.h"

#include <charconv>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/redact.h"

namespace tf::http {

namespace {

constexpr std::string_view kHttpStatusPayload = "tf/http-status";

absl::StatusCode CodeForHttp(int http_status) {
  switch (http_status) {
    case 400: case 405: case 413: case 415: case 422: case 431: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 409: return absl::StatusCode::kFailedPrecondition;
    case 429: return absl::StatusCode::kResourceExhausted;
    case 503: return absl::StatusCode::kUnavailable;
    default: return http_status >= 500 ? absl::StatusCode::kInternal : absl::StatusCode::kInvalidArgument;
  }
}

struct ProblemKind {
  std::string_view slug;
  std::string_view title;
};

ProblemKind KindFor(int http_status) {
  switch (http_status) {
    case 400: return {"malformed-request", "Malformed request"};
    case 401: return {"unauthenticated", "Authentication required"};
    case 403: return {"forbidden", "Not permitted"};
    case 404: return {"not-found", "Not found"};
    case 405: return {"method-not-allowed", "Method not allowed"};
    case 409: return {"conflict", "Conflict"};
    case 413: return {"payload-too-large", "Payload too large"};
    case 415: return {"unsupported-media-type", "Unsupported media type"};
    case 422: return {"validation-failed", "Validation failed"};
    case 429: return {"too-many-requests", "Too many requests"};
    case 431: return {"headers-too-large", "Request header fields too large"};
    case 503: return {"unavailable", "Service unavailable"};
    case 504: return {"timeout", "Timed out"};
    default: return {"internal", "Internal server error"};
  }
}

std::optional<int> PayloadInt(const absl::Status& s, std::string_view key) {
  auto p = s.GetPayload(Sv(key));
  if (!p) return std::nullopt;
  std::string text(*p);
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

}  // namespace

absl::Status HttpError(int http_status, std::string_view detail) {
  absl::Status s(CodeForHttp(http_status), Sv(detail));
  s.SetPayload(Sv(kHttpStatusPayload), absl::Cord(StrCat(http_status)));
  return s;
}

absl::Status BadRequest(std::string_view detail) { return HttpError(400, detail); }

int HttpStatusFor(const absl::Status& status) {
  if (auto explicit_status = PayloadInt(status, kHttpStatusPayload)) return *explicit_status;
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 422;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

Response ProblemResponse(const absl::Status& status, std::string_view instance,
                         std::string_view request_id) {
  int code = HttpStatusFor(status);
  ProblemKind kind = KindFor(code);
  nlohmann::json body = nlohmann::json::object();
  if (auto fields = status.GetPayload(Sv(kProblemFieldsPayload))) {
    body = nlohmann::json::parse(std::string(*fields), nullptr, false);
    body = body.is_object() ? RedactJson(body) : nlohmann::json::object();
  }
  body["type"] = StrCat("/problems/", kind.slug);
  body["title"] = kind.title;
  body["status"] = code;
  if (code >= 500 && code != 503) {
    // Internal details stay in the log, joined to the answer by the request id.
    log::Error("internal error", {{"error", std::string(status.message())}});
    body["detail"] = "An internal error occurred; quote the request id to support.";
  } else {
    body["detail"] = RedactString(Sv(status.message()));
  }
  body["instance"] = std::string(instance);
  body["request_id"] = std::string(request_id);
  Response r = Response::Json(code, body);
  r.headers.Set("Content-Type", "application/problem+json");
  if (auto retry = PayloadInt(status, kRetryAfterPayload)) r.headers.Add("Retry-After", StrCat(*retry));
  if (code == 401) r.headers.Add("WWW-Authenticate", "Bearer realm=\"trust-fabric\"");
  return r;
}

}  // namespace tf::http
