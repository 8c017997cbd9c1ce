#include "modules/identity/account_routes.h"

#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "http/json_body.h"
#include "http/pagination.h"
#include "http/query_params.h"
#include "modules/identity/identity_json.h"

namespace tf::identity {

namespace {

using http::JsonReader;
using http::TimeParam;
using http::RequestContext;
using http::Response;
using nlohmann::json;
using P = Permission;

absl::StatusOr<std::string> RequiredCode(JsonReader& body) { return body.RequiredString("code", 64); }

Response Codes(const std::vector<std::string>& codes) {
  return Response::Json(200, {{"recovery_codes", codes}});
}

json MfaStatusJson(const MfaStatus& s) {
  return {{"enabled", s.enabled},
          {"enrollment_pending", s.enrollment_pending},
          {"confirmed_at", OptTime(s.confirmed_at)},
          {"recovery_codes_left", s.recovery_codes_left},
          {"required_by_tenant", s.required_by_tenant}};
}

}  // namespace

void RegisterAccountRoutes(http::Router& router, AccountService& service) {
  const Access kSelf = Access::Authenticated();
  const Access kSelfDuringSetup = Access::Authenticated().AllowPendingSetup();

  // --- the caller's second factor ------------------------------------------------------------
  AddRoute(router, "GET", "/api/auth/mfa", kSelfDuringSetup, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(MfaStatus s, service.GetMfaStatus(*ctx.principal));
    return Response::Json(200, MfaStatusJson(s));
  });

  AddRoute(router, "POST", "/api/auth/mfa/totp/enroll", kSelfDuringSetup,
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body.empty() ? "{}" : ctx.request.body));
        TF_RETURN_IF_ERROR(body.Finish());
        TF_ASSIGN_OR_RETURN(TotpEnrollment e, service.EnrollTotp(*ctx.principal));
        return Response::Json(200, {{"secret", e.secret}, {"otpauth_uri", e.otpauth_uri}, {"qr_svg", e.qr_svg}});
      });

  AddRoute(router, "POST", "/api/auth/mfa/totp/confirm", kSelfDuringSetup,
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
        TF_ASSIGN_OR_RETURN(std::string code, RequiredCode(body));
        TF_RETURN_IF_ERROR(body.Finish());
        TF_ASSIGN_OR_RETURN(auto codes, service.ConfirmTotp(*ctx.principal, code));
        return Codes(codes);
      });

  AddRoute(router, "POST", "/api/auth/mfa/totp/disable", kSelf, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    TF_ASSIGN_OR_RETURN(std::string password, body.RequiredString("password", 1024));
    TF_ASSIGN_OR_RETURN(std::string code, RequiredCode(body));
    TF_RETURN_IF_ERROR(body.Finish());
    TF_RETURN_IF_ERROR(service.DisableTotp(*ctx.principal, password, code));
    return Response::NoContent();
  });

  AddRoute(router, "POST", "/api/auth/mfa/recovery-codes", kSelf, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    TF_ASSIGN_OR_RETURN(std::string code, RequiredCode(body));
    TF_RETURN_IF_ERROR(body.Finish());
    TF_ASSIGN_OR_RETURN(auto codes, service.RegenerateRecoveryCodes(*ctx.principal, code));
    return Codes(codes);
  });

  // --- sessions and devices: the caller's own, and a user's for administrators ----------------
  auto list_sessions = [&service](RequestContext& ctx, const std::string& user_id) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
    TF_ASSIGN_OR_RETURN(auto sessions, service.ListSessions(*ctx.principal, user_id, page.after_id, page.limit + 1));
    return Response::Json(200, http::PageResponse(ItemsJson(sessions, SessionJson), page.limit));
  };
  auto list_devices = [&service](RequestContext& ctx, const std::string& user_id) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
    TF_ASSIGN_OR_RETURN(auto devices, service.ListDevices(*ctx.principal, user_id, page.after_id, page.limit + 1));
    return Response::Json(200, http::PageResponse(ItemsJson(devices, DeviceJson), page.limit));
  };

  AddRoute(router, "GET", "/api/auth/sessions", kSelf, [list_sessions](RequestContext& ctx) {
    return list_sessions(ctx, ctx.principal->user_id);
  });
  AddRoute(router, "DELETE", "/api/auth/sessions/{id}", kSelf, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
    TF_RETURN_IF_ERROR(service.RevokeSession(*ctx.principal, ctx.principal->user_id, id));
    return Response::NoContent();
  });
  AddRoute(router, "POST", "/api/auth/sessions/revoke-others", kSelf, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(int64_t n, service.RevokeSessions(*ctx.principal, ctx.principal->user_id));
    return Response::Json(200, {{"revoked", n}});
  });
  AddRoute(router, "GET", "/api/auth/devices", kSelf, [list_devices](RequestContext& ctx) {
    return list_devices(ctx, ctx.principal->user_id);
  });
  AddRoute(router, "PATCH", "/api/auth/devices/{id}", kSelf, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    TF_ASSIGN_OR_RETURN(std::string name, body.RequiredString("name", 200));
    TF_RETURN_IF_ERROR(body.Finish());
    TF_ASSIGN_OR_RETURN(Device d, service.RenameDevice(*ctx.principal, id, name));
    return Response::Json(200, DeviceJson(d));
  });
  AddRoute(router, "DELETE", "/api/auth/devices/{id}", kSelf, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
    TF_RETURN_IF_ERROR(service.RemoveDevice(*ctx.principal, ctx.principal->user_id, id));
    return Response::NoContent();
  });
  AddRoute(router, "POST", "/api/auth/devices/{id}/approve", kSelf, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
    TF_ASSIGN_OR_RETURN(Device d, service.ApproveDevice(*ctx.principal, ctx.principal->user_id, id));
    return Response::Json(200, DeviceJson(d));
  });

  AddRoute(router, "GET", "/api/users/{id}/sessions", Access::Requires(P::kUsersRead),
      [list_sessions](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        return list_sessions(ctx, id);
      });
  AddRoute(router, "DELETE", "/api/users/{id}/sessions", Access::Requires(P::kUsersWrite),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        TF_ASSIGN_OR_RETURN(int64_t n, service.RevokeSessions(*ctx.principal, id));
        return Response::Json(200, {{"revoked", n}});
      });
  AddRoute(router, "DELETE", "/api/users/{id}/sessions/{session_id}", Access::Requires(P::kUsersWrite),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        TF_ASSIGN_OR_RETURN(std::string session_id, UuidParam(ctx, "session_id"));
        TF_RETURN_IF_ERROR(service.RevokeSession(*ctx.principal, id, session_id));
        return Response::NoContent();
      });
  AddRoute(router, "GET", "/api/users/{id}/devices", Access::Requires(P::kUsersRead),
      [list_devices](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        return list_devices(ctx, id);
      });
  AddRoute(router, "POST", "/api/users/{id}/devices/{device_id}/approve", Access::Requires(P::kUsersWrite),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        TF_ASSIGN_OR_RETURN(std::string device_id, UuidParam(ctx, "device_id"));
        TF_ASSIGN_OR_RETURN(Device d, service.ApproveDevice(*ctx.principal, id, device_id));
        return Response::Json(200, DeviceJson(d));
      });
  AddRoute(router, "DELETE", "/api/users/{id}/devices/{device_id}", Access::Requires(P::kUsersWrite),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        TF_ASSIGN_OR_RETURN(std::string device_id, UuidParam(ctx, "device_id"));
        TF_RETURN_IF_ERROR(service.RemoveDevice(*ctx.principal, id, device_id));
        return Response::NoContent();
      });

  // --- events, dashboard counts, tenant policy -----------------------------------------------
  auto list_events = [&service](RequestContext& ctx, bool tenant_wide) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
    AccountEventFilter filter;
    filter.type = ctx.request.QueryParam("type");
    if (tenant_wide) filter.user_id = ctx.request.QueryParam("user_id");
    TF_ASSIGN_OR_RETURN(filter.since, TimeParam(ctx, "since"));
    TF_ASSIGN_OR_RETURN(filter.until, TimeParam(ctx, "until"));
    TF_ASSIGN_OR_RETURN(auto events, service.ListEvents(*ctx.principal, tenant_wide, filter, page.after_id,
                                                        page.limit + 1));
    return Response::Json(200, http::PageResponse(ItemsJson(events, AccountEventJson), page.limit));
  };
  AddRoute(router, "GET", "/api/auth/events", kSelf, [list_events](RequestContext& ctx) { return list_events(ctx, false); });
  AddRoute(router, "GET", "/api/auth/account-events", Access::Requires(P::kUsersRead),
      [list_events](RequestContext& ctx) { return list_events(ctx, true); });

  AddRoute(router, "GET", "/api/auth/summary", Access::Requires(P::kUsersRead),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(AccountStats s, service.Stats(*ctx.principal));
        double adoption = s.active_users > 0 ? static_cast<double>(s.mfa_enabled_users) / s.active_users : 0.0;
        return Response::Json(200, {{"users", s.users},
                                    {"active_users", s.active_users},
                                    {"active_sessions", s.active_sessions},
                                    {"failed_logins_24h", s.failed_logins_24h},
                                    {"mfa_enabled_users", s.mfa_enabled_users},
                                    {"mfa_adoption", adoption}});
      });

  AddRoute(router, "GET", "/api/tenants/{id}/security-policy", kSelf, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
    TF_ASSIGN_OR_RETURN(Tenant t, service.GetSecurityPolicy(*ctx.principal, id));
    return Response::Json(200, SecurityPolicyJson(t));
  });
  AddRoute(router, "PATCH", "/api/tenants/{id}/security-policy", Access::Requires(P::kSecurityPolicyWrite),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
        SecurityPolicyPatch patch;
        TF_ASSIGN_OR_RETURN(patch.require_mfa, body.OptionalBool("require_mfa"));
        TF_ASSIGN_OR_RETURN(patch.require_device_approval, body.OptionalBool("require_device_approval"));
        TF_RETURN_IF_ERROR(body.Finish());
        TF_ASSIGN_OR_RETURN(Tenant t, service.UpdateSecurityPolicy(*ctx.principal, id, patch));
        return Response::Json(200, SecurityPolicyJson(t));
      });
}

}  // namespace tf::identity
