#include "http/middlewares.h"
#include "core/strings.h"

#include <atomic>
#include <chrono>
#include <tuple>

#include "absl/container/flat_hash_map.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "http/problem.h"

namespace tf::http {

namespace {

std::string MethodLabel(std::string_view method) {
  for (std::string_view m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == m) return std::string(m);
  }
  return "OTHER";
}

std::string RouteLabel(const RequestContext& ctx) {
  return ctx.route ? ctx.route->pattern : "unmatched";
}

//! Identifies a MetricsMiddleware for the per-thread child cache; never reused, unlike addresses.
uint64_t NextInstanceId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

//! application/json or a +json type, parameters (charset) allowed.
bool IsJsonMediaType(std::string_view type) {
  absl::string_view media = absl::StripAsciiWhitespace(Sv(type.substr(0, type.find(';'))));
  return absl::EqualsIgnoreCase(media, "application/json") ||
         (absl::StartsWithIgnoreCase(media, "application/") && absl::EndsWithIgnoreCase(media, "+json"));
}

bool IsStateChange(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

MetricsMiddleware::MetricsMiddleware(metrics::Registry& registry)
    : requests_(registry.AddCounter("http_requests_total", "HTTP requests answered.",
                                    {"method", "route", "status"})),
      duration_(registry.AddHistogram("http_request_duration_seconds",
                                      "Time from request read to response ready.", {"method", "route"})),
      in_flight_(registry.AddGauge("http_requests_in_flight", "Requests being handled.").Get()),
      instance_id_(NextInstanceId()) {}

absl::StatusOr<Response> MetricsMiddleware::Handle(RequestContext& ctx, const Next& next) {
  auto start = std::chrono::steady_clock::now();
  in_flight_.Inc();
  absl::StatusOr<Response> result = next(ctx);
  in_flight_.Dec();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int status = ResultStatus(result);
  // Children are looked up once per thread and (route, method, status); later requests touch
  // only atomics.
  using Key = std::tuple<uint64_t, const Route*, std::string, int>;
  thread_local absl::flat_hash_map<Key, std::pair<metrics::Counter*, metrics::Histogram*>> cache;
  std::string method = MethodLabel(ctx.request.method);
  Key key{instance_id_, ctx.route, method, status};
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::string route = RouteLabel(ctx);
    it = cache
             .emplace(key, std::make_pair(&requests_.WithLabels({method, route, StrCat(status)}),
                                          &duration_.WithLabels({method, route})))
             .first;
  }
  it->second.first->Inc();
  it->second.second->Observe(seconds);
  return result;
}

absl::StatusOr<Response> AccessLogMiddleware::Handle(RequestContext& ctx, const Next& next) {
  if (!enabled_) return next(ctx);
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<Response> result = next(ctx);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  int status = ResultStatus(result);
  nlohmann::json fields = {{"method", ctx.request.method},
                           {"route", RouteLabel(ctx)},
                           {"path", ctx.request.path},
                           {"status", status},
                           {"duration_ms", ms},
                           {"remote_addr", ctx.request.remote_addr}};
  if (!result.ok()) fields["error"] = std::string(result.status().message());
  if (status >= 500) log::Error("request", fields);
  else log::Info("request", fields);
  return result;
}

absl::StatusOr<Response> LimitsMiddleware::Handle(RequestContext& ctx, const Next& next) {
  const Request& req = ctx.request;
  if (req.query.size() > kMaxQueryParams) {
    return BadRequest(StrCat("too many query parameters (at most ", kMaxQueryParams, ")"));
  }
  for (const auto& [k, v] : req.query) {
    if (k.size() + v.size() > kMaxQueryValueBytes) {
      return BadRequest(StrCat("query parameter '", k.substr(0, 64), "' is too long"));
    }
  }
  if (!req.body.empty() && IsStateChange(req.method)) {
    auto type = req.headers.Get("Content-Type");
    if (!type || !IsJsonMediaType(*type)) {
      return HttpError(415, "request bodies must be application/json");
    }
  }
  return next(ctx);
}

absl::StatusOr<Response> AuthenticationMiddleware::Handle(RequestContext& ctx, const Next& next) {
  if (ctx.route == nullptr || ctx.route->access.kind == Access::Kind::kPublic) return next(ctx);
  absl::StatusOr<std::optional<Principal>> principal = authenticator_.Authenticate(ctx.request);
  if (!principal.ok()) {
    log::Warn("authentication failed", {{"route", ctx.route->pattern},
                                        {"remote_addr", ctx.request.remote_addr},
                                        {"reason", std::string(principal.status().message())}});
    return principal.status();
  }
  if (!principal->has_value()) return absl::UnauthenticatedError("authentication required");
  ctx.principal = std::move(**principal);
  ctx.principal->source_ip = ctx.request.remote_addr;
  ctx.principal->user_agent = std::string(ctx.request.headers.Get("User-Agent").value_or("")).substr(0, 512);
  return next(ctx);
}

absl::StatusOr<Response> TenantMiddleware::Handle(RequestContext& ctx, const Next& next) {
  if (ctx.principal) {
    ctx.tenant_id = ctx.principal->tenant_id;
    if (LogContext* log_ctx = CurrentLogContext()) {
      log_ctx->tenant = ctx.tenant_id;
      log_ctx->actor = ctx.principal->Actor();
    }
  }
  return next(ctx);
}

absl::StatusOr<Response> PermissionMiddleware::Handle(RequestContext& ctx, const Next& next) {
  if (ctx.route == nullptr || !ctx.principal) return next(ctx);
  const Access& access = ctx.route->access;
  const Principal& p = *ctx.principal;
  if (p.must_change_password && !access.allow_pending_setup) {
    return absl::PermissionDeniedError(
        "the password must be changed first: POST /api/auth/password");
  }
  if (p.must_enroll_mfa && !access.allow_pending_setup) {
    return absl::PermissionDeniedError(
        "this tenant requires multi-factor authentication; enrol first: POST /api/auth/mfa/totp/enroll");
  }
  if (access.kind == Access::Kind::kPermission && !Has(p.permissions, access.permission)) {
    log::Warn("authorization denied", {{"route", ctx.route->pattern},
                                       {"method", ctx.request.method},
                                       {"permission", std::string(PermissionName(access.permission))}});
    return absl::PermissionDeniedError(
        StrCat("this action needs the permission ", PermissionName(access.permission)));
  }
  if (access.api_tokens_only && p.kind != Principal::Kind::kApiToken) {
    return absl::PermissionDeniedError("this route serves API tokens only: call it with a service's API token");
  }
  return next(ctx);
}

}  // namespace tf::http
