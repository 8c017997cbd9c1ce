#include "modules/security/incident_service.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"

namespace tf::security {

namespace {

using nlohmann::json;

//! What the audit trail keeps of an incident: never its title, summary or breach report, which
//! may describe the people it concerns.
json AuditView(const Incident& i) {
  auto opt = [](const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); };
  return {{"severity", i.severity},
          {"status", i.status},
          {"commander", opt(i.commander)},
          {"participants", i.participants.size()},
          {"breach", i.breach},
          {"authority", opt(i.authority)},
          {"authority_notified", i.authority_notified_at.has_value()}};
}

absl::Status ValidTitle(std::string_view title) {
  if (title.empty() || title.size() > 200) return FieldError("title", "must be 1 to 200 characters");
  return absl::OkStatus();
}

std::optional<int64_t>* StampOf(Incident& i, std::string_view status) {
  if (status == "investigating") return &i.investigating_at;
  if (status == "identified") return &i.identified_at;
  if (status == "monitoring") return &i.monitoring_at;
  if (status == "resolved") return &i.resolved_at;
  if (status == "closed") return &i.closed_at;
  return nullptr;
}

std::optional<int64_t> Mean(const std::vector<int64_t>& values) {
  if (values.empty()) return std::nullopt;
  int64_t sum = 0;
  for (int64_t v : values) sum += v;
  return sum / static_cast<int64_t>(values.size());
}

std::string MondayOf(int64_t micros) {
  absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMicros(micros), absl::UTCTimeZone());
  // absl::Weekday counts from Monday (0).
  day -= static_cast<int>(absl::GetWeekday(day));
  return absl::FormatCivilTime(day);
}

}  // namespace

absl::Status ValidIncidentSeverity(std::string_view severity) {
  if (std::find(std::begin(kIncidentSeverities), std::end(kIncidentSeverities), severity) ==
      std::end(kIncidentSeverities)) {
    return FieldError("severity", "must be one of SEV1, SEV2, SEV3, SEV4");
  }
  return absl::OkStatus();
}

IncidentService::IncidentService(store::Database& db, audit::AuditLog& audit, const Clock& clock, Rng& rng)
    : db_(db), audit_(audit), clock_(clock), rng_(rng) {}

TimelineEntry IncidentService::Entry(const Incident& i, std::string kind, std::string text, const std::string& actor,
                                     int64_t at) {
  return {NewUuidV7(clock_, rng_), i.id, std::move(kind), std::move(text), actor, at, clock_.NowMicros()};
}

absl::Status IncidentService::CheckUser(store::Transaction& tx, const std::string& tenant_id,
                                        const std::string& user_id, std::string_view field) {
  if (!IsUuid(user_id)) return FieldError(field, "must be user ids");
  TF_ASSIGN_OR_RETURN(bool member, security_repo_.UserInTenant(tx, tenant_id, user_id));
  if (!member) return FieldError(field, "must be users of the incident's tenant");
  return absl::OkStatus();
}

absl::StatusOr<IncidentDetail> IncidentService::Detail(store::Transaction& tx, Incident i) {
  IncidentDetail d;
  TF_ASSIGN_OR_RETURN(d.timeline, repo_.Timeline(tx, i.id));
  TF_ASSIGN_OR_RETURN(d.event_ids, repo_.LinkedEvents(tx, i.id));
  TF_ASSIGN_OR_RETURN(d.postmortem, repo_.GetPostmortem(tx, i.id));
  d.incident = std::move(i);
  return d;
}

absl::StatusOr<IncidentDetail> IncidentService::Declare(const Principal& caller, NewIncident n) {
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantToActOn(db_, caller, n.tenant_id));
  TF_RETURN_IF_ERROR(ValidTitle(n.title));
  TF_RETURN_IF_ERROR(ValidIncidentSeverity(n.severity));
  if (n.summary && n.summary->size() > 8000) return FieldError("summary", "must be at most 8000 characters");
  int64_t now = clock_.NowMicros();
  int64_t detected = n.detected_at.value_or(now);
  if (detected > now) return FieldError("detected_at", "must not be in the future");
  if (n.impact_started_at && *n.impact_started_at > detected) {
    return FieldError("impact_started_at", "must not be after the detection");
  }
  if (n.event_ids.size() > 100) return FieldError("event_ids", "must list at most 100 events");
  Incident i;
  i.id = NewUuidV7(clock_, rng_);
  i.tenant_id = tenant;
  i.title = std::move(n.title);
  i.summary = std::move(n.summary);
  i.severity = std::move(n.severity);
  i.status = "triage";
  i.impact_started_at = n.impact_started_at;
  i.detected_at = detected;
  i.breach = n.breach;
  if (i.breach) i.breach_aware_at = now;
  i.created_at = i.updated_at = now;
  i.created_by = caller.Actor();
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<IncidentDetail> {
    std::vector<TimelineEntry> lines = {
        Entry(i, "status", StrCat("Declared as ", i.severity, "; in triage"), caller.Actor(), now)};
    if (n.commander && !n.commander->empty()) {
      TF_RETURN_IF_ERROR(CheckUser(tx, tenant, *n.commander, "commander"));
      i.commander = n.commander;
      i.acknowledged_at = now;
      lines.push_back(Entry(i, "commander", StrCat("Commander: user ", *i.commander), caller.Actor(), now));
    }
    if (i.breach) {
      lines.push_back(Entry(i, "breach",
                            StrCat("Flagged as a personal-data breach: the supervisory authority must be notified by ",
                                   FormatRfc3339Exact(*i.breach_aware_at + kBreachNotificationMicros)),
                            caller.Actor(), now));
    }
    TF_RETURN_IF_ERROR(repo_.InsertIncident(tx, i));
    for (const std::string& event_id : n.event_ids) {
      if (!IsUuid(event_id)) return FieldError("event_ids", "must be security event ids");
      absl::StatusOr<SecurityEvent> e = security_repo_.GetEvent(tx, tenant, event_id);
      if (absl::IsNotFound(e.status())) return FieldError("event_ids", "must be security events of the tenant");
      TF_RETURN_IF_ERROR(e.status());
      TF_ASSIGN_OR_RETURN(bool linked, repo_.LinkEvent(tx, tenant, i.id, event_id, now, caller.Actor()));
      if (linked) {
        lines.push_back(Entry(i, "link", StrCat("Linked security event ", event_id, " (", e->type, ")"), caller.Actor(),
                              now));
      }
    }
    for (const TimelineEntry& line : lines) TF_RETURN_IF_ERROR(repo_.InsertTimeline(tx, tenant, line));
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, tenant, audit::Actor::Of(caller),
                                          {"incident.declared", "CREATE", "security_incidents", i.id,
                                           {{"after", AuditView(i)}}}));
    return Detail(tx, i);
  });
}

absl::StatusOr<std::vector<Incident>> IncidentService::List(const Principal& caller, IncidentFilter filter) {
  if (std::optional<std::string> scope = caller.TenantScope()) {
    if (filter.tenant_id && *filter.tenant_id != *scope) return std::vector<Incident>();
    filter.tenant_id = std::move(scope);
  }
  return db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(),
                  [&](store::Transaction& tx) { return repo_.ListIncidents(tx, filter); });
}

absl::StatusOr<IncidentDetail> IncidentService::Get(const Principal& caller, const std::string& id) {
  return db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<IncidentDetail> {
    TF_ASSIGN_OR_RETURN(Incident i, repo_.GetIncident(tx, caller.TenantScope(), id));
    return Detail(tx, std::move(i));
  });
}

template <typename Fn>
absl::StatusOr<IncidentDetail> IncidentService::Change(const Principal& caller, const std::string& id,
                                                       std::string_view audit_type, Fn&& change) {
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<IncidentDetail> {
    TF_ASSIGN_OR_RETURN(Incident i, repo_.GetIncident(tx, caller.TenantScope(), id));
    Incident before = i;
    std::vector<TimelineEntry> lines;
    int64_t now = clock_.NowMicros();
    TF_RETURN_IF_ERROR(change(tx, i, lines, now));
    i.updated_at = now;
    TF_ASSIGN_OR_RETURN(bool applied, repo_.UpdateIncident(tx, i, before.updated_at));
    if (!applied) return absl::AbortedError("the incident changed meanwhile; read it again");
    for (const TimelineEntry& line : lines) TF_RETURN_IF_ERROR(repo_.InsertTimeline(tx, i.tenant_id, line));
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, i.tenant_id, audit::Actor::Of(caller),
                                          {std::string(audit_type), "UPDATE", "security_incidents", i.id,
                                           {{"before", AuditView(before)}, {"after", AuditView(i)}}}));
    return Detail(tx, std::move(i));
  });
}

absl::StatusOr<IncidentDetail> IncidentService::ChangeStatus(const Principal& caller, const std::string& id,
                                                             const std::string& status,
                                                             const std::optional<std::string>& note) {
  if (std::find(std::begin(kIncidentStatuses), std::end(kIncidentStatuses), status) == std::end(kIncidentStatuses)) {
    return FieldError("status", "must be one of triage, investigating, identified, monitoring, resolved, closed");
  }
  if (note && (note->empty() || note->size() > 4000)) return FieldError("note", "must be 1 to 4000 characters");
  return Change(caller, id, "incident.status_changed",
                [&](store::Transaction& tx, Incident& i, std::vector<TimelineEntry>& lines, int64_t now) -> absl::Status {
                  std::string from = i.status;
                  if (!IncidentTransitionAllowed(from, status)) {
                    std::string allowed;
                    for (const std::string& to : IncidentTransitionsFrom(from)) {
                      StrAppend(&allowed, allowed.empty() ? "" : ", ", to);
                    }
                    return WithProblemFields(
                        absl::FailedPreconditionError(StrCat("an incident in ", from, " cannot move to ", status,
                                                             allowed.empty() ? "; it is closed"
                                                                             : StrCat("; it can move to ", allowed))),
                        {{"current_status", from}, {"allowed", IncidentTransitionsFrom(from)}});
                  }
                  if (status == "closed" && NeedsPostmortem(i.severity)) {
                    TF_ASSIGN_OR_RETURN(std::optional<Postmortem> pm, repo_.GetPostmortem(tx, i.id));
                    if (!pm || !pm->Complete()) {
                      return absl::FailedPreconditionError(
                          StrCat("closing a ", i.severity, " incident needs its postmortem, with a summary and a root "
                                 "cause (PUT /api/security/incidents/", i.id, "/postmortem)"));
                    }
                  }
                  if (!i.acknowledged_at) i.acknowledged_at = now;
                  if (status == "investigating" && (from == "resolved")) i.resolved_at.reset();
                  *StampOf(i, status) = now;
                  i.status = status;
                  lines.push_back(Entry(i, "status",
                                        StrCat("Status ", from, " → ", status, note ? StrCat(": ", *note) : ""),
                                        caller.Actor(), now));
                  return absl::OkStatus();
                });
}

absl::StatusOr<IncidentDetail> IncidentService::Update(const Principal& caller, const std::string& id,
                                                       const IncidentChange& c) {
  if (c.title) TF_RETURN_IF_ERROR(ValidTitle(*c.title));
  if (c.severity) TF_RETURN_IF_ERROR(ValidIncidentSeverity(*c.severity));
  if (c.summary && c.summary->size() > 8000) return FieldError("summary", "must be at most 8000 characters");
  if (c.participants && c.participants->size() > kMaxParticipants) {
    return FieldError("participants", StrCat("must list at most ", kMaxParticipants, " users"));
  }
  if (c.breach_report) {
    if (!c.breach_report->is_object()) return FieldError("breach_report", "must be an object");
    for (const auto& [key, value] : c.breach_report->items()) {
      if (std::find(std::begin(kBreachReportFields), std::end(kBreachReportFields), key) ==
          std::end(kBreachReportFields)) {
        return FieldError("breach_report", StrCat("'", key.substr(0, 32), "' is not part of an Art. 33 notification "
                                                  "(nature, data_subjects, records, contact, consequences, measures)"));
      }
      if (!value.is_string() || value.get<std::string>().size() > 4000) {
        return FieldError("breach_report", "values must be text of at most 4000 characters");
      }
    }
  }
  return Change(caller, id, "incident.updated",
                [&](store::Transaction& tx, Incident& i, std::vector<TimelineEntry>& lines, int64_t now) -> absl::Status {
                  const std::string actor = caller.Actor();
                  if (c.title) i.title = *c.title;
                  if (c.summary) i.summary = *c.summary;
                  if (c.severity && *c.severity != i.severity) {
                    lines.push_back(Entry(i, "severity", StrCat("Severity ", i.severity, " → ", *c.severity), actor, now));
                    i.severity = *c.severity;
                  }
                  if (c.commander && *c.commander != i.commander.value_or("")) {
                    if (c.commander->empty()) {
                      i.commander.reset();
                      lines.push_back(Entry(i, "commander", "Commander unassigned", actor, now));
                    } else {
                      TF_RETURN_IF_ERROR(CheckUser(tx, i.tenant_id, *c.commander, "commander"));
                      i.commander = *c.commander;
                      if (!i.acknowledged_at) i.acknowledged_at = now;
                      lines.push_back(Entry(i, "commander", StrCat("Commander: user ", *c.commander), actor, now));
                    }
                  }
                  if (c.participants) {
                    std::set<std::string> before(i.participants.begin(), i.participants.end());
                    std::set<std::string> after(c.participants->begin(), c.participants->end());
                    std::string added, removed;
                    for (const std::string& u : after) {
                      if (before.contains(u)) continue;
                      TF_RETURN_IF_ERROR(CheckUser(tx, i.tenant_id, u, "participants"));
                      StrAppend(&added, added.empty() ? "" : ", ", u);
                    }
                    for (const std::string& u : before) {
                      if (!after.contains(u)) StrAppend(&removed, removed.empty() ? "" : ", ", u);
                    }
                    if (!added.empty()) lines.push_back(Entry(i, "participant", StrCat("Joined: ", added), actor, now));
                    if (!removed.empty()) lines.push_back(Entry(i, "participant", StrCat("Left: ", removed), actor, now));
                    i.participants.assign(after.begin(), after.end());
                  }
                  if (c.detected_at) {
                    if (*c.detected_at > now) return FieldError("detected_at", "must not be in the future");
                    i.detected_at = *c.detected_at;
                    lines.push_back(Entry(i, "note", StrCat("Detection time set to ", FormatRfc3339Exact(i.detected_at)),
                                          actor, now));
                  }
                  if (c.impact_started_at) {
                    i.impact_started_at = *c.impact_started_at;
                    lines.push_back(Entry(i, "note", StrCat("Impact start set to ", FormatRfc3339Exact(*i.impact_started_at)),
                                          actor, now));
                  }
                  if (i.impact_started_at && *i.impact_started_at > i.detected_at) {
                    return FieldError("impact_started_at", "must not be after the detection");
                  }
                  if (c.breach && *c.breach != i.breach) {
                    i.breach = *c.breach;
                    if (i.breach) {
                      i.breach_aware_at = c.breach_aware_at.value_or(now);
                      lines.push_back(Entry(i, "breach",
                                            StrCat("Flagged as a personal-data breach: the supervisory authority must be "
                                                   "notified by ",
                                                   FormatRfc3339Exact(*i.breach_aware_at + kBreachNotificationMicros)),
                                            actor, now));
                    } else {
                      if (i.authority_notified_at) {
                        return absl::FailedPreconditionError("the authority was notified of this breach; it stays one");
                      }
                      i.breach_aware_at.reset();
                      lines.push_back(Entry(i, "breach", "No longer treated as a personal-data breach", actor, now));
                    }
                  } else if (c.breach_aware_at) {
                    if (!i.breach) return FieldError("breach_aware_at", "is for personal-data breaches");
                    i.breach_aware_at = *c.breach_aware_at;
                    lines.push_back(Entry(i, "breach",
                                          StrCat("Became aware of the breach at ", FormatRfc3339Exact(*i.breach_aware_at),
                                                 "; notification due by ",
                                                 FormatRfc3339Exact(*i.breach_aware_at + kBreachNotificationMicros)),
                                          actor, now));
                  }
                  if (i.breach_aware_at && *i.breach_aware_at > now) {
                    return FieldError("breach_aware_at", "must not be in the future");
                  }
                  if (c.breach_report) {
                    if (!i.breach) return FieldError("breach_report", "is for personal-data breaches");
                    if (!i.breach_report.is_object()) i.breach_report = json::object();
                    for (const auto& [key, value] : c.breach_report->items()) i.breach_report[key] = value;
                  }
                  if (c.notification) {
                    const IncidentChange::Notification& n = *c.notification;
                    if (!i.breach) return FieldError("notification", "is for personal-data breaches");
                    if (i.authority_notified_at) return absl::FailedPreconditionError("the authority was already notified");
                    if (n.authority.empty() || n.authority.size() > 256) {
                      return FieldError("notification.authority", "must be 1 to 256 characters");
                    }
                    if (n.notified_at > now || n.notified_at < *i.breach_aware_at) {
                      return FieldError("notification.notified_at", "must be between becoming aware and now");
                    }
                    bool late = n.notified_at > *i.breach_aware_at + kBreachNotificationMicros;
                    if (late && (!n.late_reason || n.late_reason->empty())) {
                      return FieldError("notification.late_reason",
                                        "is required: the notification is more than 72 hours after becoming aware "
                                        "(GDPR Art. 33(1))");
                    }
                    i.authority = n.authority;
                    i.authority_notified_at = n.notified_at;
                    i.authority_reference = n.reference;
                    i.late_reason = n.late_reason;
                    lines.push_back(Entry(i, "notification",
                                          StrCat("Supervisory authority ", n.authority, " notified",
                                                 n.reference ? StrCat(" (reference ", *n.reference, ")") : "",
                                                 late ? StrCat(", late: ", *n.late_reason) : ""),
                                          actor, n.notified_at));
                  }
                  return absl::OkStatus();
                });
}

absl::StatusOr<IncidentDetail> IncidentService::AddNote(const Principal& caller, const std::string& id,
                                                        const std::string& text, std::optional<int64_t> at) {
  if (text.empty() || text.size() > 4000) return FieldError("text", "must be 1 to 4000 characters");
  return Change(caller, id, "incident.noted",
                [&](store::Transaction&, Incident& i, std::vector<TimelineEntry>& lines, int64_t now) -> absl::Status {
                  if (at && *at > now) return FieldError("at", "must not be in the future");
                  lines.push_back(Entry(i, "note", text, caller.Actor(), at.value_or(now)));
                  return absl::OkStatus();
                });
}

absl::StatusOr<IncidentDetail> IncidentService::LinkEvent(const Principal& caller, const std::string& id,
                                                          const std::string& event_id) {
  if (!IsUuid(event_id)) return FieldError("event_id", "must be a security event id");
  return Change(caller, id, "incident.event_linked",
                [&](store::Transaction& tx, Incident& i, std::vector<TimelineEntry>& lines, int64_t now) -> absl::Status {
                  absl::StatusOr<SecurityEvent> e = security_repo_.GetEvent(tx, i.tenant_id, event_id);
                  if (absl::IsNotFound(e.status())) return FieldError("event_id", "is not a security event of the tenant");
                  TF_RETURN_IF_ERROR(e.status());
                  TF_ASSIGN_OR_RETURN(bool linked, repo_.LinkEvent(tx, i.tenant_id, i.id, event_id, now, caller.Actor()));
                  if (!linked) return absl::FailedPreconditionError("the event is already linked to this incident");
                  lines.push_back(Entry(i, "link", StrCat("Linked security event ", event_id, " (", e->type, ")"),
                                        caller.Actor(), now));
                  return absl::OkStatus();
                });
}

absl::StatusOr<IncidentDetail> IncidentService::PutPostmortem(const Principal& caller, const std::string& id,
                                                              Postmortem p) {
  return Change(caller, id, "incident.postmortem_updated",
                [&](store::Transaction& tx, Incident& i, std::vector<TimelineEntry>& lines, int64_t now) -> absl::Status {
                  TF_ASSIGN_OR_RETURN(std::optional<Postmortem> existing, repo_.GetPostmortem(tx, i.id));
                  p.incident_id = i.id;
                  p.updated_at = now;
                  p.updated_by = caller.Actor();
                  TF_RETURN_IF_ERROR(repo_.PutPostmortem(tx, i.tenant_id, p));
                  lines.push_back(Entry(i, "postmortem", existing ? "Postmortem updated" : "Postmortem started",
                                        caller.Actor(), now));
                  return absl::OkStatus();
                });
}

absl::StatusOr<IncidentMetricsReport> IncidentService::Metrics(const Principal& caller,
                                                               const std::optional<std::string>& tenant_id,
                                                               int64_t from, int64_t to) {
  IncidentFilter f;
  f.tenant_id = tenant_id;
  f.from = from;
  f.to = to;
  f.limit = kMaxMetricsIncidents;
  TF_ASSIGN_OR_RETURN(std::vector<Incident> incidents, List(caller, f));
  IncidentMetricsReport report;
  report.from = from;
  report.to = to;
  struct Acc {
    SeverityMetrics m;
    std::vector<int64_t> mttd, mtta, mttr;
  };
  std::map<std::string, Acc> by;
  for (std::string_view s : kIncidentSeverities) by[std::string(s)].m.severity = std::string(s);
  std::map<std::string, std::vector<int64_t>> weeks;
  for (const Incident& i : incidents) {
    Acc& a = by[i.severity];
    IncidentMetrics m = MetricsOf(i);
    a.m.incidents++;
    bool active = i.status != "resolved" && i.status != "closed";
    if (active) {
      a.m.active++;
      report.active++;
    } else {
      a.m.resolved++;
    }
    if (m.mttd_seconds) a.mttd.push_back(*m.mttd_seconds);
    if (m.mtta_seconds) a.mtta.push_back(*m.mtta_seconds);
    if (m.mttr_seconds) {
      a.mttr.push_back(*m.mttr_seconds);
      weeks[MondayOf(i.detected_at)].push_back(*m.mttr_seconds);
    }
    for (const std::string& b : Breaches(i)) {
      (b == "mttd" ? a.m.mttd_breaches : b == "mtta" ? a.m.mtta_breaches : a.m.mttr_breaches)++;
    }
  }
  for (std::string_view s : kIncidentSeverities) {
    Acc& a = by[std::string(s)];
    a.m.mean_mttd = Mean(a.mttd);
    a.m.mean_mtta = Mean(a.mtta);
    a.m.mean_mttr = Mean(a.mttr);
    a.m.targets = TargetsOf(s);
    report.by_severity.push_back(a.m);
  }
  for (const auto& [week, values] : weeks) {
    report.mttr_by_week.push_back({week, static_cast<int64_t>(values.size()), Mean(values)});
  }
  return report;
}

}  // namespace tf::security
