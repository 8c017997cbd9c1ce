#pragma once
// The identity domain's JSON: how tenants, users, tokens, sessions, devices and account events
// appear in API responses (times RFC 3339 UTC; secrets and hashes never), and the route
// registration and path parameter helpers its route files share.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "http/context.h"
#include "http/router.h"
#include "modules/identity/account_service.h"
#include "modules/identity/account_types.h"
#include "modules/identity/identity_types.h"
#include "nlohmann/json.hpp"

namespace tf::identity {

nlohmann::json Time(int64_t micros);
nlohmann::json OptTime(const std::optional<int64_t>& micros);
nlohmann::json RoleNames(const std::vector<Role>& roles);

nlohmann::json TenantJson(const Tenant& t);
nlohmann::json UserJson(const User& u);
nlohmann::json TokenJson(const ApiToken& t);
nlohmann::json SessionJson(const SessionView& s);
nlohmann::json DeviceJson(const Device& d);
nlohmann::json AccountEventJson(const AccountEvent& e);
nlohmann::json SecurityPolicyJson(const Tenant& t);

template <typename T, typename F>
nlohmann::json ItemsJson(const std::vector<T>& items, F&& to_json) {
  nlohmann::json out = nlohmann::json::array();
  for (const T& item : items) out.push_back(to_json(item));
  return out;
}

//! The body limit of this domain's state changes: small JSON documents.
inline constexpr uint64_t kSmallBody = 16 * 1024;

//! Registers a route; POST and PATCH bodies are limited to kSmallBody, other methods take
//! the server default. `personal_fields` as http::Route's.
void AddRoute(http::Router& router, std::string method, std::string pattern, Access access, http::Handler handler,
              std::string audit_action = {}, std::vector<std::string> personal_fields = {});

//! Names the user as the person the request's personal fields are about.
void SetDataSubject(http::RequestContext& ctx, const User& u);

//! A UUID path parameter; ids that are not UUIDs cannot exist, so they are 404.
absl::StatusOr<std::string> UuidParam(const http::RequestContext& ctx, std::string_view name);
inline absl::StatusOr<std::string> IdParam(const http::RequestContext& ctx) { return UuidParam(ctx, "id"); }

}  // namespace tf::identity
