#include "http/pipeline.h"

#include "absl/strings/str_join.h"
#include "core/log.h"
#include "core/strings.h"
#include "http/problem.h"

namespace tf::http {

int ResultStatus(const absl::StatusOr<Response>& result) {
  return result.ok() ? result->status : HttpStatusFor(result.status());
}

bool IsAcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Pipeline::Pipeline(const Router& router, Rng& rng) : router_(router), rng_(rng) {}

void Pipeline::Use(std::unique_ptr<Middleware> middleware) { chain_.push_back(std::move(middleware)); }

Response Pipeline::Dispatch(Request request) {
  RequestContext ctx;
  ctx.request = std::move(request);
  auto incoming_id = ctx.request.headers.Get("X-Request-Id");
  ctx.request_id = incoming_id && IsAcceptableRequestId(*incoming_id)
                       ? std::string(*incoming_id)
                       : rng_.Hex(16);
  ctx.trace = ContinueOrStartTrace(ctx.request.headers.Get("traceparent"), rng_);
  ScopedLogContext log_context(LogContext{ctx.request_id, ctx.trace.trace_id, "", ""});

  RouteMatch match = router_.Match(ctx.request.method, ctx.request.path);
  ctx.route = match.route;
  ctx.path_params = std::move(match.params);
  ctx.allowed_methods = std::move(match.allowed_methods);

  absl::StatusOr<Response> result;
  try {
    result = RunFrom(0, ctx);
  } catch (const std::exception& e) {
    // Handlers return errors as values; an exception here is a bug, answered as a 500.
    result = absl::InternalError(StrCat("unhandled exception: ", e.what()));
  }

  Response response =
      result.ok() ? std::move(*result) : ProblemResponse(result.status(), ctx.request.path, ctx.request_id);
  if (ResultStatus(result) == 405) {
    response.headers.Set("Allow", absl::StrJoin(ctx.allowed_methods, ", "));
  }
  // Handlers never set these, so they are appended rather than replaced.
  response.headers.Add("traceparent", ctx.trace.ToTraceparent());
  if (!response.headers.Get("Cache-Control")) response.headers.Add("Cache-Control", "no-store");
  // Last: the log context names the id until here.
  response.headers.Add("X-Request-Id", std::move(ctx.request_id));
  return response;
}

absl::StatusOr<Response> Pipeline::RunFrom(size_t index, RequestContext& ctx) {
  if (index < chain_.size()) {
    return chain_[index]->Handle(ctx, [this, index](RequestContext& c) { return RunFrom(index + 1, c); });
  }
  if (ctx.route == nullptr) {
    if (!ctx.allowed_methods.empty()) {
      return HttpError(405, "this path does not accept the method " + ctx.request.method);
    }
    return absl::NotFoundError("no such route");
  }
  return ctx.route->handler(ctx);
}

}  // namespace tf::http
