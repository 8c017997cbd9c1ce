// The one error mapper: canonical codes and explicit HTTP statuses to RFC 9457 problem+json.
#include "http/problem.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "unit/http/response_json.h"
#include "support/sample_secrets.h"

namespace tf::http {
namespace {

const std::string kSessionToken = testing::kSampleSessionToken;

TEST(ProblemStatusTest, EveryCanonicalCodeMapsToAStatus) {
  const std::vector<std::pair<absl::StatusCode, int>> cases = {
      {absl::StatusCode::kOk, 200},
      {absl::StatusCode::kCancelled, 500},
      {absl::StatusCode::kUnknown, 500},
      {absl::StatusCode::kInvalidArgument, 422},
      {absl::StatusCode::kDeadlineExceeded, 504},
      {absl::StatusCode::kNotFound, 404},
      {absl::StatusCode::kAlreadyExists, 409},
      {absl::StatusCode::kPermissionDenied, 403},
      {absl::StatusCode::kResourceExhausted, 429},
      {absl::StatusCode::kFailedPrecondition, 409},
      {absl::StatusCode::kAborted, 409},
      {absl::StatusCode::kOutOfRange, 422},
      {absl::StatusCode::kUnimplemented, 500},
      {absl::StatusCode::kInternal, 500},
      {absl::StatusCode::kUnavailable, 503},
      {absl::StatusCode::kDataLoss, 500},
      {absl::StatusCode::kUnauthenticated, 401},
  };
  for (const auto& [code, http] : cases) {
    EXPECT_EQ(HttpStatusFor(absl::Status(code, "x")), http) << absl::StatusCodeToString(code);
  }
}

TEST(ProblemStatusTest, HttpErrorCarriesItsExactStatusAndAMatchingCode) {
  const std::vector<std::pair<int, absl::StatusCode>> cases = {
      {400, absl::StatusCode::kInvalidArgument}, {401, absl::StatusCode::kUnauthenticated},
      {403, absl::StatusCode::kPermissionDenied}, {404, absl::StatusCode::kNotFound},
      {405, absl::StatusCode::kInvalidArgument}, {409, absl::StatusCode::kFailedPrecondition},
      {413, absl::StatusCode::kInvalidArgument}, {415, absl::StatusCode::kInvalidArgument},
      {422, absl::StatusCode::kInvalidArgument}, {429, absl::StatusCode::kResourceExhausted},
      {431, absl::StatusCode::kInvalidArgument}, {500, absl::StatusCode::kInternal},
      {503, absl::StatusCode::kUnavailable},     {504, absl::StatusCode::kInternal},
  };
  for (const auto& [http, code] : cases) {
    absl::Status s = HttpError(http, "detail");
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.code(), code) << http;
    EXPECT_EQ(s.message(), "detail");
    EXPECT_EQ(HttpStatusFor(s), http);
  }
}

TEST(ProblemStatusTest, BadRequestIs400) {
  absl::Status s = BadRequest("nope");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpStatusFor(s), 400);
  EXPECT_EQ(HttpStatusFor(absl::InvalidArgumentError("nope")), 422) << "without the payload";
}

TEST(ProblemStatusTest, ExplicitStatusSurvivesRetryAfterAndFields) {
  absl::Status s = WithRetryAfter(HttpError(503, "down"), 5);
  s = WithProblemFields(s, {{"x", 1}});
  EXPECT_EQ(HttpStatusFor(s), 503);
}

TEST(ProblemResponseTest, HasEveryRfc9457Member) {
  Response r = ProblemResponse(absl::NotFoundError("no user 42"), "/api/users/42", "req-1");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.headers.Count("Content-Type"), 1u);
  nlohmann::json body = BodyOf(r);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body["type"], "/problems/not-found");
  EXPECT_EQ(body["title"], "Not found");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["detail"], "no user 42");
  EXPECT_EQ(body["instance"], "/api/users/42");
  EXPECT_EQ(body["request_id"], "req-1");
  EXPECT_EQ(body.size(), 6u) << r.body;
}

TEST(ProblemResponseTest, TypeAndTitlePerStatus) {
  const std::vector<std::tuple<absl::Status, int, std::string, std::string>> cases = {
      {BadRequest("x"), 400, "/problems/malformed-request", "Malformed request"},
      {absl::UnauthenticatedError("x"), 401, "/problems/unauthenticated", "Authentication required"},
      {absl::PermissionDeniedError("x"), 403, "/problems/forbidden", "Not permitted"},
      {absl::NotFoundError("x"), 404, "/problems/not-found", "Not found"},
      {HttpError(405, "x"), 405, "/problems/method-not-allowed", "Method not allowed"},
      {absl::AlreadyExistsError("x"), 409, "/problems/conflict", "Conflict"},
      {absl::FailedPreconditionError("x"), 409, "/problems/conflict", "Conflict"},
      {absl::AbortedError("x"), 409, "/problems/conflict", "Conflict"},
      {HttpError(413, "x"), 413, "/problems/payload-too-large", "Payload too large"},
      {HttpError(415, "x"), 415, "/problems/unsupported-media-type", "Unsupported media type"},
      {absl::InvalidArgumentError("x"), 422, "/problems/validation-failed", "Validation failed"},
      {absl::ResourceExhaustedError("x"), 429, "/problems/too-many-requests", "Too many requests"},
      {HttpError(431, "x"), 431, "/problems/headers-too-large", "Request header fields too large"},
      {absl::InternalError("x"), 500, "/problems/internal", "Internal server error"},
      {absl::UnavailableError("x"), 503, "/problems/unavailable", "Service unavailable"},
      {absl::DeadlineExceededError("x"), 504, "/problems/timeout", "Timed out"},
  };
  for (const auto& [status, code, type, title] : cases) {
    Response r = ProblemResponse(status, "/p", "id");
    nlohmann::json body = BodyOf(r);
    EXPECT_EQ(r.status, code) << status;
    EXPECT_EQ(body["status"], code) << status;
    EXPECT_EQ(body["type"], type) << status;
    EXPECT_EQ(body["title"], title) << status;
  }
}

TEST(ProblemResponseTest, RetryAfterHeader) {
  Response r = ProblemResponse(WithRetryAfter(absl::ResourceExhaustedError("slow down"), 30), "/x", "r");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.Get("Retry-After"), "30");
  Response u = ProblemResponse(WithRetryAfter(absl::UnavailableError("db down"), 5), "/x", "r");
  EXPECT_EQ(u.status, 503);
  EXPECT_EQ(u.headers.Get("Retry-After"), "5");
  EXPECT_EQ(BodyOf(u)["detail"], "db down") << "503 details are shown";
  Response none = ProblemResponse(absl::ResourceExhaustedError("slow down"), "/x", "r");
  EXPECT_EQ(none.headers.Get("Retry-After"), std::nullopt);
}

TEST(ProblemResponseTest, FieldErrorIs422WithErrorsArray) {
  Response r = ProblemResponse(FieldError("email", "must be an email address"), "/api/users", "r");
  EXPECT_EQ(r.status, 422);
  nlohmann::json body = BodyOf(r);
  ASSERT_TRUE(body["errors"].is_array()) << r.body;
  ASSERT_EQ(body["errors"].size(), 1u);
  EXPECT_EQ(body["errors"][0]["field"], "email");
  EXPECT_EQ(body["errors"][0]["message"], "must be an email address");
  EXPECT_EQ(body["detail"], "email: must be an email address");
  EXPECT_EQ(body["type"], "/problems/validation-failed");
}

TEST(ProblemResponseTest, ExtensionFieldsCannotOverrideStandardMembers) {
  absl::Status s = WithProblemFields(absl::NotFoundError("gone"),
                                     {{"status", 200}, {"type", "evil"}, {"title", "t"}, {"instance", "i"},
                                      {"request_id", "forged"}, {"detail", "d"}, {"hint", "check the id"}});
  nlohmann::json body = BodyOf(ProblemResponse(s, "/real", "rid"));
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["type"], "/problems/not-found");
  EXPECT_EQ(body["title"], "Not found");
  EXPECT_EQ(body["instance"], "/real");
  EXPECT_EQ(body["request_id"], "rid");
  EXPECT_EQ(body["detail"], "gone");
  EXPECT_EQ(body["hint"], "check the id");
}

TEST(ProblemResponseTest, InternalErrorsHideTheirMessage) {
  for (absl::StatusCode code : {absl::StatusCode::kInternal, absl::StatusCode::kUnknown,
                                absl::StatusCode::kDataLoss, absl::StatusCode::kUnimplemented,
                                absl::StatusCode::kCancelled, absl::StatusCode::kDeadlineExceeded}) {
    Response r = ProblemResponse(absl::Status(code, "sqlite: disk I/O error at /var/lib/tf/db"), "/x", "rid-9");
    EXPECT_GE(r.status, 500);
    EXPECT_EQ(r.body.find("sqlite"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("/var/lib"), std::string::npos) << r.body;
    nlohmann::json body = BodyOf(r);
    EXPECT_EQ(body["detail"], "An internal error occurred; quote the request id to support.");
    EXPECT_EQ(body["request_id"], "rid-9");
  }
  // An explicit 500 hides too.
  Response r = ProblemResponse(HttpError(500, "stack trace here"), "/x", "r");
  EXPECT_EQ(r.body.find("stack trace"), std::string::npos);
}

TEST(ProblemResponseTest, OnlyUnauthenticatedAddsWwwAuthenticate) {
  Response r = ProblemResponse(absl::UnauthenticatedError("token expired"), "/x", "r");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate"), "Bearer realm=\"trust-fabric\"");
  for (const absl::Status& s : {absl::PermissionDeniedError("x"), absl::NotFoundError("x"), BadRequest("x")}) {
    EXPECT_EQ(ProblemResponse(s, "/x", "r").headers.Get("WWW-Authenticate"), std::nullopt) << s;
  }
  EXPECT_EQ(ProblemResponse(HttpError(401, "x"), "/x", "r").headers.Get("WWW-Authenticate"),
            "Bearer realm=\"trust-fabric\"");
}

TEST(ProblemResponseTest, SecretsInTheDetailAreRedacted) {
  Response r = ProblemResponse(absl::UnauthenticatedError("unknown session token " + kSessionToken), "/x", "r");
  EXPECT_EQ(r.body.find(kSessionToken), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("tfs_Qm9v"), std::string::npos) << r.body;
  EXPECT_NE(BodyOf(r)["detail"].get<std::string>().find("[REDACTED]"), std::string::npos) << r.body;

  Response pw = ProblemResponse(BadRequest("cannot parse postgresql://app:s3cretpw@db/trust"), "/x", "r");
  EXPECT_EQ(pw.body.find("s3cretpw"), std::string::npos) << pw.body;
  EXPECT_NE(pw.body.find("postgresql://app:"), std::string::npos) << "the rest is kept: " << pw.body;
}

TEST(ProblemResponseTest, InvalidUtf8InTheDetailStillGivesValidJson) {
  Response r = ProblemResponse(BadRequest("unknown field '\xC3'"), "/\xFF", "r");
  EXPECT_TRUE(BodyOf(r).is_object()) << r.body;
}

TEST(ProblemResponseTest, UnlistedStatusKeepsItsCode) {
  Response r = ProblemResponse(HttpError(418, "teapot"), "/x", "r");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(BodyOf(r)["status"], 418);
}

// Field error messages are redacted like the detail: a secret never reaches a response.
TEST(ProblemResponseTest, SecretsInFieldErrorsAreRedacted) {
  Response r = ProblemResponse(FieldError("token", kSessionToken + " is revoked"), "/x", "r");
  EXPECT_EQ(BodyOf(r)["detail"].get<std::string>().find(kSessionToken), std::string::npos);
  EXPECT_EQ(r.body.find(kSessionToken), std::string::npos) << r.body;
}

}  // namespace
}  // namespace tf::http
