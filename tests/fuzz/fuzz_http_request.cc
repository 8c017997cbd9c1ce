// libFuzzer target: raw bytes as an HTTP/1.1 request stream, through the whole request path
// without sockets. Beast's request_parser (the limits http::Server uses: 16 KiB header, 1 MiB
// body, eager) parses up to four pipelined requests; each one that parses goes through
// ParseTarget, the router's body-limit lookup and a full Pipeline::Dispatch with the real
// middleware chain (metrics, access log, limits, authentication, tenant, permission) on routes
// that exercise path parameters, pagination and JSON bodies.
//
// Oracles besides the sanitizers: every answer has a sane status, one X-Request-Id, a
// traceparent that parses, valid UTF-8 in its body, and a problem+json body (that parses and
// quotes the request id) for every error status.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/principal.h"
#include "core/rng.h"
#include "core/utf8.h"
#include "http/json_body.h"
#include "http/message.h"
#include "http/middlewares.h"
#include "http/pagination.h"
#include "http/pipeline.h"
#include "http/problem.h"
#include "http/router.h"
#include "http/trace_context.h"

namespace {

namespace bhttp = boost::beast::http;
using tf::Access;
using tf::Permission;
using tf::Principal;
using tf::http::RequestContext;
using tf::http::Response;

constexpr uint32_t kHeaderLimit = 16 * 1024;
constexpr uint64_t kBodyLimit = 1024 * 1024;

[[noreturn]] void Fail(const char* what, const Response& r) {
  std::fprintf(stderr, "oracle failed: %s (status %d)\n%.*s\n", what, r.status,
               static_cast<int>(r.body.size() > 2000 ? 2000 : r.body.size()), r.body.data());
  std::abort();
}

class FuzzAuthenticator final : public tf::http::Authenticator {
 public:
  FuzzAuthenticator() {
    tokens_["Bearer reader"] = Make("u-reader", {Permission::kUsersRead}, false);
    tokens_["Bearer writer"] = Make("u-writer", {Permission::kUsersRead, Permission::kUsersWrite}, false);
    tokens_["Bearer pending"] = Make("u-pending", {Permission::kUsersRead}, true);
  }

  absl::StatusOr<std::optional<Principal>> Authenticate(const tf::http::Request& request) override {
    auto auth = request.headers.Get("Authorization");
    if (!auth) return std::optional<Principal>();
    if (*auth == "Bearer csrf") return absl::PermissionDeniedError("missing CSRF token");
    auto it = tokens_.find(std::string(*auth));
    if (it == tokens_.end()) return absl::UnauthenticatedError("invalid or expired credentials");
    return std::optional<Principal>(it->second);
  }

 private:
  static Principal Make(std::string user, std::initializer_list<Permission> perms, bool pending) {
    Principal p;
    p.user_id = std::move(user);
    p.tenant_id = "tenant-fuzz";
    p.credential_id = "sess-" + p.user_id;
    for (Permission perm : perms) p.permissions.set(static_cast<size_t>(perm));
    p.must_change_password = pending;
    return p;
  }
  std::map<std::string, Principal> tokens_;
};

tf::http::Route MakeRoute(std::string method, std::string pattern, Access access, tf::http::Handler handler,
                          uint64_t body_limit = 0) {
  tf::http::Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.access = access;
  r.handler = std::move(handler);
  r.body_limit = body_limit;
  return r;
}

absl::StatusOr<Response> ListItems(RequestContext& ctx) {
  auto page = tf::http::ParsePageRequest(ctx.request);
  if (!page.ok()) return page.status();
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i <= page->limit && i < 3; ++i) {
    items.push_back({{"id", (page->after_id ? *page->after_id : std::string()) + std::to_string(i)}});
  }
  return Response::Json(200, tf::http::PageResponse(std::move(items), page->limit));
}

absl::StatusOr<Response> CreateItem(RequestContext& ctx) {
  auto reader = tf::http::JsonReader::Parse(ctx.request.body);
  if (!reader.ok()) return reader.status();
  auto name = reader->RequiredString("name", 64);
  if (!name.ok()) return name.status();
  auto note = reader->OptionalString("note");
  if (!note.ok()) return note.status();
  auto tags = reader->OptionalStringArray("tags", 8, 32);
  if (!tags.ok()) return tags.status();
  auto count = reader->OptionalInt("count");
  if (!count.ok()) return count.status();
  auto active = reader->OptionalBool("active");
  if (!active.ok()) return active.status();
  if (absl::Status s = reader->Finish(); !s.ok()) return s;
  if (name->empty()) return tf::FieldError("name", "must not be empty");
  return Response::Json(201, {{"name", *name}, {"tenant_id", ctx.tenant_id}, {"tags", tags->value_or(std::vector<std::string>{})}});
}

absl::StatusOr<Response> GetItem(RequestContext& ctx) {
  const std::string& id = ctx.PathParam("id");
  if (id == "missing") return absl::NotFoundError("no item " + id);
  if (id == "boom") return absl::InternalError("database exploded for " + id);
  if (id == "busy") return tf::WithRetryAfter(absl::UnavailableError("failing over"), 3);
  return Response::Json(200, {{"id", id}, {"tenant", ctx.tenant_id}});
}

struct World {
  World() : pipeline(router, rng) {
    router.Add(MakeRoute("GET", "/health", Access::Public(),
                         [](RequestContext&) -> absl::StatusOr<Response> { return Response::Json(200, {{"ok", true}}); }));
    router.Add(MakeRoute("GET", "/api/items", Access::Requires(Permission::kUsersRead), ListItems));
    router.Add(MakeRoute("POST", "/api/items", Access::Requires(Permission::kUsersWrite), CreateItem, 4096));
    router.Add(MakeRoute("GET", "/api/items/{id}", Access::Requires(Permission::kUsersRead), GetItem));
    router.Add(MakeRoute("GET", "/api/items/export", Access::Requires(Permission::kUsersRead), GetItem));
    router.Add(MakeRoute("DELETE", "/api/items/{id}", Access::Requires(Permission::kUsersWrite),
                         [](RequestContext&) -> absl::StatusOr<Response> { return Response::NoContent(); }));
    router.Add(MakeRoute("POST", "/api/auth/password", Access::Authenticated().AllowPendingSetup(),
                         [](RequestContext&) -> absl::StatusOr<Response> { return Response::NoContent(); }));
    router.Add(MakeRoute("GET", "/api/tenants/{tenant}/users/{user}", Access::Authenticated(),
                         [](RequestContext& ctx) -> absl::StatusOr<Response> {
                           return Response::Json(200, {{"tenant", ctx.PathParam("tenant")}, {"user", ctx.PathParam("user")}});
                         }));
    pipeline.Use(std::make_unique<tf::http::MetricsMiddleware>(registry));
    pipeline.Use(std::make_unique<tf::http::AccessLogMiddleware>(true));
    pipeline.Use(std::make_unique<tf::http::LimitsMiddleware>());
    pipeline.Use(std::make_unique<tf::http::AuthenticationMiddleware>(auth));
    pipeline.Use(std::make_unique<tf::http::TenantMiddleware>());
    pipeline.Use(std::make_unique<tf::http::PermissionMiddleware>());
  }

  tf::http::Router router;
  tf::SeededRng rng{1};
  tf::metrics::Registry registry;
  FuzzAuthenticator auth;
  tf::http::Pipeline pipeline;
};

World& GetWorld() {
  static World* world = new World();
  return *world;
}

void CheckResponse(const Response& r) {
  if (r.status < 100 || r.status > 599) Fail("status out of range", r);
  if (r.headers.Count("X-Request-Id") != 1) Fail("one X-Request-Id", r);
  auto request_id = r.headers.Get("X-Request-Id");
  if (!tf::http::IsAcceptableRequestId(*request_id)) Fail("acceptable X-Request-Id", r);
  auto tp = r.headers.Get("traceparent");
  if (!tp || !tf::http::ParseTraceparent(*tp)) Fail("valid traceparent", r);
  if (!tf::IsValidUtf8(r.body)) Fail("UTF-8 body", r);
  if (r.status >= 400) {
    if (r.headers.Get("Content-Type") != "application/problem+json") Fail("problem+json content type", r);
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    if (!body.is_object()) Fail("problem body is an object", r);
    if (body.value("status", 0) != r.status) Fail("problem status matches", r);
    if (body.value("request_id", std::string()) != *request_id) Fail("problem quotes the request id", r);
    if (r.status >= 500 && r.status != 503 && body.value("detail", std::string()).find("exploded") != std::string::npos) {
      Fail("internal details hidden", r);
    }
  }
  if (r.status == 405 && !r.headers.Get("Allow")) Fail("405 has Allow", r);
  if (r.status == 401 && !r.headers.Get("WWW-Authenticate")) Fail("401 has WWW-Authenticate", r);
}

//! Parses one request from `in`; returns the bytes consumed, or 0 when no complete request.
size_t ParseOne(std::string_view in, std::optional<tf::http::Request>* out) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = 0;
  while (used < in.size() && !parser.is_done()) {
    size_t n = parser.put(boost::asio::buffer(in.data() + used, in.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) {
      ec = {};
      if (n == 0) break;
      continue;
    }
    if (ec || n == 0) break;
  }
  if (ec || !parser.is_done()) return 0;
  bhttp::request<bhttp::string_body> msg = parser.release();
  tf::http::Request r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  for (const auto& field : msg) r.headers.Add(std::string(field.name_string()), std::string(field.value()));
  r.body = std::move(msg.body());
  r.remote_addr = "198.51.100.1";
  out->emplace(std::move(r));
  return used;
}

void Serve(tf::http::Request request) {
  World& w = GetWorld();
  if (!tf::http::ParseTarget(request.target, &request.path, &request.query)) {
    // http::Server answers 400 here; the problem document must still be well-formed.
    Response r = tf::http::ProblemResponse(tf::http::HttpError(400, "the request target is not a valid path"),
                                           request.path, "");
    if (!nlohmann::json::parse(r.body, nullptr, false).is_object()) Fail("400 problem body", r);
    return;
  }
  if (!tf::IsValidUtf8(request.path) || request.path.find('\0') != std::string::npos) {
    Response none;
    Fail("ParseTarget let invalid UTF-8 or NUL through", none);
  }
  // The body limit the server would apply, as app.cc computes it.
  tf::http::RouteMatch match = w.router.Match(request.method, request.path);
  uint64_t limit = match.route && match.route->body_limit > 0 ? match.route->body_limit : kBodyLimit;
  if (request.body.size() > limit) return;  // the server answers 413 without dispatching
  Response response = w.pipeline.Dispatch(std::move(request));
  CheckResponse(response);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Log lines are formatted (redaction and JSON escaping run on fuzzed text) and dropped.
  tf::log::InitForTest([](std::string_view) {}, tf::LogLevel::kDebug);
  GetWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < 4 && !in.empty(); ++i) {
    std::optional<tf::http::Request> request;
    size_t used = ParseOne(in, &request);
    if (used == 0 || !request) break;
    Serve(std::move(*request));
    in.remove_prefix(used);
  }
  return 0;
}
