#include "modules/security/incident_repo.h"

#include "core/status.h"
#include "modules/security/security_repo.h"
#include "core/strings.h"
#include "store/where.h"

namespace tf::security {

namespace {

using nlohmann::json;
using store::OptInt;
using store::OptText;

constexpr std::string_view kIncidentColumns =
    "id, tenant_id, title, summary, severity, status, commander, participants, impact_started_at, detected_at, "
    "acknowledged_at, investigating_at, identified_at, monitoring_at, resolved_at, closed_at, breach, "
    "breach_aware_at, breach_report, authority_notified_at, authority, authority_reference, late_reason, created_at, "
    "created_by, updated_at";

json ParseOr(const std::optional<std::string>& text, json fallback) {
  if (!text) return fallback;
  json j = json::parse(*text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

Incident IncidentFromRow(const store::Row& r) {
  Incident i;
  i.id = r.Text(0);
  i.tenant_id = r.Text(1);
  i.title = r.Text(2);
  i.summary = r.OptText(3);
  i.severity = r.Text(4);
  i.status = r.Text(5);
  i.commander = r.OptText(6);
  i.participants = JsonStrings(r.Text(7));
  i.impact_started_at = r.OptInt(8);
  i.detected_at = r.Int(9);
  i.acknowledged_at = r.OptInt(10);
  i.investigating_at = r.OptInt(11);
  i.identified_at = r.OptInt(12);
  i.monitoring_at = r.OptInt(13);
  i.resolved_at = r.OptInt(14);
  i.closed_at = r.OptInt(15);
  i.breach = r.Int(16) != 0;
  i.breach_aware_at = r.OptInt(17);
  i.breach_report = ParseOr(r.OptText(18), json::object());
  i.authority_notified_at = r.OptInt(19);
  i.authority = r.OptText(20);
  i.authority_reference = r.OptText(21);
  i.late_reason = r.OptText(22);
  i.created_at = r.Int(23);
  i.created_by = r.Text(24);
  i.updated_at = r.Int(25);
  return i;
}

//! The mutable columns, in kIncidentColumns order from `summary` on (the UPDATE's SET list).
store::Params Mutable(const Incident& i) {
  return {i.title,
          OptText(i.summary),
          i.severity,
          i.status,
          OptText(i.commander),
          json(i.participants).dump(),
          OptInt(i.impact_started_at),
          i.detected_at,
          OptInt(i.acknowledged_at),
          OptInt(i.investigating_at),
          OptInt(i.identified_at),
          OptInt(i.monitoring_at),
          OptInt(i.resolved_at),
          OptInt(i.closed_at),
          int64_t{i.breach ? 1 : 0},
          OptInt(i.breach_aware_at),
          i.breach_report.empty() ? store::Value(nullptr) : store::Value(i.breach_report.dump()),
          OptInt(i.authority_notified_at),
          OptText(i.authority),
          OptText(i.authority_reference),
          OptText(i.late_reason),
          i.updated_at};
}

}  // namespace

absl::Status IncidentRepo::InsertIncident(Tx& tx, const Incident& i) {
  store::Params params = {i.id, i.tenant_id};
  for (store::Value& v : Mutable(i)) params.push_back(std::move(v));
  params.push_back(i.created_at);
  params.push_back(i.created_by);
  return tx.Exec("INSERT INTO security_incidents (id, tenant_id, title, summary, severity, status, commander, "
                 "participants, impact_started_at, detected_at, acknowledged_at, investigating_at, identified_at, "
                 "monitoring_at, resolved_at, closed_at, breach, breach_aware_at, breach_report, "
                 "authority_notified_at, authority, authority_reference, late_reason, updated_at, created_at, "
                 "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 params)
      .status();
}

absl::StatusOr<Incident> IncidentRepo::GetIncident(Tx& tx, const std::optional<std::string>& tenant_scope,
                                                   const std::string& id) {
  store::Where where;
  where.Add("id = ?", id);
  where.AddIf("tenant_id = ?", tenant_scope);
  TF_ASSIGN_OR_RETURN(std::vector<Incident> found,
                      store::SelectRows(tx, kIncidentColumns, "security_incidents", where, "", IncidentFromRow));
  if (found.empty()) return absl::NotFoundError("no such incident");
  return std::move(found.front());
}

absl::StatusOr<std::vector<Incident>> IncidentRepo::ListIncidents(Tx& tx, const IncidentFilter& f) {
  store::Where where;
  where.AddIf("tenant_id = ?", f.tenant_id);
  where.AddIf("status = ?", f.status);
  where.AddIf("severity = ?", f.severity);
  if (f.breach) where.Add("breach = ?", int64_t{*f.breach ? 1 : 0});
  if (f.active) {
    StrAppend(&where.sql, *f.active ? " AND status NOT IN ('resolved', 'closed')" : " AND status IN ('resolved', 'closed')");
  }
  where.AddIf("detected_at >= ?", f.from);
  where.AddIf("detected_at < ?", f.to);
  where.AddIf("id < ?", f.before_id);
  return store::SelectRows(tx, kIncidentColumns, "security_incidents", where, store::OrderByIdLimit(f.limit, true),
                           IncidentFromRow);
}

absl::StatusOr<bool> IncidentRepo::UpdateIncident(Tx& tx, const Incident& i, int64_t expected_updated_at) {
  store::Params params = Mutable(i);
  params.push_back(i.id);
  params.push_back(i.tenant_id);
  params.push_back(expected_updated_at);
  TF_ASSIGN_OR_RETURN(
      int64_t changed,
      tx.Exec("UPDATE security_incidents SET title = ?, summary = ?, severity = ?, status = ?, commander = ?, "
              "participants = ?, impact_started_at = ?, detected_at = ?, acknowledged_at = ?, investigating_at = ?, "
              "identified_at = ?, monitoring_at = ?, resolved_at = ?, closed_at = ?, breach = ?, breach_aware_at = ?, "
              "breach_report = ?, authority_notified_at = ?, authority = ?, authority_reference = ?, late_reason = ?, "
              "updated_at = ? WHERE id = ? AND tenant_id = ? AND updated_at = ?",
              params));
  return changed == 1;
}

absl::Status IncidentRepo::InsertTimeline(Tx& tx, const std::string& tenant_id, const TimelineEntry& e) {
  TF_ASSIGN_OR_RETURN(store::Row count, tx.QueryOne("SELECT COUNT(*) FROM security_incident_timeline WHERE "
                                                    "incident_id = ?",
                                                    {e.incident_id}, "timeline length"));
  return tx.Exec("INSERT INTO security_incident_timeline (id, tenant_id, incident_id, kind, text, actor, at, "
                 "recorded_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {e.id, tenant_id, e.incident_id, e.kind, e.text, e.actor, e.at, e.recorded_at, count.Int(0)})
      .status();
}

absl::StatusOr<std::vector<TimelineEntry>> IncidentRepo::Timeline(Tx& tx, const std::string& incident_id) {
  store::Where where;
  where.Add("incident_id = ?", incident_id);
  return store::SelectRows(tx, "id, incident_id, kind, text, actor, at, recorded_at", "security_incident_timeline",
                           where, " ORDER BY at, seq", [](const store::Row& r) {
                             return TimelineEntry{r.Text(0), r.Text(1), r.Text(2), r.Text(3),
                                                  r.Text(4), r.Int(5),  r.Int(6)};
                           });
}

absl::StatusOr<bool> IncidentRepo::LinkEvent(Tx& tx, const std::string& tenant_id, const std::string& incident_id,
                                             const std::string& event_id, int64_t at, const std::string& by) {
  TF_ASSIGN_OR_RETURN(store::Rows existing, tx.Query("SELECT 1 FROM security_incident_events WHERE incident_id = ? "
                                                     "AND event_id = ?",
                                                     {incident_id, event_id}));
  if (!existing.empty()) return false;
  TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO security_incident_events (incident_id, event_id, tenant_id, linked_at, "
                             "linked_by) VALUES (?, ?, ?, ?, ?)",
                             {incident_id, event_id, tenant_id, at, by})
                         .status());
  return true;
}

absl::StatusOr<std::vector<std::string>> IncidentRepo::LinkedEvents(Tx& tx, const std::string& incident_id) {
  store::Where where;
  where.Add("incident_id = ?", incident_id);
  return store::SelectRows(tx, "event_id", "security_incident_events", where, " ORDER BY linked_at, event_id",
                           [](const store::Row& r) { return r.Text(0); });
}

absl::StatusOr<std::optional<Postmortem>> IncidentRepo::GetPostmortem(Tx& tx, const std::string& incident_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT document, updated_at, updated_by FROM security_postmortems "
                                                 "WHERE incident_id = ?",
                                                 {incident_id}));
  if (rows.empty()) return std::optional<Postmortem>();
  absl::StatusOr<Postmortem> p = PostmortemFromJson(ParseOr(rows.front().Text(0), json::object()));
  if (!p.ok()) return absl::InternalError(StrCat("stored postmortem of ", incident_id, ": ", p.status().message()));
  p->incident_id = incident_id;
  p->updated_at = rows.front().Int(1);
  p->updated_by = rows.front().Text(2);
  return std::optional<Postmortem>(std::move(*p));
}

absl::Status IncidentRepo::PutPostmortem(Tx& tx, const std::string& tenant_id, const Postmortem& p) {
  std::string document = p.Json().dump();
  TF_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE security_postmortems SET document = ?, updated_at = ?, "
                                               "updated_by = ? WHERE incident_id = ?",
                                               {document, p.updated_at, p.updated_by, p.incident_id}));
  if (changed == 1) return absl::OkStatus();
  return tx.Exec("INSERT INTO security_postmortems (incident_id, tenant_id, document, updated_at, updated_by) "
                 "VALUES (?, ?, ?, ?, ?)",
                 {p.incident_id, tenant_id, document, p.updated_at, p.updated_by})
      .status();
}

}  // namespace tf::security
