#include "modules/identity/identity_json.h"

#include "core/ids.h"
#include "core/time_format.h"

namespace tf::identity {

using nlohmann::json;

json Time(int64_t micros) { return FormatRfc3339Micros(micros); }
json OptTime(const std::optional<int64_t>& micros) { return micros ? Time(*micros) : json(nullptr); }

json RoleNames(const std::vector<Role>& roles) {
  json out = json::array();
  for (Role r : roles) out.push_back(RoleName(r));
  return out;
}

json TenantJson(const Tenant& t) {
  return {{"id", t.id},         {"slug", t.slug},
          {"name", t.name},     {"data_region", t.data_region},
          {"status", t.status}, {"require_mfa", t.require_mfa},
          {"require_device_approval", t.require_device_approval}, {"created_at", Time(t.created_at)},
          {"updated_at", Time(t.updated_at)}};
}

json UserJson(const User& u) {
  return {{"id", u.id},
          {"tenant_id", u.tenant_id},
          {"email", u.email},
          {"display_name", u.display_name},
          {"roles", RoleNames(u.roles)},
          {"status", u.status},
          {"must_change_password", u.must_change_password},
          {"locked", u.locked_at.has_value()},
          {"locked_at", OptTime(u.locked_at)},
          {"last_login_at", OptTime(u.last_login_at)},
          {"mfa_enabled", u.mfa_enabled},
          {"password_changed_at", Time(u.password_changed_at)},
          {"created_at", Time(u.created_at)},
          {"updated_at", Time(u.updated_at)},
          {"erased_at", OptTime(u.erased_at)}};
}

json TokenJson(const ApiToken& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"tenant_id", t.tenant_id},
          {"created_by", t.user_id},
          {"permissions", PermissionNames(t.permissions)},
          {"expires_at", Time(t.expires_at)},
          {"created_at", Time(t.created_at)},
          {"last_used_at", OptTime(t.last_used_at)},
          {"revoked_at", OptTime(t.revoked_at)}};
}

void AddRoute(http::Router& router, std::string method, std::string pattern, Access access, http::Handler handler,
              std::string audit_action, std::vector<std::string> personal_fields) {
  uint64_t body_limit = (method == "POST" || method == "PATCH") ? kSmallBody : 0;
  router.Add({std::move(method), std::move(pattern), access, std::move(handler), body_limit, false,
              std::move(audit_action), {}, std::move(personal_fields)});
}

void SetDataSubject(http::RequestContext& ctx, const User& u) {
  if (!u.id.empty()) ctx.data_subject = http::RequestContext::DataSubject{u.tenant_id, u.id};
}

absl::StatusOr<std::string> UuidParam(const http::RequestContext& ctx, std::string_view name) {
  const std::string& id = ctx.PathParam(std::string(name));
  if (!IsUuid(id)) return absl::NotFoundError("no such resource");
  return id;
}

json SessionJson(const SessionView& v) {
  const Session& s = v.session;
  return {{"id", s.id},
          {"user_id", s.user_id},
          {"device_id", s.device_id ? json(*s.device_id) : json(nullptr)},
          {"device", v.device_name},
          {"source_ip", s.source_ip},
          {"user_agent", s.user_agent},
          {"created_at", Time(s.created_at)},
          {"last_seen_at", Time(s.last_seen_at)},
          {"expires_at", Time(s.expires_at)},
          {"current", v.current}};
}

json DeviceJson(const Device& d) {
  json out = {{"id", d.id},
              {"user_id", d.user_id},
              {"name", d.name},
              {"user_agent", d.user_agent},
              {"status", d.status},
              {"first_ip", d.first_ip},
              {"last_ip", d.last_ip},
              {"first_seen_at", Time(d.first_seen_at)},
              {"last_seen_at", Time(d.last_seen_at)},
              {"approved_by", d.approved_by ? json(*d.approved_by) : json(nullptr)},
              {"approved_at", OptTime(d.approved_at)}};
  if (d.approval_code) {
    out["approval_code"] = *d.approval_code;
    out["approval_expires_at"] = OptTime(d.approval_expires_at);
  }
  return out;
}

json AccountEventJson(const AccountEvent& e) {
  json detail = json::parse(e.detail, nullptr, /*allow_exceptions=*/false);
  if (detail.is_discarded()) detail = json::object();
  return {{"id", e.id},
          {"tenant_id", e.tenant_id},
          {"user_id", e.user_id ? json(*e.user_id) : json(nullptr)},
          {"actor", e.actor},
          {"type", e.type},
          {"source_ip", e.source_ip},
          {"user_agent", e.user_agent},
          {"detail", detail},
          {"created_at", Time(e.created_at)}};
}

json SecurityPolicyJson(const Tenant& t) {
  return {{"tenant_id", t.id},
          {"require_mfa", t.require_mfa},
          {"require_device_approval", t.require_device_approval},
          {"updated_at", Time(t.updated_at)}};
}

}  // namespace tf::identity
