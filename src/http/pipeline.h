#pragma once
// The request pipeline: request id + traceparent, then the middleware chain in the order
// given (metrics, access log, limits, authentication, tenant, permission), then the route
// handler. Errors travel inward-out as absl::Status and are turned into problem+json in one
// place, at the end of Dispatch.
// Thread-safety: Dispatch is safe from any thread once the pipeline is built.

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/rng.h"
#include "http/context.h"
#include "http/router.h"

namespace tf::http {

using Next = std::function<absl::StatusOr<Response>(RequestContext&)>;

class Middleware {
 public:
  virtual ~Middleware() = default;
  virtual absl::StatusOr<Response> Handle(RequestContext& ctx, const Next& next) = 0;
};

//! The HTTP status a handler result will be answered with.
int ResultStatus(const absl::StatusOr<Response>& result);

class Pipeline {
 public:
  Pipeline(const Router& router, Rng& rng);
  void Use(std::unique_ptr<Middleware> middleware);
  Response Dispatch(Request request);

 private:
  absl::StatusOr<Response> RunFrom(size_t index, RequestContext& ctx);

  const Router& router_;
  Rng& rng_;
  std::vector<std::unique_ptr<Middleware>> chain_;
};

//! Request ids we accept from callers: 1..128 chars of [A-Za-z0-9._:-].
bool IsAcceptableRequestId(std::string_view id);

}  // namespace tf::http
