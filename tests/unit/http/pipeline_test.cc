// The request pipeline with the real middleware chain (metrics, access log, limits,
// authentication, tenant, permission), driven through Pipeline::Dispatch without sockets.
#include "http/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/principal.h"
#include "core/rng.h"
#include "http/json_body.h"
#include "http/middlewares.h"
#include "http/problem.h"
#include "http/router.h"
#include "unit/http/response_json.h"

namespace tf::http {
namespace {

//! Bearer tokens from a table; no header -> no credentials; unknown token -> Unauthenticated;
//! "Bearer csrf" -> PermissionDenied (as a cookie state change without a CSRF token would be).
class FakeAuthenticator final : public Authenticator {
 public:
  absl::StatusOr<std::optional<Principal>> Authenticate(const Request& request) override {
    ++calls;
    auto auth = request.headers.Get("Authorization");
    if (!auth) return std::optional<Principal>();
    if (*auth == "Bearer csrf") return absl::PermissionDeniedError("missing CSRF token");
    auto it = tokens.find(std::string(*auth));
    if (it == tokens.end()) return absl::UnauthenticatedError("invalid or expired credentials");
    return std::optional<Principal>(it->second);
  }

  std::map<std::string, Principal> tokens;
  std::atomic<int> calls{0};
};

Principal MakePrincipal(std::string user, std::string tenant, std::vector<Permission> perms,
                        bool must_change_password = false) {
  Principal p;
  p.user_id = std::move(user);
  p.tenant_id = std::move(tenant);
  p.credential_id = "sess-" + p.user_id;
  for (Permission perm : perms) p.permissions.set(static_cast<size_t>(perm));
  p.must_change_password = must_change_password;
  return p;
}

Route MakeRoute(std::string method, std::string pattern, Access access, Handler handler) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.access = access;
  r.handler = std::move(handler);
  return r;
}

Request MakeRequest(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers = {},
                    std::string body = "") {
  Request r;
  r.method = std::move(method);
  r.target = target;
  EXPECT_TRUE(ParseTarget(target, &r.path, &r.query)) << target;
  for (auto& [k, v] : headers) r.headers.Add(k, v);
  r.body = std::move(body);
  r.remote_addr = "192.0.2.7";
  return r;
}

bool IsHex32(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : pipeline_(router_, rng_) {
    auth_.tokens["Bearer reader"] = MakePrincipal("u-reader", "tenant-a", {Permission::kUsersRead});
    auth_.tokens["Bearer writer"] =
        MakePrincipal("u-writer", "tenant-b", {Permission::kUsersRead, Permission::kUsersWrite});
    auth_.tokens["Bearer nobody"] = MakePrincipal("u-nobody", "tenant-a", {});
    auth_.tokens["Bearer pending"] =
        MakePrincipal("u-pending", "tenant-a", {Permission::kUsersRead, Permission::kUsersWrite}, true);

    router_.Add(MakeRoute("GET", "/health", Access::Public(), [this](RequestContext& ctx) -> absl::StatusOr<Response> {
      ++handler_calls_;
      return Response::Json(200, {{"status", "ok"}, {"params", ctx.request.query.size()}});
    }));
    router_.Add(MakeRoute("POST", "/public/echo", Access::Public(), [](RequestContext& ctx) -> absl::StatusOr<Response> {
      return Response::Json(200, {{"bytes", ctx.request.body.size()}});
    }));
    router_.Add(MakeRoute("GET", "/api/me", Access::Authenticated(), [](RequestContext& ctx) -> absl::StatusOr<Response> {
      return Response::Json(200, {{"user", ctx.principal->user_id}, {"tenant", ctx.tenant_id}});
    }));
    router_.Add(MakeRoute("GET", "/api/items/{id}", Access::Requires(Permission::kUsersRead),
                          [this](RequestContext& ctx) -> absl::StatusOr<Response> {
                            ++handler_calls_;
                            const std::string& id = ctx.PathParam("id");
                            if (id == "missing") return absl::NotFoundError("item missing does not exist");
                            if (id == "boom") return absl::InternalError("sqlite: database disk image is malformed");
                            if (id == "invalid") return FieldError("name", "must not be empty");
                            if (id == "busy") return WithRetryAfter(absl::UnavailableError("store is failing over"), 7);
                            if (id == "conflict") return absl::FailedPreconditionError("item is archived");
                            return Response::Json(200, {{"id", id}, {"tenant", ctx.tenant_id}});
                          }));
    router_.Add(MakeRoute("DELETE", "/api/items/{id}", Access::Requires(Permission::kUsersWrite),
                          [](RequestContext&) -> absl::StatusOr<Response> { return Response::NoContent(); }));
    router_.Add(MakeRoute("POST", "/api/items", Access::Requires(Permission::kUsersWrite),
                          [](RequestContext& ctx) -> absl::StatusOr<Response> {
                            auto reader = JsonReader::Parse(ctx.request.body);
                            if (!reader.ok()) return reader.status();
                            auto name = reader->RequiredString("name", 16);
                            if (!name.ok()) return name.status();
                            if (absl::Status s = reader->Finish(); !s.ok()) return s;
                            return Response::Json(201, {{"name", *name}, {"tenant_id", ctx.tenant_id}});
                          }));
    router_.Add(MakeRoute("POST", "/api/auth/password", Access::Authenticated().AllowPendingSetup(),
                          [](RequestContext&) -> absl::StatusOr<Response> { return Response::NoContent(); }));

    pipeline_.Use(std::make_unique<MetricsMiddleware>(registry_));
    pipeline_.Use(std::make_unique<AccessLogMiddleware>(false));
    pipeline_.Use(std::make_unique<LimitsMiddleware>());
    pipeline_.Use(std::make_unique<AuthenticationMiddleware>(auth_));
    pipeline_.Use(std::make_unique<TenantMiddleware>());
    pipeline_.Use(std::make_unique<PermissionMiddleware>());
  }

  void SetUp() override {
    log::InitForTest([this](std::string_view line) { log_lines_.emplace_back(line); }, LogLevel::kDebug);
  }
  void TearDown() override { ASSERT_TRUE(log::Init(LogOptions{}).ok()); }

  Response Dispatch(Request request) { return pipeline_.Dispatch(std::move(request)); }

  Response Get(const std::string& target, const std::string& token = "") {
    std::vector<std::pair<std::string, std::string>> h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return Dispatch(MakeRequest("GET", target, h));
  }

  Response Post(const std::string& target, const std::string& body, const std::string& content_type,
                const std::string& token = "") {
    std::vector<std::pair<std::string, std::string>> h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    if (!content_type.empty()) h.emplace_back("Content-Type", content_type);
    return Dispatch(MakeRequest("POST", target, h, body));
  }

  std::string Metrics() const { return registry_.Render(); }

  std::vector<std::string> LogLinesWith(std::string_view needle) const {
    std::vector<std::string> out;
    for (const auto& l : log_lines_) {
      if (l.find(needle) != std::string::npos) out.push_back(l);
    }
    return out;
  }

  Router router_;
  SeededRng rng_{42};
  metrics::Registry registry_;
  FakeAuthenticator auth_;
  Pipeline pipeline_;
  int handler_calls_ = 0;
  std::vector<std::string> log_lines_;
};

// ---------------------------------------------------------------------------------------------
// Request id and trace context

TEST_F(PipelineTest, HonoursAnAcceptableRequestId) {
  for (std::string id : std::vector<std::string>{"abc-123", "A.b_c:d-e", std::string(128, 'x'), "0"}) {
    Response r = Dispatch(MakeRequest("GET", "/health", {{"X-Request-Id", id}}));
    EXPECT_EQ(r.headers.Get("X-Request-Id"), id);
  }
  // Header names are case-insensitive.
  Response r = Dispatch(MakeRequest("GET", "/health", {{"x-request-id", "lower-case-name"}}));
  EXPECT_EQ(r.headers.Get("X-Request-Id"), "lower-case-name");
}

TEST_F(PipelineTest, ReplacesAnUnacceptableRequestId) {
  for (std::string id : {std::string(129, 'x'), std::string(""), std::string("has space"), std::string("semi;colon"),
                         std::string("<script>"), std::string("caf\xC3\xA9"), std::string("a\r\nX-Evil: 1"),
                         std::string("tab\there"), std::string("slash/id")}) {
    Response r = Dispatch(MakeRequest("GET", "/no/such", {{"X-Request-Id", id}}));
    auto got = r.headers.Get("X-Request-Id");
    ASSERT_TRUE(got.has_value());
    EXPECT_NE(*got, id);
    EXPECT_TRUE(IsHex32(*got)) << *got;
    EXPECT_EQ(BodyOf(r)["request_id"], std::string(*got)) << "the problem body quotes the same id";
    EXPECT_EQ(r.headers.Count("X-Request-Id"), 1u);
  }
}

TEST_F(PipelineTest, GeneratesADistinctRequestIdWhenAbsent) {
  Response a = Get("/health");
  Response b = Get("/health");
  ASSERT_TRUE(a.headers.Get("X-Request-Id"));
  EXPECT_TRUE(IsHex32(*a.headers.Get("X-Request-Id")));
  EXPECT_NE(a.headers.Get("X-Request-Id"), b.headers.Get("X-Request-Id"));
}

TEST(PipelineRequestIdTest, AcceptableRequestIds) {
  EXPECT_TRUE(IsAcceptableRequestId("a"));
  EXPECT_TRUE(IsAcceptableRequestId(std::string(128, 'Z')));
  EXPECT_TRUE(IsAcceptableRequestId("0190a5e0-1234-7000-8000-00000000abcd"));
  EXPECT_FALSE(IsAcceptableRequestId(""));
  EXPECT_FALSE(IsAcceptableRequestId(std::string(129, 'Z')));
  for (char c : std::string(" \t\"'<>;,/\\=+%&?#@!$*()[]{}|`~^")) {
    EXPECT_FALSE(IsAcceptableRequestId(std::string("ab") + c + "cd")) << c;
  }
  EXPECT_FALSE(IsAcceptableRequestId(std::string_view("a\0b", 3)));
  EXPECT_FALSE(IsAcceptableRequestId("\xC3\xA9"));
}

TEST_F(PipelineTest, ContinuesAValidTraceparent) {
  const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  Response r = Dispatch(MakeRequest("GET", "/health", {{"traceparent", incoming}}));
  auto tp = r.headers.Get("traceparent");
  ASSERT_TRUE(tp.has_value());
  ASSERT_EQ(tp->size(), 55u) << *tp;
  EXPECT_EQ(tp->substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  EXPECT_NE(tp->substr(36, 16), "00f067aa0ba902b7") << "our own span id";
  EXPECT_EQ(tp->substr(52), "-01") << "sampled flag kept";
  EXPECT_TRUE(ParseTraceparent(*tp).has_value());
}

TEST_F(PipelineTest, StartsANewTraceForAnInvalidOrMissingTraceparent) {
  for (std::string header : std::vector<std::string>{"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                             "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "junk"}) {
    Response r = Dispatch(MakeRequest("GET", "/health", {{"TraceParent", header}}));
    auto tp = r.headers.Get("traceparent");
    ASSERT_TRUE(tp.has_value());
    auto parsed = ParseTraceparent(*tp);
    ASSERT_TRUE(parsed.has_value()) << *tp;
    EXPECT_NE(parsed->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_NE(parsed->trace_id, "00000000000000000000000000000000");
    EXPECT_EQ(tp->substr(52), "-00");
  }
  Response none = Get("/health");
  ASSERT_TRUE(none.headers.Get("traceparent"));
  EXPECT_TRUE(ParseTraceparent(*none.headers.Get("traceparent")).has_value());
}

TEST_F(PipelineTest, LogLinesCarryTheRequestAndTraceIds) {
  Response r = Dispatch(MakeRequest("GET", "/api/items/1",
                                              {{"X-Request-Id", "req-log-1"},
                                               {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                                               {"Authorization", "Bearer nobody"}}));
  EXPECT_EQ(r.status, 403);
  auto lines = LogLinesWith("authorization denied");
  ASSERT_EQ(lines.size(), 1u);
  auto line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line["request_id"], "req-log-1");
  EXPECT_EQ(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(line["tenant"], "tenant-a");
  EXPECT_EQ(line["actor"], "user:u-nobody");
  EXPECT_EQ(line["permission"], "users.read");
}

TEST_F(PipelineTest, NoStoreOnEveryAnswer) {
  // The security headers are the server's to write (ServerTest.SecurityHeadersOnEveryAnswer).
  for (const Response& r : {Get("/health"), Get("/nope"), Get("/api/items/1")}) {
    EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store") << r.status;
  }
}

// ---------------------------------------------------------------------------------------------
// Routing answers

TEST_F(PipelineTest, UnknownPathIs404ProblemJson) {
  Response r = Get("/api/nothing/here?x=1");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.headers.Get("Allow"), std::nullopt);
  nlohmann::json body = BodyOf(r);
  EXPECT_EQ(body["type"], "/problems/not-found");
  EXPECT_EQ(body["instance"], "/api/nothing/here") << "the path, without the query";
}

TEST_F(PipelineTest, WrongMethodIs405WithAllow) {
  Response r = Dispatch(MakeRequest("PUT", "/api/items/7"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow"), "GET, DELETE");
  EXPECT_EQ(BodyOf(r)["type"], "/problems/method-not-allowed");
  EXPECT_EQ(auth_.calls, 0) << "no route, no authentication";

  Response head = Dispatch(MakeRequest("HEAD", "/health"));
  EXPECT_EQ(head.status, 405);
  EXPECT_EQ(head.headers.Get("Allow"), "GET");
}

TEST_F(PipelineTest, UnmatchedPathNeverCallsTheAuthenticator) {
  Response r = Get("/nope", "reader");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(auth_.calls, 0);
}

TEST_F(PipelineTest, PathParametersReachTheHandler) {
  Response r = Get("/api/items/J%C3%B6rg", "reader");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(BodyOf(r)["id"], "J\xC3\xB6rg");
}

// ---------------------------------------------------------------------------------------------
// Authentication, tenant and permission

TEST_F(PipelineTest, PublicRoutesNeverCallTheAuthenticator) {
  Response r = Dispatch(MakeRequest("GET", "/health", {{"Authorization", "Bearer not-a-token"}}));
  EXPECT_EQ(r.status, 200);
  Response p = Post("/public/echo", "{}", "application/json", "garbage");
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(auth_.calls, 0);
}

TEST_F(PipelineTest, ProtectedRouteWithoutCredentialsIs401) {
  Response r = Get("/api/items/1");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate"), "Bearer realm=\"trust-fabric\"");
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_EQ(BodyOf(r)["detail"], "authentication required");
  EXPECT_EQ(auth_.calls, 1);
  EXPECT_EQ(handler_calls_, 0);

  Response me = Get("/api/me");
  EXPECT_EQ(me.status, 401) << "Authenticated() routes too";
}

TEST_F(PipelineTest, BadCredentialsAre401AndLogged) {
  Response r = Get("/api/items/1", "wrong");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(BodyOf(r)["detail"], "invalid or expired credentials");
  EXPECT_EQ(handler_calls_, 0);
  auto lines = LogLinesWith("authentication failed");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("/api/items/{id}"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("192.0.2.7"), std::string::npos) << lines[0];
}

TEST_F(PipelineTest, AuthenticatorRefusalOtherThan401IsKept) {
  Response r = Get("/api/items/1", "csrf");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate"), std::nullopt);
}

TEST_F(PipelineTest, MissingPermissionIs403) {
  Response r = Dispatch(MakeRequest("DELETE", "/api/items/1", {{"Authorization", "Bearer reader"}}));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(BodyOf(r)["type"], "/problems/forbidden");
  EXPECT_EQ(BodyOf(r)["detail"], "this action needs the permission users.write");
  EXPECT_EQ(LogLinesWith("authorization denied").size(), 1u);

  Response ok = Dispatch(MakeRequest("DELETE", "/api/items/1", {{"Authorization", "Bearer writer"}}));
  EXPECT_EQ(ok.status, 204);
}

TEST_F(PipelineTest, AuthenticatedRouteNeedsNoPermission) {
  Response r = Get("/api/me", "nobody");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(BodyOf(r)["user"], "u-nobody");
}

TEST_F(PipelineTest, TenantComesFromThePrincipal) {
  EXPECT_EQ(BodyOf(Get("/api/me", "reader"))["tenant"], "tenant-a");
  EXPECT_EQ(BodyOf(Get("/api/me", "writer"))["tenant"], "tenant-b");
  Response created = Post("/api/items", R"({"name":"x"})", "application/json", "writer");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(BodyOf(created)["tenant_id"], "tenant-b");
  // A tenant in the body is not a field any route reads: rejected, never honoured.
  Response forged = Post("/api/items", R"({"name":"x","tenant_id":"tenant-a"})", "application/json", "writer");
  EXPECT_EQ(forged.status, 400);
  EXPECT_EQ(BodyOf(forged)["detail"], "unknown field 'tenant_id'");
}

TEST_F(PipelineTest, PendingPasswordChangeGatesEverythingButAllowedRoutes) {
  Response items = Get("/api/items/1", "pending");
  EXPECT_EQ(items.status, 403);
  EXPECT_NE(BodyOf(items)["detail"].get<std::string>().find("password must be changed"), std::string::npos);
  EXPECT_EQ(Get("/api/me", "pending").status, 403) << "Authenticated() routes too";
  Response change = Post("/api/auth/password", "", "", "pending");
  EXPECT_EQ(change.status, 204) << change.body;
  EXPECT_EQ(handler_calls_, 0);
  // The same routes for a principal without the flag.
  EXPECT_EQ(Post("/api/auth/password", "", "", "reader").status, 204);
}

// ---------------------------------------------------------------------------------------------
// Limits

TEST_F(PipelineTest, NonJsonBodyIs415) {
  Response text = Post("/api/items", "name=x", "text/plain", "writer");
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(BodyOf(text)["type"], "/problems/unsupported-media-type");
  Response none = Post("/api/items", R"({"name":"x"})", "", "writer");
  EXPECT_EQ(none.status, 415) << "no Content-Type";
  Response form = Post("/api/items", "a=b", "application/x-www-form-urlencoded", "writer");
  EXPECT_EQ(form.status, 415);
  Response public_route = Post("/public/echo", "hello", "text/plain");
  EXPECT_EQ(public_route.status, 415) << "public routes too";
  Response del = Dispatch(MakeRequest("DELETE", "/api/items/1", {{"Authorization", "Bearer writer"}}, "x"));
  EXPECT_EQ(del.status, 415);
}

TEST_F(PipelineTest, JsonBodiesPass) {
  for (const char* type : {"application/json", "application/json; charset=utf-8", "Application/JSON"}) {
    Response r = Post("/api/items", R"({"name":"x"})", type, "writer");
    EXPECT_EQ(r.status, 201) << type << ": " << r.body;
  }
  Response empty = Post("/public/echo", "", "");
  EXPECT_EQ(empty.status, 200) << "an empty body needs no Content-Type";
  Response get_with_body = Dispatch(MakeRequest("GET", "/health", {}, "ignored"));
  EXPECT_EQ(get_with_body.status, 200) << "only state changes are checked";
}

TEST_F(PipelineTest, MalformedAndInvalidBodies) {
  Response malformed = Post("/api/items", "{", "application/json", "writer");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(BodyOf(malformed)["type"], "/problems/malformed-request");
  Response too_long = Post("/api/items", R"({"name":"12345678901234567"})", "application/json", "writer");
  EXPECT_EQ(too_long.status, 422);
  EXPECT_EQ(BodyOf(too_long)["errors"][0]["field"], "name");
}

std::string ManyParams(size_t n) {
  std::string target = "/health?";
  for (size_t i = 0; i < n; ++i) target += "p" + std::to_string(i) + "=v&";
  return target;
}

TEST_F(PipelineTest, TooManyQueryParametersIs400) {
  Response ok = Get(ManyParams(LimitsMiddleware::kMaxQueryParams));
  EXPECT_EQ(ok.status, 200) << ok.body;
  Response r = Get(ManyParams(LimitsMiddleware::kMaxQueryParams + 1));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(BodyOf(r)["type"], "/problems/malformed-request");
  EXPECT_NE(BodyOf(r)["detail"].get<std::string>().find("too many query parameters"), std::string::npos);
  // Repeats of one name count too.
  std::string repeated = "/health?";
  for (int i = 0; i < 65; ++i) repeated += "a=1&";
  EXPECT_EQ(Get(repeated).status, 400);
}

TEST_F(PipelineTest, TooLongQueryParameterIs400) {
  EXPECT_EQ(Get("/health?k=" + std::string(LimitsMiddleware::kMaxQueryValueBytes - 1, 'v')).status, 200);
  Response r = Get("/health?k=" + std::string(LimitsMiddleware::kMaxQueryValueBytes, 'v'));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(BodyOf(r)["detail"], "query parameter 'k' is too long");
}

TEST_F(PipelineTest, LimitsApplyBeforeAuthentication) {
  std::string target = "/api/items/1?";
  for (int i = 0; i < 65; ++i) target += "p" + std::to_string(i) + "=v&";
  Response r = Get(target, "reader");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(auth_.calls, 0);
  EXPECT_EQ(handler_calls_, 0);
}

// ---------------------------------------------------------------------------------------------
// Handler errors

TEST_F(PipelineTest, HandlerErrorsBecomeProblemJson) {
  Response missing = Get("/api/items/missing", "reader");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_EQ(BodyOf(missing)["detail"], "item missing does not exist");
  EXPECT_EQ(BodyOf(missing)["instance"], "/api/items/missing");

  Response boom = Get("/api/items/boom", "reader");
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.body.find("sqlite"), std::string::npos) << boom.body;
  EXPECT_EQ(BodyOf(boom)["request_id"], std::string(*boom.headers.Get("X-Request-Id")));

  Response invalid = Get("/api/items/invalid", "reader");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(BodyOf(invalid)["errors"][0]["field"], "name");

  Response busy = Get("/api/items/busy", "reader");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.headers.Get("Retry-After"), "7");

  Response conflict = Get("/api/items/conflict", "reader");
  EXPECT_EQ(conflict.status, 409);
}

// ---------------------------------------------------------------------------------------------
// Metrics

TEST_F(PipelineTest, MetricsUseRoutePatternsAndUnmatched) {
  Get("/api/items/1", "reader");
  Get("/api/items/2", "reader");
  Get("/api/items/3");
  Get("/api/items/missing", "reader");
  Get("/no/such/path/12345");
  Dispatch(MakeRequest("PUT", "/api/items/7"));
  Dispatch(MakeRequest("BREW", "/api/items/7"));
  std::string text = Metrics();
  for (const char* line : {
           "http_requests_total{method=\"GET\",route=\"/api/items/{id}\",status=\"200\"} 2\n",
           "http_requests_total{method=\"GET\",route=\"/api/items/{id}\",status=\"401\"} 1\n",
           "http_requests_total{method=\"GET\",route=\"/api/items/{id}\",status=\"404\"} 1\n",
           "http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n",
           "http_requests_total{method=\"PUT\",route=\"unmatched\",status=\"405\"} 1\n",
           "http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"405\"} 1\n",
           "http_request_duration_seconds_count{method=\"GET\",route=\"/api/items/{id}\"} 4\n",
           "http_requests_in_flight 0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "\n" << text;
  }
  EXPECT_EQ(text.find("12345"), std::string::npos) << "raw paths never become labels";
  EXPECT_EQ(text.find("BREW"), std::string::npos) << "nor raw methods";
  EXPECT_EQ(text.find("/api/items/1"), std::string::npos);
}

TEST_F(PipelineTest, MetricsCountRequestsStoppedByEarlierMiddleware) {
  Post("/api/items", "x", "text/plain", "writer");
  std::string text = Metrics();
  EXPECT_NE(text.find("http_requests_total{method=\"POST\",route=\"/api/items\",status=\"415\"} 1\n"),
            std::string::npos)
      << text;
}

// Each MetricsMiddleware counts into its own registry, even when a new one is built at the
// address of a destroyed one (the per-thread child cache is keyed by instance id).
TEST(PipelineMetricsTest, ANewMiddlewareAtAReusedAddressCountsIntoItsOwnRegistry) {
  Router router;
  router.Add(MakeRoute("GET", "/x", Access::Public(),
                       [](RequestContext&) -> absl::StatusOr<Response> { return Response::NoContent(); }));
  RequestContext ctx;
  ctx.request = MakeRequest("GET", "/x");
  ctx.route = router.Match("GET", "/x").route;
  Next next = [](RequestContext&) -> absl::StatusOr<Response> { return Response::NoContent(); };
  const std::string sample = "http_requests_total{method=\"GET\",route=\"/x\",status=\"204\"} 1\n";

  alignas(MetricsMiddleware) unsigned char storage[sizeof(MetricsMiddleware)];
  metrics::Registry first;  // kept alive so the stale pointers stay valid: no crash, just miscounting
  auto* a = new (storage) MetricsMiddleware(first);
  ASSERT_TRUE(a->Handle(ctx, next).ok());
  a->~MetricsMiddleware();
  ASSERT_NE(first.Render().find(sample), std::string::npos);

  metrics::Registry second;
  auto* b = new (storage) MetricsMiddleware(second);  // the same address, as an allocator may give
  ASSERT_TRUE(b->Handle(ctx, next).ok());
  b->~MetricsMiddleware();
  EXPECT_NE(second.Render().find(sample), std::string::npos) << second.Render();
  EXPECT_EQ(first.Render().find("status=\"204\"} 2"), std::string::npos) << "counted into the old registry";
}

}  // namespace
}  // namespace tf::http
