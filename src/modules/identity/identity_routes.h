#pragma once
// HTTP routes of the identity domain: /api/auth, /api/tenants, /api/users. JSON <-> typed
// values, the permission each route needs, and calls into IdentityService.
// Thread-safety: handlers are safe from any thread.

#include "http/router.h"
#include "modules/identity/identity_service.h"

namespace tf::identity {

struct CookieOptions {
  bool secure = false;  //!< set when serving TLS
  std::chrono::seconds max_age{43200};
};

void RegisterIdentityRoutes(http::Router& router, IdentityService& service, CookieOptions cookies);

//! Reads the bearer token or session cookie (and CSRF header) of a request.
std::optional<Credential> CredentialFrom(const http::Request& request);

inline constexpr std::string_view kSessionCookie = "tf_session";
inline constexpr std::string_view kCsrfCookie = "tf_csrf";
//! Names the browser for device recognition; only its hash is stored.
inline constexpr std::string_view kDeviceCookie = "tf_device";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

}  // namespace tf::identity
