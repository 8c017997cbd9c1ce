#pragma once
// Persistence of security incidents, their timelines, linked security events and postmortems,
// through store::Database only. Tenant scope comes from the service.
// Thread-safety: stateless; each call runs in the caller's transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "modules/security/incident_types.h"
#include "store/database.h"

namespace tf::security {

class IncidentRepo {
 public:
  using Tx = store::Transaction;

  absl::Status InsertIncident(Tx& tx, const Incident& i);
  //! `tenant_scope` nullopt: any tenant.
  absl::StatusOr<Incident> GetIncident(Tx& tx, const std::optional<std::string>& tenant_scope, const std::string& id);
  //! Newest first.
  absl::StatusOr<std::vector<Incident>> ListIncidents(Tx& tx, const IncidentFilter& f);
  //! Writes every mutable field of `i` if the incident was last updated at `expected_updated_at`;
  //! false when another change came first.
  absl::StatusOr<bool> UpdateIncident(Tx& tx, const Incident& i, int64_t expected_updated_at);

  absl::Status InsertTimeline(Tx& tx, const std::string& tenant_id, const TimelineEntry& e);
  //! In the order things happened.
  absl::StatusOr<std::vector<TimelineEntry>> Timeline(Tx& tx, const std::string& incident_id);

  //! False when the event was already linked.
  absl::StatusOr<bool> LinkEvent(Tx& tx, const std::string& tenant_id, const std::string& incident_id,
                                 const std::string& event_id, int64_t at, const std::string& by);
  absl::StatusOr<std::vector<std::string>> LinkedEvents(Tx& tx, const std::string& incident_id);

  absl::StatusOr<std::optional<Postmortem>> GetPostmortem(Tx& tx, const std::string& incident_id);
  absl::Status PutPostmortem(Tx& tx, const std::string& tenant_id, const Postmortem& p);
};

}  // namespace tf::security
