#pragma once
// The identity domain's values: tenants, users, sessions, API tokens and login throttling.
// Times are microseconds since the Unix epoch (UTC).
// Thread-safety: plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/permissions.h"

namespace tf::identity {

inline constexpr std::string_view kStatusActive = "active";
inline constexpr std::string_view kStatusSuspended = "suspended";
inline constexpr std::string_view kStatusDisabled = "disabled";
inline constexpr std::string_view kStatusErased = "erased";  //!< the person was erased (GDPR Art. 17)

struct Tenant {
  std::string id;
  std::string slug;
  std::string name;
  std::string data_region;
  std::string status;  //!< active | suspended
  bool require_mfa = false;              //!< users must enrol a second factor
  bool require_device_approval = false;  //!< sign-ins from new devices wait for approval
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

//! email and display_name are sealed personal data in the store (PersonalFields) and
//! plaintext once opened.
struct User {
  std::string id;
  std::string tenant_id;
  std::string email;
  std::string display_name;
  std::optional<std::string> email_index;  //!< the email's blind index; none once erased
  std::string password_hash;  //!< never leaves the service
  std::vector<Role> roles;
  std::string status;  //!< active | disabled
  bool must_change_password = false;
  std::optional<int64_t> locked_at;
  int64_t password_changed_at = 0;
  std::optional<int64_t> last_login_at;
  bool mfa_enabled = false;  //!< a confirmed TOTP factor exists
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> erased_at;  //!< the person was erased: their key destroyed
};

struct Session {
  std::string id;
  std::string tenant_id;
  std::string user_id;
  std::string token_hash;
  std::string csrf_hash;
  std::string source_ip;
  std::string user_agent;
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
  int64_t expires_at = 0;
  std::optional<int64_t> revoked_at;
  std::optional<std::string> device_id;
};

struct ApiToken {
  std::string id;
  std::string tenant_id;
  std::string user_id;  //!< the creator; the token never holds more than they do
  std::string name;     //!< sealed under the creator's key in the store
  std::string token_hash;
  PermissionSet permissions;
  int64_t expires_at = 0;
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
  std::optional<int64_t> revoked_at;
};

struct ThrottleState {
  int failures = 0;
  int64_t last_failure_at = 0;
  std::optional<int64_t> locked_at;
};

struct UserFilter {
  std::optional<std::string> tenant_id;  //!< nullopt: every tenant (platform callers only)
  std::optional<std::string> role;
  std::optional<std::string> status;
  std::optional<std::string> email;        //!< exact, case-insensitive (the service looks up its index)
  std::optional<std::string> email_index;  //!< what the store filters by
};

struct TenantFilter {
  std::optional<std::string> status;
  std::optional<std::string> slug;
};

}  // namespace tf::identity
