#include "modules/security/access_routes.h"

#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/time_format.h"
#include "http/json_body.h"
#include "http/json_values.h"
#include "http/pagination.h"
#include "http/query_params.h"
#include "modules/security/security_http.h"

namespace tf::security {

namespace {

using http::RequestContext;
using http::Response;
using nlohmann::json;


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

absl::StatusOr<std::optional<std::string>> NoteOf(const RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  TF_ASSIGN_OR_RETURN(std::optional<std::string> note, body.OptionalString("note", 1000));
  TF_RETURN_IF_ERROR(body.Finish());
  return note;
}

json ReviewJson(const AccessReview& r, bool with_items) {
  int64_t decided = 0, revoked = 0;
  json items = json::array();
  for (const ReviewItem& i : r.items) {
    if (i.decision) ++decided;
    if (i.decision == "revoked") ++revoked;
    items.push_back({{"user_id", i.user_id},
                     {"roles", i.roles},
                     {"decision", http::OrNull(i.decision)},
                     {"revoked_roles", i.revoked_roles},
                     {"note", http::OrNull(i.note)},
                     {"decided_by", http::OrNull(i.decided_by)},
                     {"decided_at", http::TimeOrNull(i.decided_at)}});
  }
  json out = {{"id", r.id},
              {"tenant_id", r.tenant_id},
              {"title", r.title},
              {"status", r.status},
              {"due_at", http::TimeOrNull(r.due_at)},
              {"created_at", FormatRfc3339Exact(r.created_at)},
              {"created_by", r.created_by},
              {"completed_at", http::TimeOrNull(r.completed_at)},
              {"completed_by", http::OrNull(r.completed_by)}};
  if (with_items) {
    out["progress"] = {{"users", r.items.size()}, {"decided", decided}, {"revoked", revoked}};
    out["items"] = std::move(items);
  }
  return out;
}

void RegisterReviewRoutes(http::Router& router, ReviewService& reviews) {
  const std::string base = "/api/security/access-reviews";
  const Access kManage = Access::Requires(Permission::kAccessManage);
  const Access kRead = Access::Requires(Permission::kAuditRead);
  router.Add({"POST", base, kManage,
              [&reviews](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
                TF_ASSIGN_OR_RETURN(std::string title, body.RequiredString("title", 200));
                TF_ASSIGN_OR_RETURN(std::optional<std::string> due, body.OptionalString("due_at", 64));
                TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, body.OptionalString("tenant_id", 64));
                TF_RETURN_IF_ERROR(body.Finish());
                std::optional<int64_t> due_at;
                if (due) {
                  absl::StatusOr<SysTime> t = ParseRfc3339(*due);
                  if (!t.ok()) return FieldError("due_at", "must be an RFC 3339 time");
                  due_at = t->time_since_epoch().count();
                }
                TF_ASSIGN_OR_RETURN(AccessReview r, reviews.Open(*ctx.principal, tenant_id, std::move(title), due_at));
                return Response::Json(201, ReviewJson(r, true));
              },
              kSmallBody});
  router.Add({"GET", base, kRead, [&reviews](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
                TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, http::TextParam(ctx, "tenant_id", 64));
                TF_ASSIGN_OR_RETURN(std::vector<AccessReview> list,
                                    reviews.List(*ctx.principal, tenant_id, page.after_id, page.limit + 1));
                json items = json::array();
                for (const AccessReview& r : list) items.push_back(ReviewJson(r, false));
                return Response::Json(200, http::PageResponse(std::move(items), page.limit));
              }});
  router.Add({"GET", base + "/{id}", kRead, [&reviews](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "access review"));
                TF_ASSIGN_OR_RETURN(AccessReview r, reviews.Get(*ctx.principal, id));
                return Response::Json(200, ReviewJson(r, true));
              }});
  router.Add({"POST", base + "/{id}/decisions", kManage,
              [&reviews](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "access review"));
                TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
                ReviewDecision d;
                TF_ASSIGN_OR_RETURN(d.user_id, body.RequiredString("user_id", 64));
                TF_ASSIGN_OR_RETURN(d.decision, body.RequiredString("decision", 16));
                TF_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> roles,
                                    body.OptionalStringArray("roles", 8, 32));
                TF_ASSIGN_OR_RETURN(d.note, body.OptionalString("note", 1000));
                TF_RETURN_IF_ERROR(body.Finish());
                if (roles) d.roles = std::move(*roles);
                TF_ASSIGN_OR_RETURN(AccessReview r, reviews.Decide(*ctx.principal, id, d));
                return Response::Json(200, ReviewJson(r, true));
              },
              kSmallBody});
  router.Add({"POST", base + "/{id}/complete", kManage, [&reviews](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "access review"));
                TF_ASSIGN_OR_RETURN(AccessReview r, reviews.Complete(*ctx.principal, id));
                return Response::Json(200, ReviewJson(r, true));
              },
              kSmallBody});
}

}  // namespace

void RegisterAccessRoutes(http::Router& router, AccessService& service, ReviewService& reviews, const Clock& clock) {
  RegisterReviewRoutes(router, reviews);
  const std::string base = "/api/security/access-requests";
  auto one = [&service, &clock](auto action) {
    return [&service, &clock, action](RequestContext& ctx) -> absl::StatusOr<Response> {
      TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "access request"));
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
                TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "access request"));
                TF_ASSIGN_OR_RETURN(AccessRequest r, service.Get(*ctx.principal, id));
                return Response::Json(200, RequestJson(r, clock.NowMicros()));
              }});
  const Access kManage = Access::Requires(Permission::kAccessManage);
  router.Add({"POST", base + "/{id}/approve", kManage, one(&AccessService::Approve), kSmallBody});
  router.Add({"POST", base + "/{id}/reject", kManage, one(&AccessService::Reject), kSmallBody});
  router.Add({"POST", base + "/{id}/revoke", Access::Authenticated(), one(&AccessService::Revoke), kSmallBody});
}

}  // namespace tf::security
