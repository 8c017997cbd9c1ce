#pragma once
// EventService: security events and their workflow.
//  - Report: a service (with an API token) or a person reports something suspicious.
//  - ChangeStatus: open -> investigating -> resolved | false_positive, and reopen; any other
//    move is FailedPrecondition (409). Each move is a transition row (who, when, why) and an
//    audit event, committed with the change.
//  - Update: severity, assignee, description, affected resources and users, resolution notes,
//    and the authority the event was reported to.
//  - Detected: what a detection rule raises, in the detector's transaction: a new event, or
//    one more occurrence of the rule's unresolved event for the same key.
// Platform operators act on any tenant (`tenant_id`, default their own); everyone else on
// their own, and another tenant's events are NotFound.
// Thread-safety: safe from any thread.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/principal.h"
#include "core/rng.h"
#include "modules/audit/audit_log.h"
#include "modules/security/security_repo.h"
#include "nlohmann/json.hpp"
#include "store/database.h"

namespace tf::security {

struct NewEvent {
  std::optional<std::string> tenant_id;
  std::string type, severity, description;
  std::optional<std::string> source;
  nlohmann::json metadata = nlohmann::json::object();
  std::vector<AffectedResource> affected_resources;
  std::vector<std::string> affected_users;
};

//! Unset fields are left as they are; an empty assignee unassigns.
struct EventChange {
  std::optional<std::string> severity, description, assignee, resolution_notes;
  std::optional<std::vector<AffectedResource>> affected_resources;
  std::optional<std::vector<std::string>> affected_users;
  std::optional<std::string> reported_to, report_reference;
  std::optional<int64_t> reported_at;
};

//! An event with its status history, oldest first.
struct EventDetail {
  SecurityEvent event;
  std::vector<EventTransition> transitions;
};

//! What a detection rule found: `count` matching records of group `key` within its window.
struct Detection {
  std::string tenant_id, rule, key, type, severity, description;
  int64_t count = 0;
  int64_t first_seen_at = 0, last_seen_at = 0;
  std::vector<AffectedResource> affected_resources;
  std::vector<std::string> affected_users;
  nlohmann::json metadata = nlohmann::json::object();
  //! The audit records counted, oldest first (the service keeps the first kMaxEvidence).
  std::vector<std::string> evidence;
};

class EventService {
 public:
  EventService(store::Database& db, audit::AuditLog& audit, const Clock& clock, Rng& rng);

  absl::StatusOr<SecurityEvent> Report(const Principal& caller, NewEvent e);
  absl::StatusOr<std::vector<SecurityEvent>> List(const Principal& caller, EventFilter filter);
  absl::StatusOr<EventDetail> Get(const Principal& caller, const std::string& id);
  absl::StatusOr<EventDetail> ChangeStatus(const Principal& caller, const std::string& id, const std::string& status,
                                           const std::optional<std::string>& note);
  absl::StatusOr<EventDetail> Update(const Principal& caller, const std::string& id, const EventChange& change);
  //! Unresolved events by severity, of the caller's tenant (platform operators: all).
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> OpenBySeverity(const Principal& caller);

  //! Raises or adds to the rule's unresolved event for the key, in `tx`; true when it raised a
  //! new one.
  absl::StatusOr<bool> Detected(store::Transaction& tx, const Detection& d);

  static constexpr size_t kMaxAffected = 50;
  static constexpr size_t kMaxMetadataBytes = 8192;
  //! Audit record ids a detected event keeps as evidence (the first ones that made the count).
  static constexpr size_t kMaxEvidence = 20;

 private:
  EventTransition Transition(const SecurityEvent& e, std::optional<std::string> from, std::string actor,
                             std::optional<std::string> note, int64_t now);

  store::Database& db_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  Rng& rng_;
  SecurityRepo repo_;
};

//! Field checks shared by the routes and the rule file.
absl::Status ValidSeverity(std::string_view field, std::string_view severity);
absl::Status ValidEventType(std::string_view field, std::string_view type);

}  // namespace tf::security
