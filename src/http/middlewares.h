#pragma once
// The standard middleware, in chain order: metrics, access log, limits, authentication,
// tenant, permission. Each is small and does one thing; Pipeline runs them in order.
// Thread-safety: all are safe from any thread.

#include <optional>

#include "core/metrics.h"
#include "http/pipeline.h"

namespace tf::http {

//! http_requests_total{method,route,status}, http_request_duration_seconds{method,route},
//! http_requests_in_flight. Route labels are patterns ("unmatched" otherwise).
class MetricsMiddleware final : public Middleware {
 public:
  explicit MetricsMiddleware(metrics::Registry& registry);
  absl::StatusOr<Response> Handle(RequestContext& ctx, const Next& next) override;

 private:
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& duration_;
  metrics::Gauge& in_flight_;
  uint64_t instance_id_;
};

//! One JSON line per request: method, route, path, status, duration, remote address.
class AccessLogMiddleware final : public Middleware {
 public:
  explicit AccessLogMiddleware(bool enabled) : enabled_(enabled) {}
  absl::StatusOr<Response> Handle(RequestContext& ctx, const Next& next) override;

 private:
  bool enabled_;
};

//! Request shape limits the server's byte limits do not cover: query size, JSON bodies only.
class LimitsMiddleware final : public Middleware {
 public:
  absl::StatusOr<Response> Handle(RequestContext& ctx, const Next& next) override;
  static constexpr size_t kMaxQueryParams = 64;
  static constexpr size_t kMaxQueryValueBytes = 2048;
};

//! Resolves credentials to a Principal. Implemented by the identity module.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  //! nullopt when the request carries no credentials; Unauthenticated when they are bad;
  //! PermissionDenied when a cookie-authenticated state change lacks a valid CSRF token.
  virtual absl::StatusOr<std::optional<Principal>> Authenticate(const Request& request) = 0;
};

class AuthenticationMiddleware final : public Middleware {
 public:
  explicit AuthenticationMiddleware(Authenticator& authenticator) : authenticator_(authenticator) {}
  absl::StatusOr<Response> Handle(RequestContext& ctx, const Next& next) override;

 private:
  Authenticator& authenticator_;
};

//! Sets the request's tenant from the principal (never from the body) and the log context.
class TenantMiddleware final : public Middleware {
 public:
  absl::StatusOr<Response> Handle(RequestContext& ctx, const Next& next) override;
};

//! Checks the route's named permission against the principal's; logs every refusal.
class PermissionMiddleware final : public Middleware {
 public:
  absl::StatusOr<Response> Handle(RequestContext& ctx, const Next& next) override;
};

}  // namespace tf::http
