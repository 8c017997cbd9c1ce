#pragma once
// The incident domain's values and rules: an incident, its timeline and postmortem, the
// lifecycle's moves, the MTTx figures and their targets, the GDPR Art. 33 clock, and the
// postmortem's Markdown. See 0012_security_incidents.sql.
// Thread-safety: plain values and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace tf::security {

inline constexpr std::string_view kIncidentSeverities[] = {"SEV1", "SEV2", "SEV3", "SEV4"};
inline constexpr std::string_view kIncidentStatuses[] = {"triage",     "investigating", "identified",
                                                         "monitoring", "resolved",      "closed"};

//! Forward to any later status up to resolved; resolved -> closed; and back to investigating
//! from identified, monitoring and resolved (the cause was wrong, it came back). Closed is final.
bool IncidentTransitionAllowed(std::string_view from, std::string_view to);
std::vector<std::string> IncidentTransitionsFrom(std::string_view from);
//! Closing a SEV1 or SEV2 needs a postmortem with a summary and a root cause.
bool NeedsPostmortem(std::string_view severity);

struct Incident {
  std::string id;
  std::string tenant_id;
  std::string title;
  std::optional<std::string> summary;
  std::string severity;
  std::string status;
  std::optional<std::string> commander;
  std::vector<std::string> participants;
  std::optional<int64_t> impact_started_at;
  int64_t detected_at = 0;
  std::optional<int64_t> acknowledged_at, investigating_at, identified_at, monitoring_at, resolved_at, closed_at;
  bool breach = false;
  std::optional<int64_t> breach_aware_at;
  nlohmann::json breach_report = nlohmann::json::object();
  std::optional<int64_t> authority_notified_at;
  std::optional<std::string> authority, authority_reference, late_reason;
  int64_t created_at = 0;
  std::string created_by;
  int64_t updated_at = 0;
};

struct TimelineEntry {
  std::string id;
  std::string incident_id;
  std::string kind;  //!< status, severity, commander, participant, link, breach, notification, postmortem, note
  std::string text;
  std::string actor;
  int64_t at = 0;
  int64_t recorded_at = 0;
};

struct IncidentFilter {
  std::optional<std::string> tenant_id, status, severity;
  std::optional<bool> breach;
  std::optional<bool> active;       //!< not resolved or closed
  std::optional<int64_t> from, to;  //!< detected_at in [from, to)
  std::optional<std::string> before_id;
  int limit = 50;
};

//! MTTD = detection - impact start, MTTA = acknowledgement - detection, MTTR = resolution -
//! detection, in seconds; none until both stamps are known.
struct IncidentMetrics {
  std::optional<int64_t> mttd_seconds, mtta_seconds, mttr_seconds;
};
IncidentMetrics MetricsOf(const Incident& i);

//! The targets of a severity, in seconds (none: no target).
struct MetricTargets {
  std::optional<int64_t> mttd, mtta, mttr;
};
MetricTargets TargetsOf(std::string_view severity);
//! The names ("mttd", "mtta", "mttr") of the figures above their severity's target.
std::vector<std::string> Breaches(const Incident& i);

//! Article 33(1): the supervisory authority is told without undue delay and within 72 hours of
//! becoming aware; a later notification gives reasons for the delay.
inline constexpr int64_t kBreachNotificationMicros = int64_t{72} * 3600 * 1'000'000;
//! Article 33(3): what the notification must describe, by the keys of breach_report.
inline constexpr std::string_view kBreachReportFields[] = {
    "nature",              //!< the nature of the breach
    "data_subjects",       //!< categories and approximate number of people concerned
    "records",             //!< categories and approximate number of records concerned
    "contact",             //!< the data protection officer or other contact point
    "consequences",        //!< the likely consequences
    "measures",            //!< measures taken or proposed, including to mitigate its effects
};
struct BreachClock {
  int64_t aware_at = 0;
  int64_t deadline = 0;
  int64_t seconds_remaining = 0;  //!< negative once the deadline has passed
  bool notified = false;
  bool notified_late = false;
  std::vector<std::string> missing_content;  //!< kBreachReportFields not yet in breach_report
};
//! The clock of a breach incident at `now`; none for other incidents.
std::optional<BreachClock> BreachClockOf(const Incident& i, int64_t now);

//! A postmortem's action item.
struct ActionItem {
  std::string title, owner;
  std::optional<std::string> due_date;  //!< YYYY-MM-DD
  std::string status = "open";          //!< open | in_progress | done
};

struct Postmortem {
  std::string incident_id;
  std::string summary, impact, root_cause;
  std::vector<std::string> contributing_factors, went_well, went_wrong;
  std::vector<std::string> timeline;  //!< the narrative's lines ("14:02 paged the on-call")
  std::vector<ActionItem> action_items;
  int64_t updated_at = 0;
  std::string updated_by;

  nlohmann::json Json() const;
  //! Complete enough to close a SEV1 or SEV2: a summary and a root cause.
  bool Complete() const { return !summary.empty() && !root_cause.empty(); }
};
//! Parses a postmortem document as stored or sent (limits checked); errors name the field.
absl::StatusOr<Postmortem> PostmortemFromJson(const nlohmann::json& j);
//! The postmortem as Markdown, with the incident's facts and its automatic timeline.
std::string PostmortemMarkdown(const Incident& i, const Postmortem& p, const std::vector<TimelineEntry>& timeline);

}  // namespace tf::security
