#pragma once
// Persistence of security events, their transitions, tenants' detection rule settings and the
// detection cursor, through store::Database only. Tenant scope comes from the service.
// Thread-safety: stateless; each call runs in the caller's transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/principal.h"
#include "modules/security/security_types.h"
#include "store/database.h"

namespace tf::security {

//! A tenant's settings of one rule; unset fields keep the rule file's.
struct RuleSetting {
  std::string tenant_id, rule;
  std::optional<bool> enabled;
  std::optional<int64_t> threshold, window_seconds;
  std::optional<std::string> severity;
  std::optional<std::string> working_hours;  //!< JSON object
  int64_t updated_at = 0;
  std::string updated_by;
};

class SecurityRepo {
 public:
  using Tx = store::Transaction;

  absl::StatusOr<bool> TenantExists(Tx& tx, const std::string& tenant_id);
  absl::StatusOr<std::optional<std::string>> TenantIdBySlug(Tx& tx, std::string_view slug);
  absl::StatusOr<bool> UserInTenant(Tx& tx, const std::string& tenant_id, const std::string& user_id);

  absl::Status InsertEvent(Tx& tx, const SecurityEvent& e);
  //! `tenant_scope` nullopt: any tenant.
  absl::StatusOr<SecurityEvent> GetEvent(Tx& tx, const std::optional<std::string>& tenant_scope,
                                         const std::string& id);
  absl::StatusOr<std::vector<SecurityEvent>> ListEvents(Tx& tx, const EventFilter& f);
  //! Writes every mutable field of `e` if its status is still `expected_status`; false when
  //! another change moved it first.
  absl::StatusOr<bool> UpdateEvent(Tx& tx, const SecurityEvent& e, std::string_view expected_status);
  //! The tenant's unresolved event of `rule` for `key`, if any.
  absl::StatusOr<std::optional<SecurityEvent>> OpenEventFor(Tx& tx, const std::string& tenant_id,
                                                            const std::string& rule, const std::string& key);
  //! Counts of unresolved events by severity (of one tenant, or all when nullopt).
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> OpenBySeverity(
      Tx& tx, const std::optional<std::string>& tenant_id);

  absl::Status InsertTransition(Tx& tx, const std::string& tenant_id, const EventTransition& t);
  absl::StatusOr<std::vector<EventTransition>> Transitions(Tx& tx, const std::string& event_id);

  absl::StatusOr<std::vector<RuleSetting>> RuleSettings(Tx& tx, const std::optional<std::string>& tenant_id);
  absl::Status PutRuleSetting(Tx& tx, const RuleSetting& s);

  absl::StatusOr<std::pair<int64_t, int64_t>> Cursor(Tx& tx);  //!< next leaf index, updated at
  //! Moves the cursor from `expected`; false when another instance moved it first.
  absl::StatusOr<bool> AdvanceCursor(Tx& tx, int64_t expected, int64_t next, int64_t now);
};

//! The strings of a stored JSON array (the items that are strings; none when it is not one).
std::vector<std::string> JsonStrings(std::string_view text);

//! The tenant the caller acts on: `requested` for platform operators (default their own), else
//! their own (NotFound for another, and for a tenant that does not exist).
absl::StatusOr<std::string> TenantToActOn(store::Database& db, const Principal& caller,
                                          const std::optional<std::string>& requested);

}  // namespace tf::security
