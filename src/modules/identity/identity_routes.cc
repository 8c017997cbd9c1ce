#include "modules/identity/identity_routes.h"
#include "core/strings.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/time_format.h"
#include "http/json_body.h"
#include "http/pagination.h"
#include "http/problem.h"
#include "modules/identity/identity_json.h"

namespace tf::identity {

namespace {

using http::JsonReader;
using http::RequestContext;
using http::Response;
using nlohmann::json;

constexpr int64_t kDeviceCookieMaxAge = 400 * 86400;  // the longest browsers keep a cookie

std::optional<std::string> CookieValue(const http::Request& request, std::string_view name) {
  auto header = request.headers.Get("Cookie");
  if (!header) return std::nullopt;
  for (absl::string_view part : absl::StrSplit(Sv(*header), ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, Sv(name)) && absl::ConsumePrefix(&part, "=")) return std::string(part);
  }
  return std::nullopt;
}

std::string Cookie(std::string_view name, std::string_view value, bool http_only, const CookieOptions& o,
                   int64_t max_age) {
  return StrCat(name, "=", value, "; Path=/; Max-Age=", max_age, "; SameSite=Strict",
                      http_only ? "; HttpOnly" : "", o.secure ? "; Secure" : "");
}

//! The answer of every sign-in step: the session and its cookies, or what comes next.
Response LoginResponse(const LoginResult& result, const CookieOptions& cookies) {
  json out;
  switch (result.step) {
    case LoginResult::Step::kMfa:
      out = {{"mfa_required", true}, {"mfa_token", result.challenge_token},
             {"expires_at", Time(result.challenge_expires_at)}};
      break;
    case LoginResult::Step::kDeviceApproval:
      out = {{"device_approval_required", true}, {"approval_token", result.challenge_token},
             {"device_id", result.device_id}, {"expires_at", Time(result.challenge_expires_at)}};
      break;
    case LoginResult::Step::kSignedIn:
      out = {{"token", result.token},
             {"csrf_token", result.csrf_token},
             {"expires_at", Time(result.session.expires_at)},
             {"session_id", result.session.id},
             {"device_id", result.device_id},
             {"mfa_enrollment_required", result.mfa_enrollment_required},
             {"user", {{"id", result.user.id},
                       {"email", result.user.email},
                       {"roles", RoleNames(result.user.roles)},
                       {"tenant_id", result.user.tenant_id},
                       {"mfa_enabled", result.user.mfa_enabled},
                       {"must_change_password", result.user.must_change_password}}}};
      break;
  }
  Response r = Response::Json(200, out);
  if (!result.device_token.empty()) {
    r.headers.Add("Set-Cookie", Cookie(kDeviceCookie, result.device_token, true, cookies, kDeviceCookieMaxAge));
  }
  if (result.step == LoginResult::Step::kSignedIn) {
    int64_t max_age = cookies.max_age.count();
    r.headers.Add("Set-Cookie", Cookie(kSessionCookie, result.token, true, cookies, max_age));
    r.headers.Add("Set-Cookie", Cookie(kCsrfCookie, result.csrf_token, false, cookies, max_age));
  }
  return r;
}

}  // namespace

std::optional<Credential> CredentialFrom(const http::Request& request) {
  Credential c;
  c.state_change = request.method != "GET" && request.method != "HEAD" && request.method != "OPTIONS";
  if (auto auth = request.headers.Get("Authorization")) {
    absl::string_view v = Sv(*auth);
    if (!absl::ConsumePrefix(&v, "Bearer ") && !absl::ConsumePrefix(&v, "bearer ")) return Credential{};
    c.token = std::string(absl::StripAsciiWhitespace(v));
    return c;
  }
  if (auto cookie = CookieValue(request, kSessionCookie)) {
    c.token = *cookie;
    c.via_cookie = true;
    if (auto csrf = request.headers.Get(kCsrfHeader)) c.csrf_token = std::string(*csrf);
    return c;
  }
  return std::nullopt;
}

void RegisterIdentityRoutes(http::Router& router, IdentityService& service, CookieOptions cookies) {
  using P = Permission;
  const Access kAnyUser = Access::Authenticated().AllowPendingSetup();

  // --- authentication ------------------------------------------------------------------------
  AddRoute(router, "POST", "/api/auth/login", Access::Public(), [&service, cookies](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    LoginRequest req;
    TF_ASSIGN_OR_RETURN(req.email, body.RequiredString("email", 320));
    TF_ASSIGN_OR_RETURN(req.password, body.RequiredString("password", 1024));
    TF_RETURN_IF_ERROR(body.Finish());
    req.source_ip = ctx.request.remote_addr;
    req.user_agent = std::string(ctx.request.headers.Get("User-Agent").value_or(""));
    req.device_token = CookieValue(ctx.request, kDeviceCookie).value_or("");
    TF_ASSIGN_OR_RETURN(LoginResult result, service.Login(req));
    SetDataSubject(ctx, result.user);
    return LoginResponse(result, cookies);
  }, "LOGIN", {"email"});

  // The second steps answer like a sign-in: the session, or the next step.
  auto step = [](RequestContext& ctx, std::string_view token_field, bool code_required)
      -> absl::StatusOr<LoginStepRequest> {
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    LoginStepRequest req;
    TF_ASSIGN_OR_RETURN(req.challenge_token, body.RequiredString(token_field, 200));
    if (code_required) {
      TF_ASSIGN_OR_RETURN(req.code, body.RequiredString("code", 64));
    } else {
      TF_ASSIGN_OR_RETURN(auto code, body.OptionalString("code", 64));
      req.code = code.value_or("");
    }
    TF_RETURN_IF_ERROR(body.Finish());
    req.source_ip = ctx.request.remote_addr;
    req.user_agent = std::string(ctx.request.headers.Get("User-Agent").value_or(""));
    return req;
  };
  AddRoute(router, "POST", "/api/auth/login/mfa", Access::Public(), [&service, cookies, step](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(LoginStepRequest req, step(ctx, "mfa_token", true));
    TF_ASSIGN_OR_RETURN(LoginResult result, service.LoginMfa(req));
    return LoginResponse(result, cookies);
  }, "LOGIN");
  AddRoute(router, "POST", "/api/auth/login/device", Access::Public(), [&service, cookies, step](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(LoginStepRequest req, step(ctx, "approval_token", false));
    TF_ASSIGN_OR_RETURN(LoginResult result, service.LoginDevice(req));
    return LoginResponse(result, cookies);
  }, "LOGIN");

  AddRoute(router, "POST", "/api/auth/logout", kAnyUser, [&service, cookies](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_RETURN_IF_ERROR(service.Logout(*ctx.principal));
    Response r = Response::NoContent();
    r.headers.Add("Set-Cookie", Cookie(kSessionCookie, "", true, cookies, 0));
    r.headers.Add("Set-Cookie", Cookie(kCsrfCookie, "", false, cookies, 0));
    return r;
  }, "LOGOUT");

  AddRoute(router, "GET", "/api/auth/me", kAnyUser, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(auto me, service.Me(*ctx.principal));
    const auto& [user, tenant] = me;
    json out = UserJson(user);
    out["tenant"] = {{"id", tenant.id}, {"slug", tenant.slug}, {"name", tenant.name}};
    out["mfa_enrollment_required"] = ctx.principal->must_enroll_mfa;
    out["permissions"] = PermissionNames(ctx.principal->permissions);
    out["authenticated_by"] = ctx.principal->kind == Principal::Kind::kSession ? "session" : "api_token";
    out["access_via"] = ctx.principal->via.empty() ? json(nullptr) : json(ctx.principal->via);
    return Response::Json(200, out);
  });

  AddRoute(router, "POST", "/api/auth/password", kAnyUser, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    TF_ASSIGN_OR_RETURN(std::string current, body.RequiredString("current_password", 1024));
    TF_ASSIGN_OR_RETURN(std::string next, body.RequiredString("new_password", 1024));
    TF_RETURN_IF_ERROR(body.Finish());
    TF_RETURN_IF_ERROR(service.ChangePassword(*ctx.principal, current, next));
    return Response::NoContent();
  });

  // --- API tokens ----------------------------------------------------------------------------
  AddRoute(router, "GET", "/api/auth/tokens", Access::Requires(P::kTokensRead), [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
    TF_ASSIGN_OR_RETURN(auto tokens, service.ListApiTokens(*ctx.principal, page.after_id, page.limit + 1));
    return Response::Json(200, http::PageResponse(ItemsJson(tokens, TokenJson), page.limit));
  });

  AddRoute(router, "POST", "/api/auth/tokens", Access::Requires(P::kTokensWrite), [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    NewApiToken req;
    TF_ASSIGN_OR_RETURN(req.name, body.RequiredString("name", 100));
    TF_ASSIGN_OR_RETURN(auto perms, body.OptionalStringArray("permissions"));
    TF_ASSIGN_OR_RETURN(auto days, body.OptionalInt("expires_in_days"));
    TF_RETURN_IF_ERROR(body.Finish());
    if (!perms) return FieldError("permissions", "is required");
    req.permissions = *perms;
    if (days) {
      if (*days < 1 || *days > 100000) return FieldError("expires_in_days", "is out of range");
      req.expires_in_days = static_cast<int>(*days);
    }
    TF_ASSIGN_OR_RETURN(CreatedApiToken created, service.CreateApiToken(*ctx.principal, req));
    ctx.data_subject = http::RequestContext::DataSubject{created.token.tenant_id, created.token.user_id};
    json out = TokenJson(created.token);
    out["token"] = created.secret;
    return Response::Json(201, out);
  }, "", {"name"});

  AddRoute(router, "DELETE", "/api/auth/tokens/{id}", Access::Requires(P::kTokensWrite),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        TF_RETURN_IF_ERROR(service.RevokeApiToken(*ctx.principal, id));
        return Response::NoContent();
      });

  // --- tenants -------------------------------------------------------------------------------
  AddRoute(router, "POST", "/api/tenants", Access::Requires(P::kTenantsWrite), [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    TF_ASSIGN_OR_RETURN(std::string slug, body.RequiredString("slug", 63));
    TF_ASSIGN_OR_RETURN(std::string name, body.RequiredString("name", 200));
    TF_ASSIGN_OR_RETURN(auto region, body.OptionalString("data_region", 16));
    TF_RETURN_IF_ERROR(body.Finish());
    TF_ASSIGN_OR_RETURN(Tenant t, service.CreateTenant(*ctx.principal, slug, name, region.value_or("")));
    Response r = Response::Json(201, TenantJson(t));
    r.headers.Add("Location", StrCat("/api/tenants/", t.id));
    return r;
  });

  AddRoute(router, "GET", "/api/tenants", Access::Requires(P::kTenantsRead), [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
    TenantFilter filter{ctx.request.QueryParam("status"), ctx.request.QueryParam("slug")};
    TF_ASSIGN_OR_RETURN(auto tenants, service.ListTenants(*ctx.principal, filter, page.after_id, page.limit + 1));
    return Response::Json(200, http::PageResponse(ItemsJson(tenants, TenantJson), page.limit));
  });

  AddRoute(router, "GET", "/api/tenants/{id}", Access::Requires(P::kTenantsRead), [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
    TF_ASSIGN_OR_RETURN(Tenant t, service.GetTenant(*ctx.principal, id));
    return Response::Json(200, TenantJson(t));
  });

  AddRoute(router, "PATCH", "/api/tenants/{id}", Access::Requires(P::kTenantsWrite),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
        TenantPatch patch;
        TF_ASSIGN_OR_RETURN(patch.name, body.OptionalString("name", 200));
        TF_ASSIGN_OR_RETURN(patch.status, body.OptionalString("status", 32));
        TF_RETURN_IF_ERROR(body.Finish());
        TF_ASSIGN_OR_RETURN(Tenant t, service.UpdateTenant(*ctx.principal, id, patch));
        return Response::Json(200, TenantJson(t));
      });

  // --- users ---------------------------------------------------------------------------------
  AddRoute(router, "POST", "/api/users", Access::Requires(P::kUsersWrite), [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
    NewUser req;
    TF_ASSIGN_OR_RETURN(req.email, body.RequiredString("email", 320));
    TF_ASSIGN_OR_RETURN(req.password, body.RequiredString("password", 1024));
    TF_ASSIGN_OR_RETURN(auto roles, body.OptionalStringArray("roles", 8, 32));
    TF_ASSIGN_OR_RETURN(req.tenant_id, body.OptionalString("tenant_id", 64));
    TF_ASSIGN_OR_RETURN(auto display_name, body.OptionalString("display_name", 200));
    TF_ASSIGN_OR_RETURN(auto must_change, body.OptionalBool("must_change_password"));
    TF_RETURN_IF_ERROR(body.Finish());
    if (!roles) return FieldError("roles", "is required");
    req.roles = *roles;
    req.display_name = display_name.value_or("");
    req.must_change_password = must_change.value_or(false);
    TF_ASSIGN_OR_RETURN(User u, service.CreateUser(*ctx.principal, req));
    SetDataSubject(ctx, u);
    Response r = Response::Json(201, UserJson(u));
    r.headers.Add("Location", StrCat("/api/users/", u.id));
    return r;
  }, "", {"email", "display_name"});

  AddRoute(router, "GET", "/api/users", Access::Requires(P::kUsersRead), [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
    UserFilter filter;
    filter.tenant_id = ctx.request.QueryParam("tenant_id");
    filter.role = ctx.request.QueryParam("role");
    filter.status = ctx.request.QueryParam("status");
    filter.email = ctx.request.QueryParam("email");
    TF_ASSIGN_OR_RETURN(auto users, service.ListUsers(*ctx.principal, filter, page.after_id, page.limit + 1));
    return Response::Json(200, http::PageResponse(ItemsJson(users, UserJson), page.limit));
  }, "", {"email"});

  AddRoute(router, "GET", "/api/users/{id}", Access::Requires(P::kUsersRead), [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
    TF_ASSIGN_OR_RETURN(User u, service.GetUser(*ctx.principal, id));
    return Response::Json(200, UserJson(u));
  });

  AddRoute(router, "PATCH", "/api/users/{id}", Access::Requires(P::kUsersWrite),
      [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
        TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
        TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
        UserPatch patch;
        TF_ASSIGN_OR_RETURN(patch.roles, body.OptionalStringArray("roles", 8, 32));
        TF_ASSIGN_OR_RETURN(patch.status, body.OptionalString("status", 32));
        TF_ASSIGN_OR_RETURN(patch.display_name, body.OptionalString("display_name", 200));
        TF_RETURN_IF_ERROR(body.Finish());
        TF_ASSIGN_OR_RETURN(User u, service.UpdateUser(*ctx.principal, id, patch));
        SetDataSubject(ctx, u);
        return Response::Json(200, UserJson(u));
      }, "", {"display_name"});

  AddRoute(router, "POST", "/api/users/{id}/reset-password", Access::Requires(P::kUsersWrite),
       [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
         TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
         TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
         TF_ASSIGN_OR_RETURN(auto password, body.OptionalString("password", 1024));
         TF_RETURN_IF_ERROR(body.Finish());
         TF_ASSIGN_OR_RETURN(auto generated, service.ResetPassword(*ctx.principal, id, password));
         json out = {{"must_change_password", true}};
         if (generated) out["one_time_password"] = *generated;
         return Response::Json(200, out);
       });

  AddRoute(router, "POST", "/api/users/{id}/erasure", Access::Requires(P::kUsersWrite),
       [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
         TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
         TF_ASSIGN_OR_RETURN(JsonReader body, JsonReader::Parse(ctx.request.body));
         TF_ASSIGN_OR_RETURN(auto confirm, body.OptionalBool("confirm"));
         TF_ASSIGN_OR_RETURN(auto reference, body.OptionalString("reference", 100));
         TF_RETURN_IF_ERROR(body.Finish());
         if (!confirm.value_or(false)) {
           return FieldError("confirm", "must be true: erasure destroys the person's data and cannot be undone");
         }
         TF_ASSIGN_OR_RETURN(User u, service.EraseUser(*ctx.principal, id, reference.value_or("")));
         return Response::Json(200, UserJson(u));
       }, "DELETE");

  AddRoute(router, "POST", "/api/users/{id}/unlock", Access::Requires(P::kUsersWrite),
       [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
         TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx));
         TF_ASSIGN_OR_RETURN(User u, service.Unlock(*ctx.principal, id));
         return Response::Json(200, UserJson(u));
       });
}

}  // namespace tf::identity
