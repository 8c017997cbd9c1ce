#pragma once
// The account-security values of the identity domain: TOTP second factors, recovery codes,
// pending sign-ins, devices and account-security events.
// Times are microseconds since the Unix epoch (UTC). Thread-safety: plain values.

#include <cstdint>
#include <optional>
#include <string>

namespace tf::identity {

inline constexpr std::string_view kDeviceApproved = "approved";
inline constexpr std::string_view kDevicePending = "pending";

struct TotpFactor {
  std::string user_id;
  std::string tenant_id;
  std::string secret;  //!< base32, encrypted in the store (PersonalFields); never leaves the service after enrolment
  std::optional<int64_t> confirmed_at;
  std::optional<int64_t> last_used_step;
  int64_t created_at = 0;
};

//! A sign-in past its password that waits for a second factor or an approved device.
struct LoginChallenge {
  std::string id;
  std::string tenant_id;
  std::string user_id;
  std::string token_hash;
  std::string device_id;
  bool mfa_pending = false;
  int attempts = 0;
  std::string source_ip;
  std::string user_agent;
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

struct Device {
  std::string id;
  std::string tenant_id;
  std::string user_id;
  std::string token_hash;
  std::string name;
  std::string user_agent;
  std::string first_ip;
  std::string last_ip;
  std::string status;  //!< approved | pending
  std::optional<std::string> approval_code;
  std::optional<int64_t> approval_expires_at;
  std::optional<std::string> approved_by;
  std::optional<int64_t> approved_at;
  int64_t first_seen_at = 0;
  int64_t last_seen_at = 0;
};

struct AccountEvent {
  std::string id;
  std::string tenant_id;
  std::optional<std::string> user_id;
  std::string actor;
  std::string type;
  std::string source_ip;
  std::string user_agent;
  std::string detail = "{}";  //!< JSON object, redacted
  int64_t created_at = 0;
};

struct AccountEventFilter {
  std::optional<std::string> user_id;
  std::optional<std::string> type;
  std::optional<int64_t> since;
  std::optional<int64_t> until;
};

//! Counts behind the console's dashboard tiles, for one tenant.
struct AccountStats {
  int64_t users = 0;
  int64_t active_users = 0;
  int64_t mfa_enabled_users = 0;
  int64_t active_sessions = 0;
  int64_t failed_logins_24h = 0;
};

}  // namespace tf::identity
