#pragma once
// Privileged access: a request for a role for a while, which is the grant once approved, and
// the access review campaigns. See 0013_access_requests.sql.
// Thread-safety: plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tf::security {

inline constexpr std::string_view kAccessStatuses[] = {"pending", "approved", "rejected", "cancelled",
                                                       "lapsed",  "revoked",  "expired"};

struct AccessRequest {
  std::string id;
  std::string tenant_id;
  std::string requester;  //!< a user id
  std::string role;
  int64_t duration_minutes = 0;
  std::string reason;
  std::string status = "pending";
  std::optional<std::string> decided_by;  //!< user:<id> of the approver or rejecter
  std::optional<int64_t> decided_at;
  std::optional<std::string> decision_note;
  std::optional<int64_t> granted_at, expires_at;
  std::optional<int64_t> ended_at;         //!< cancelled, revoked, lapsed or expired
  std::optional<std::string> ended_by;     //!< user:<id> or system
  int64_t created_at = 0;
  int64_t updated_at = 0;

  //! An approved request in force at `now`.
  bool ActiveAt(int64_t now) const { return status == "approved" && expires_at && *expires_at > now; }
};

struct AccessFilter {
  std::optional<std::string> tenant_id, requester, status, role;
  std::optional<std::string> before_id;
  int limit = 50;
};

struct ReviewItem {
  std::string user_id;
  std::vector<std::string> roles;  //!< when the campaign opened
  std::optional<std::string> decision;  //!< certified | revoked
  std::vector<std::string> revoked_roles;
  std::optional<std::string> note, decided_by;
  std::optional<int64_t> decided_at;
};

//! An access review campaign.
struct AccessReview {
  std::string id;
  std::string tenant_id;
  std::string title;
  std::string status = "open";  //!< open | completed
  std::optional<int64_t> due_at;
  int64_t created_at = 0;
  std::string created_by;
  std::optional<int64_t> completed_at;
  std::optional<std::string> completed_by;
  std::vector<ReviewItem> items;
};

}  // namespace tf::security
