#include "modules/security/access_routes.h"

#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/time_format.h"
#include "http/json_body.h"
#include "http/json_values.h"
#include "http/pagination.h"
#include "http/query_params.h"

namespace tf::security {

namespace {

using http::RequestContext;
using http::Response;
using nlohmann::json;

constexpr uint64_t kSmallBody = 16 * 1024;

json RequestJson(const AccessRequest& r, int64_t now) {
  bool active = r.ActiveAt(now);
  return {{"id", r.id},
          {"tenant_id", r.tenant_id},
          {"requester", r.requester},
          {"role", r.role},
          {"duration_minutes", r.duration_minutes},
          {"reason", r.reason},
          {"status", r.status},
          {"active", active},
          {"seconds_remaining", active ? json((*r.expires_at - now) / 1'000'000) : json(nullptr)},
          {"decided_by", http::OrNull(r.decided_by)},
          {"decided_at", http::TimeOrNull(r.decided_at)},
          {"decision_note", http::OrNull(r.decision_note)},
          {"granted_at", http::TimeOrNull(r.granted_at)},
          {"expires_at", http::TimeOrNull(r.expires_at)},
          {"ended_at", http::TimeOrNull(r.ended_at)},
          {"ended_by", http::OrNull(r.ended_by)},
          {"created_at", FormatRfc3339Exact(r.created_at)},
          {"updated_at", FormatRfc3339Exact(r.updated_at)}};
}

absl::StatusOr<std::string> IdParam(const RequestContext& ctx) {
  const std::string& id = ctx.PathParam("id");
  if (!IsUuid(id)) return absl::NotFoundError("no such access request");
  return id;
}

absl::StatusOr<std::optional<std::string>> NoteOf(const RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  TF_ASSIGN_OR_RETURN(std::optional<std::string> note, body.OptionalString("note", 1000));
  TF_RETURN_IF_ERROR(body.Finish());
  return note;
}

}  // namespace

void RegisterAccessRoutes(http::Router& router, AccessService& service, const Clock& clock) {
  const std::string base = "/api/security/access-requests";
  auto one = [&service, &clock](auto action) {
    return [&service, &clock, action](RequestContext& ctx) -> absl::StatusOr<Response> {
      TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
      TF_ASSIGN_OR_RETURN(std::optional<std::string> note, NoteOf(ctx));
      TF_ASSIGN_OR_RETURN(AccessRequest r, (service.*action)(*ctx.principal, id, note));
      return Response::Json(200, RequestJson(r, clock.NowMicros()));
    };
  };
  router.Add({"POST", base, Access::Authenticated(),
              [&service, &clock](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
                NewAccessRequest n;
                TF_ASSIGN_OR_RETURN(n.role, body.RequiredString("role", 32));
                TF_ASSIGN_OR_RETURN(std::optional<int64_t> minutes, body.OptionalInt("duration_minutes"));
                TF_ASSIGN_OR_RETURN(n.reason, body.RequiredString("reason", 1000));
                TF_RETURN_IF_ERROR(body.Finish());
                if (!minutes) return FieldError("duration_minutes", "is required");
                n.duration_minutes = *minutes;
                TF_ASSIGN_OR_RETURN(AccessRequest r, service.Request(*ctx.principal, n));
                return Response::Json(201, RequestJson(r, clock.NowMicros()));
              },
              kSmallBody});
  router.Add({"GET", base, Access::Authenticated(), [&service, &clock](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
                AccessFilter f;
                TF_ASSIGN_OR_RETURN(f.tenant_id, http::TextParam(ctx, "tenant_id", 64));
                TF_ASSIGN_OR_RETURN(f.requester, http::TextParam(ctx, "requester", 64));
                TF_ASSIGN_OR_RETURN(f.role, http::OneOfParam(ctx, "role", {"SUPER_ADMIN", "ADMIN", "ACCOUNTANT",
                                                                           "AUDITOR", "VIEWER"}));
                TF_ASSIGN_OR_RETURN(f.status, http::OneOfParam(ctx, "status", {"pending", "approved", "rejected",
                                                                               "cancelled", "lapsed", "revoked",
                                                                               "expired"}));
                f.before_id = page.after_id;
                f.limit = page.limit + 1;
                TF_ASSIGN_OR_RETURN(std::vector<AccessRequest> list, service.List(*ctx.principal, std::move(f)));
                int64_t now = clock.NowMicros();
                json items = json::array();
                for (const AccessRequest& r : list) items.push_back(RequestJson(r, now));
                return Response::Json(200, http::PageResponse(std::move(items), page.limit));
              }});
  router.Add({"GET", base + "/{id}", Access::Authenticated(),
              [&service, &clock](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
                TF_ASSIGN_OR_RETURN(AccessRequest r, service.Get(*ctx.principal, id));
                return Response::Json(200, RequestJson(r, clock.NowMicros()));
              }});
  const Access kManage = Access::Requires(Permission::kAccessManage);
  router.Add({"POST", base + "/{id}/approve", kManage, one(&AccessService::Approve), kSmallBody});
  router.Add({"POST", base + "/{id}/reject", kManage, one(&AccessService::Reject), kSmallBody});
  router.Add({"POST", base + "/{id}/revoke", Access::Authenticated(), one(&AccessService::Revoke), kSmallBody});
}

}  // namespace tf::security
