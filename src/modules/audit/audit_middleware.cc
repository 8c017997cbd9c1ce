#include "modules/audit/audit_middleware.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/strings.h"
#include "core/utf8.h"
#include "http/problem.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/personal_details.h"

namespace tf::audit {

namespace {

//! Text as the trail keeps it: at most kMaxFieldBytes, and bytes that are not UTF-8 as '?'.
std::string CleanText(std::string_view s) {
  std::string out(s.substr(0, kMaxFieldBytes));
  if (!IsValidUtf8(out)) {
    for (char& c : out) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  return out;
}

bool IsReadOnly(std::string_view method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

bool IsApiPath(std::string_view path) { return path.rfind("/api/", 0) == 0; }

//! The action and resource type a request's route (null: unmatched) gives, and how it ended.
void SetActionAndOutcome(AuditRecord& r, const http::Route* route, std::string_view method, int status) {
  r.action = route && !route->audit_action.empty() ? route->audit_action : ActionOf(method);
  if (route) {
    std::string type = ResourceTypeOf(route->pattern);
    if (!type.empty()) r.resource_type = type;
  }
  r.status = status;
  r.outcome = OutcomeOf(status);
}

//! The request's parameters as the trail keeps them (redacted and capped by SetDetails).
nlohmann::json DetailsOf(const http::RequestContext& ctx) {
  nlohmann::json details = nlohmann::json::object();
  if (!ctx.request.query.empty()) {
    nlohmann::json query = nlohmann::json::object();
    for (const auto& [k, v] : ctx.request.query) query[CleanText(k)] = CleanText(v);
    details["query"] = std::move(query);
  }
  if (!ctx.request.body.empty() && !ctx.route) {
    // No route (404, 405): nothing says which of its fields carry secrets.
    details["body_bytes"] = ctx.request.body.size();
  } else if (!ctx.request.body.empty()) {
    nlohmann::json body = nlohmann::json::parse(ctx.request.body, nullptr, false);
    if (body.is_discarded()) {
      details["body_bytes"] = ctx.request.body.size();
    } else {
      // `code` carries second-factor, recovery and device-approval codes (the sign-in and MFA
      // routes): secrets for a while, under a name too common to redact everywhere.
      std::vector<std::string> secret = ctx.route->secret_fields;
      secret.push_back("code");
      details["body"] = RedactMembers(std::move(body), secret);
    }
  }
  return details;
}

}  // namespace

std::string ResourceTypeOf(std::string_view pattern) {
  std::string out;
  for (absl::string_view part : absl::StrSplit(Sv(pattern), '/', absl::SkipEmpty())) {
    if (part == "api" && out.empty()) continue;
    if (absl::StartsWith(part, "{")) continue;
    if (!out.empty()) out += ".";
    out += std::string(part);
  }
  return out;
}

std::string ActionOf(std::string_view method) {
  if (method == "POST") return "CREATE";
  if (method == "PUT" || method == "PATCH") return "UPDATE";
  if (method == "DELETE") return "DELETE";
  return "READ";
}

std::string OutcomeOf(int status) {
  if (status < 400) return "success";
  if (status == 401 || status == 403) return "denied";
  if (status >= 500) return "error";
  return "failure";
}

AuditRecord AuditMiddleware::RecordOf(const http::RequestContext& ctx, int status) const {
  AuditRecord r = log_.NewRecord("request", ctx.principal ? Actor::Of(*ctx.principal) : Actor{});
  if (ctx.principal) r.tenant_id = ctx.principal->tenant_id;
  SetActionAndOutcome(r, ctx.route, ctx.request.method, status);
  if (ctx.route) {
    // The last path parameter names the resource ("/api/users/{id}/sessions/{session_id}").
    size_t open = ctx.route->pattern.rfind('{');
    if (open != std::string::npos) {
      std::string name = ctx.route->pattern.substr(open + 1, ctx.route->pattern.find('}', open) - open - 1);
      auto it = ctx.path_params.find(name);
      if (it != ctx.path_params.end()) r.resource_id = CleanText(it->second);
    }
  }
  nlohmann::json details = DetailsOf(ctx);
  if (ctx.route && !ctx.route->personal_fields.empty()) {
    SealPersonalFields(details, ctx.route->personal_fields, ctx.data_subject, r.id, personal_);
  }
  SetDetails(r, std::move(details));
  return r;
}

void AuditMiddleware::RecordRefused(const http::RefusedRequest& refused, const http::Route* route) const {
  if (!IsApiPath(refused.path)) return;
  RequestInfo info{refused.request_id,
                   "",
                   CleanText(refused.method),
                   route ? route->pattern : "unmatched",
                   CleanText(refused.path),
                   refused.remote_addr,
                   CleanText(refused.user_agent)};
  RequestScope scope(info);
  AuditRecord r = log_.NewRecord("request", Actor{});
  SetActionAndOutcome(r, route, refused.method, refused.status);
  SetDetails(r, {{"refused", refused.detail}});
  absl::Status queued = log_.AppendAsync(std::move(r), [](const absl::Status& written) {
    if (!written.ok()) log::Error("audit record of a refused request not written", {{"error", written.ToString()}});
  });
  if (!queued.ok()) log::Error("audit record of a refused request not queued", {{"error", queued.ToString()}});
}

absl::StatusOr<http::Response> AuditMiddleware::Handle(http::RequestContext& ctx, const http::Next& next) {
  if (!IsApiPath(ctx.request.path)) return next(ctx);
  RequestInfo info{ctx.request_id,
                   ctx.trace.trace_id,
                   CleanText(ctx.request.method),
                   ctx.route ? ctx.route->pattern : "unmatched",
                   CleanText(ctx.request.path),
                   ctx.request.remote_addr,
                   CleanText(ctx.request.headers.Get("User-Agent").value_or(""))};
  absl::StatusOr<http::Response> result = [&] {
    RequestScope scope(info);
    return next(ctx);
  }();
  RequestScope scope(info);
  absl::Status written = log_.AppendDurable(RecordOf(ctx, http::ResultStatus(result)));
  if (written.ok()) return result;
  log::Error("audit record not written", {{"route", info.route}, {"error", written.ToString()}});
  // A read's answer is withheld when its record is lost; an error answer reveals nothing and
  // keeps its own cause (a database outage is reported as such).
  if (result.ok() && result->status < 400 && IsReadOnly(ctx.request.method) && !fail_open_reads_) {
    return absl::UnavailableError("the audit trail cannot be written, so this request is refused; retry later");
  }
  return result;
}

}  // namespace tf::audit
