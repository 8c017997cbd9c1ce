#pragma once
// IncidentService: security incidents from declaration to postmortem.
//  - Declare: a title and a severity (SEV1-SEV4), optionally when the impact started and when
//    it was detected (default now), a commander and security events to link.
//  - ChangeStatus: triage -> investigating -> identified -> monitoring -> resolved -> closed
//    (see IncidentTransitionAllowed), each move stamping its time; the first move out of
//    triage (or the first commander) is the acknowledgement. Closing a SEV1 or SEV2 needs a
//    complete postmortem (FailedPrecondition otherwise).
//  - Update: title, summary, severity, commander, participants, the impact and detection
//    times, and the personal-data breach: flagging it starts the GDPR Art. 33 clock (72 hours
//    from becoming aware), `breach_report` holds the notification's content, and the
//    notification is recorded with when, to whom, its reference and, when late, why.
//  - The timeline: every status change, assignment, link and breach step, automatically, and
//    notes by hand; the postmortem, exportable as Markdown.
//  - Metrics: MTTD, MTTA and MTTR per severity over a period, against their targets, and the
//    MTTR trend by week.
// Every change is audited in its transaction. Platform operators act on any tenant
// (`tenant_id`, default their own); everyone else on their own; other tenants' incidents are
// NotFound.
// Thread-safety: safe from any thread.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/principal.h"
#include "core/rng.h"
#include "modules/audit/audit_log.h"
#include "modules/security/incident_repo.h"
#include "modules/security/security_repo.h"
#include "store/database.h"

namespace tf::security {

struct NewIncident {
  std::optional<std::string> tenant_id;
  std::string title, severity;
  std::optional<std::string> summary, commander;
  std::optional<int64_t> impact_started_at, detected_at;
  bool breach = false;
  std::vector<std::string> event_ids;
};

//! Unset fields are left as they are; an empty commander unassigns.
struct IncidentChange {
  std::optional<std::string> title, summary, severity, commander;
  std::optional<std::vector<std::string>> participants;
  std::optional<int64_t> impact_started_at, detected_at;
  std::optional<bool> breach;
  std::optional<int64_t> breach_aware_at;
  std::optional<nlohmann::json> breach_report;  //!< merged key by key into the stored report
  struct Notification {
    std::string authority;
    int64_t notified_at = 0;
    std::optional<std::string> reference, late_reason;
  };
  std::optional<Notification> notification;
};

struct IncidentDetail {
  Incident incident;
  std::vector<TimelineEntry> timeline;
  std::vector<std::string> event_ids;
  std::optional<Postmortem> postmortem;
};

//! The figures of one severity over a period.
struct SeverityMetrics {
  std::string severity;
  int64_t incidents = 0, resolved = 0, active = 0;
  std::optional<int64_t> mean_mttd, mean_mtta, mean_mttr;  //!< seconds
  MetricTargets targets;
  int64_t mttd_breaches = 0, mtta_breaches = 0, mttr_breaches = 0;
};
struct WeekMttr {
  std::string week;  //!< the Monday, YYYY-MM-DD
  int64_t resolved = 0;
  std::optional<int64_t> mean_mttr;
};
struct IncidentMetricsReport {
  int64_t from = 0, to = 0;
  std::vector<SeverityMetrics> by_severity;
  std::vector<WeekMttr> mttr_by_week;
  int64_t active = 0;
};

class IncidentService {
 public:
  IncidentService(store::Database& db, audit::AuditLog& audit, const Clock& clock, Rng& rng);

  absl::StatusOr<IncidentDetail> Declare(const Principal& caller, NewIncident n);
  absl::StatusOr<std::vector<Incident>> List(const Principal& caller, IncidentFilter filter);
  absl::StatusOr<IncidentDetail> Get(const Principal& caller, const std::string& id);
  absl::StatusOr<IncidentDetail> ChangeStatus(const Principal& caller, const std::string& id, const std::string& status,
                                              const std::optional<std::string>& note);
  absl::StatusOr<IncidentDetail> Update(const Principal& caller, const std::string& id, const IncidentChange& change);
  //! A note by hand; `at` is when what it tells happened (default now, never in the future).
  absl::StatusOr<IncidentDetail> AddNote(const Principal& caller, const std::string& id, const std::string& text,
                                         std::optional<int64_t> at);
  absl::StatusOr<IncidentDetail> LinkEvent(const Principal& caller, const std::string& id, const std::string& event_id);
  absl::StatusOr<IncidentDetail> PutPostmortem(const Principal& caller, const std::string& id, Postmortem p);
  //! Incidents detected in [from, to) (at most kMaxMetricsIncidents of them).
  absl::StatusOr<IncidentMetricsReport> Metrics(const Principal& caller, const std::optional<std::string>& tenant_id,
                                                int64_t from, int64_t to);

  static constexpr size_t kMaxParticipants = 50;
  static constexpr int kMaxMetricsIncidents = 10000;

 private:
  //! Reads the incident in `tx`, lets `change` edit it and add timeline lines, writes both and
  //! the audit event, and answers the detail.
  template <typename Fn>
  absl::StatusOr<IncidentDetail> Change(const Principal& caller, const std::string& id, std::string_view audit_type,
                                        Fn&& change);
  absl::StatusOr<IncidentDetail> Detail(store::Transaction& tx, Incident i);
  TimelineEntry Entry(const Incident& i, std::string kind, std::string text, const std::string& actor, int64_t at);
  absl::Status CheckUser(store::Transaction& tx, const std::string& tenant_id, const std::string& user_id,
                         std::string_view field);

  store::Database& db_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  Rng& rng_;
  IncidentRepo repo_;
  SecurityRepo security_repo_;
};

absl::Status ValidIncidentSeverity(std::string_view severity);

}  // namespace tf::security
