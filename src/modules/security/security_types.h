#pragma once
// The security domain's values: a security event and its status history, the filter of an
// event list, and the event status workflow. See 0011_security_events.sql.
// Thread-safety: plain values and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tf::security {

inline constexpr std::string_view kSeverities[] = {"low", "medium", "high", "critical"};

//! Event statuses.
inline constexpr std::string_view kOpen = "open";
inline constexpr std::string_view kInvestigating = "investigating";
inline constexpr std::string_view kResolved = "resolved";
inline constexpr std::string_view kFalsePositive = "false_positive";
inline constexpr std::string_view kEventStatuses[] = {kOpen, kInvestigating, kResolved, kFalsePositive};

//! The source of the events detection rules raise; services may not claim it.
inline constexpr std::string_view kDetectionSource = "detection";

//! open -> investigating -> resolved | false_positive, and resolved | false_positive -> open
//! (reopen). Nothing else; a status never moves to itself.
bool EventTransitionAllowed(std::string_view from, std::string_view to);
//! The statuses an event in `from` may move to, in workflow order.
std::vector<std::string> EventTransitionsFrom(std::string_view from);
//! Open and investigating events are unresolved: a rule adds to them instead of raising anew.
bool IsUnresolved(std::string_view status);

struct AffectedResource {
  std::string type, id;
};

struct SecurityEvent {
  std::string id;
  std::string tenant_id;
  std::string type;
  std::string severity;
  std::string status;
  std::string source;
  std::optional<std::string> rule;       //!< the detection rule that raised it
  std::optional<std::string> dedup_key;  //!< the group the rule counted ("source_ip=...")
  std::string description;
  std::vector<AffectedResource> affected_resources;
  std::vector<std::string> affected_users;
  std::string metadata = "{}";  //!< a JSON object
  std::optional<std::string> assignee;  //!< a user id of the tenant
  std::optional<std::string> resolution_notes;
  int64_t occurrences = 1;
  int64_t first_seen_at = 0, last_seen_at = 0;
  std::optional<std::string> reported_to, report_reference;
  std::optional<int64_t> reported_at;
  int64_t created_at = 0;
  std::string created_by;
  int64_t updated_at = 0;
  int64_t status_changed_at = 0;
  std::optional<int64_t> resolved_at;
};

struct EventTransition {
  std::string id;
  std::string event_id;
  std::optional<std::string> from_status;  //!< none for the event's creation
  std::string to_status;
  std::string actor;
  std::optional<std::string> note;
  int64_t at = 0;
};

//! A list of events, newest first; unset fields do not filter.
struct EventFilter {
  std::optional<std::string> tenant_id;  //!< always set for callers scoped to one tenant
  std::optional<std::string> status, severity, type, source, rule, assignee;
  std::optional<int64_t> from, to;  //!< created_at in [from, to)
  std::optional<std::string> before_id;
  int limit = 50;
};

}  // namespace tf::security
