#include "modules/security/security_repo.h"

#include "core/status.h"
#include "core/strings.h"
#include "nlohmann/json.hpp"
#include "store/where.h"

namespace tf::security {

namespace {

using nlohmann::json;
using store::OptInt;
using store::OptText;

constexpr std::string_view kEventColumns =
    "id, tenant_id, type, severity, status, source, rule, dedup_key, description, affected_resources, "
    "affected_users, metadata, assignee, resolution_notes, occurrences, first_seen_at, last_seen_at, reported_to, "
    "reported_at, report_reference, created_at, created_by, updated_at, status_changed_at, resolved_at";

std::string ResourcesText(const std::vector<AffectedResource>& resources) {
  json out = json::array();
  for (const AffectedResource& r : resources) out.push_back({{"type", r.type}, {"id", r.id}});
  return out.dump();
}

std::vector<AffectedResource> ParseResources(const std::string& text) {
  std::vector<AffectedResource> out;
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_array()) return out;
  for (const json& r : parsed) {
    if (r.is_object() && r.contains("type") && r["type"].is_string() && r.contains("id") && r["id"].is_string()) {
      out.push_back({r["type"].get<std::string>(), r["id"].get<std::string>()});
    }
  }
  return out;
}

SecurityEvent EventFromRow(const store::Row& r) {
  SecurityEvent e;
  e.id = r.Text(0);
  e.tenant_id = r.Text(1);
  e.type = r.Text(2);
  e.severity = r.Text(3);
  e.status = r.Text(4);
  e.source = r.Text(5);
  e.rule = r.OptText(6);
  e.dedup_key = r.OptText(7);
  e.description = r.Text(8);
  e.affected_resources = ParseResources(r.Text(9));
  e.affected_users = JsonStrings(r.Text(10));
  e.metadata = r.Text(11);
  e.assignee = r.OptText(12);
  e.resolution_notes = r.OptText(13);
  e.occurrences = r.Int(14);
  e.first_seen_at = r.Int(15);
  e.last_seen_at = r.Int(16);
  e.reported_to = r.OptText(17);
  e.reported_at = r.OptInt(18);
  e.report_reference = r.OptText(19);
  e.created_at = r.Int(20);
  e.created_by = r.Text(21);
  e.updated_at = r.Int(22);
  e.status_changed_at = r.Int(23);
  e.resolved_at = r.OptInt(24);
  return e;
}

RuleSetting SettingFromRow(const store::Row& r) {
  RuleSetting s;
  s.tenant_id = r.Text(0);
  s.rule = r.Text(1);
  if (std::optional<int64_t> enabled = r.OptInt(2)) s.enabled = *enabled != 0;
  s.threshold = r.OptInt(3);
  s.window_seconds = r.OptInt(4);
  s.severity = r.OptText(5);
  s.working_hours = r.OptText(6);
  s.updated_at = r.Int(7);
  s.updated_by = r.Text(8);
  return s;
}

}  // namespace

absl::StatusOr<bool> SecurityRepo::TenantExists(Tx& tx, const std::string& tenant_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT 1 FROM tenants WHERE id = ?", {tenant_id}));
  return !rows.empty();
}

absl::StatusOr<std::optional<std::string>> SecurityRepo::TenantIdBySlug(Tx& tx, std::string_view slug) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT id FROM tenants WHERE slug = ?", {std::string(slug)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.front().Text(0));
}

absl::StatusOr<bool> SecurityRepo::UserInTenant(Tx& tx, const std::string& tenant_id, const std::string& user_id) {
  TF_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT 1 FROM users WHERE id = ? AND tenant_id = ? AND "
                                                 "erased_at IS NULL",
                                                 {user_id, tenant_id}));
  return !rows.empty();
}

absl::Status SecurityRepo::InsertEvent(Tx& tx, const SecurityEvent& e) {
  return tx.Exec(StrCat("INSERT INTO security_events (", kEventColumns,
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {e.id, e.tenant_id, e.type, e.severity, e.status, e.source, OptText(e.rule), OptText(e.dedup_key),
                  e.description, ResourcesText(e.affected_resources), json(e.affected_users).dump(), e.metadata,
                  OptText(e.assignee), OptText(e.resolution_notes), e.occurrences, e.first_seen_at, e.last_seen_at,
                  OptText(e.reported_to), OptInt(e.reported_at), OptText(e.report_reference), e.created_at,
                  e.created_by, e.updated_at, e.status_changed_at, OptInt(e.resolved_at)})
      .status();
}

absl::StatusOr<SecurityEvent> SecurityRepo::GetEvent(Tx& tx, const std::optional<std::string>& tenant_scope,
                                                     const std::string& id) {
  store::Where where;
  where.Add("id = ?", id);
  where.AddIf("tenant_id = ?", tenant_scope);
  TF_ASSIGN_OR_RETURN(std::vector<SecurityEvent> found,
                      store::SelectRows(tx, kEventColumns, "security_events", where, "", EventFromRow));
  if (found.empty()) return absl::NotFoundError("no such security event");
  return std::move(found.front());
}

absl::StatusOr<std::vector<SecurityEvent>> SecurityRepo::ListEvents(Tx& tx, const EventFilter& f) {
  store::Where where;
  where.AddIf("tenant_id = ?", f.tenant_id);
  where.AddIf("status = ?", f.status);
  where.AddIf("severity = ?", f.severity);
  where.AddIf("type = ?", f.type);
  where.AddIf("source = ?", f.source);
  where.AddIf("rule = ?", f.rule);
  where.AddIf("assignee = ?", f.assignee);
  where.AddIf("created_at >= ?", f.from);
  where.AddIf("created_at < ?", f.to);
  where.AddIf("id < ?", f.before_id);
  return store::SelectRows(tx, kEventColumns, "security_events", where, store::OrderByIdLimit(f.limit, true),
                           EventFromRow);
}

absl::StatusOr<bool> SecurityRepo::UpdateEvent(Tx& tx, const SecurityEvent& e, std::string_view expected_status) {
  TF_ASSIGN_OR_RETURN(
      int64_t changed,
      tx.Exec("UPDATE security_events SET severity = ?, status = ?, description = ?, affected_resources = ?, "
              "affected_users = ?, metadata = ?, assignee = ?, resolution_notes = ?, occurrences = ?, "
              "last_seen_at = ?, reported_to = ?, reported_at = ?, report_reference = ?, updated_at = ?, "
              "status_changed_at = ?, resolved_at = ? WHERE id = ? AND tenant_id = ? AND status = ?",
              {e.severity, e.status, e.description, ResourcesText(e.affected_resources), json(e.affected_users).dump(),
               e.metadata, OptText(e.assignee), OptText(e.resolution_notes), e.occurrences, e.last_seen_at,
               OptText(e.reported_to), OptInt(e.reported_at), OptText(e.report_reference), e.updated_at,
               e.status_changed_at, OptInt(e.resolved_at), e.id, e.tenant_id, std::string(expected_status)}));
  return changed == 1;
}

absl::StatusOr<std::optional<SecurityEvent>> SecurityRepo::OpenEventFor(Tx& tx, const std::string& tenant_id,
                                                                        const std::string& rule,
                                                                        const std::string& key) {
  store::Where where;
  where.Add("tenant_id = ?", tenant_id);
  where.Add("rule = ?", rule);
  where.Add("dedup_key = ?", key);
  StrAppend(&where.sql, " AND status IN ('open', 'investigating')");
  TF_ASSIGN_OR_RETURN(std::vector<SecurityEvent> found,
                      store::SelectRows(tx, kEventColumns, "security_events", where, "", EventFromRow));
  if (found.empty()) return std::optional<SecurityEvent>();
  return std::optional<SecurityEvent>(std::move(found.front()));
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> SecurityRepo::OpenBySeverity(
    Tx& tx, const std::optional<std::string>& tenant_id) {
  store::Where where;
  where.AddIf("tenant_id = ?", tenant_id);
  StrAppend(&where.sql, " AND status IN ('open', 'investigating')");
  return store::SelectRows(tx, "severity, COUNT(*)", "security_events", where, " GROUP BY severity",
                           [](const store::Row& r) { return std::make_pair(r.Text(0), r.Int(1)); });
}

absl::Status SecurityRepo::InsertTransition(Tx& tx, const std::string& tenant_id, const EventTransition& t) {
  return tx.Exec("INSERT INTO security_event_transitions (id, tenant_id, event_id, from_status, to_status, actor, "
                 "note, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 {t.id, tenant_id, t.event_id, OptText(t.from_status), t.to_status, t.actor, OptText(t.note), t.at})
      .status();
}

absl::StatusOr<std::vector<EventTransition>> SecurityRepo::Transitions(Tx& tx, const std::string& event_id) {
  store::Where where;
  where.Add("event_id = ?", event_id);
  return store::SelectRows(tx, "id, event_id, from_status, to_status, actor, note, at", "security_event_transitions",
                           where, " ORDER BY id", [](const store::Row& r) {
                             return EventTransition{r.Text(0), r.Text(1), r.OptText(2), r.Text(3),
                                                    r.Text(4), r.OptText(5), r.Int(6)};
                           });
}

absl::StatusOr<std::vector<RuleSetting>> SecurityRepo::RuleSettings(Tx& tx,
                                                                    const std::optional<std::string>& tenant_id) {
  store::Where where;
  where.AddIf("tenant_id = ?", tenant_id);
  return store::SelectRows(tx,
                           "tenant_id, rule, enabled, threshold, window_seconds, severity, working_hours, updated_at, "
                           "updated_by",
                           "security_rule_settings", where, " ORDER BY tenant_id, rule", SettingFromRow);
}

absl::Status SecurityRepo::PutRuleSetting(Tx& tx, const RuleSetting& s) {
  store::Value enabled = s.enabled ? store::Value(int64_t{*s.enabled ? 1 : 0}) : store::Value(nullptr);
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      tx.Exec("UPDATE security_rule_settings SET enabled = ?, threshold = ?, window_seconds = ?, "
                              "severity = ?, working_hours = ?, updated_at = ?, updated_by = ? "
                              "WHERE tenant_id = ? AND rule = ?",
                              {enabled, OptInt(s.threshold), OptInt(s.window_seconds), OptText(s.severity),
                               OptText(s.working_hours), s.updated_at, s.updated_by, s.tenant_id, s.rule}));
  if (changed == 1) return absl::OkStatus();
  return tx.Exec("INSERT INTO security_rule_settings (tenant_id, rule, enabled, threshold, window_seconds, severity, "
                 "working_hours, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {s.tenant_id, s.rule, enabled, OptInt(s.threshold), OptInt(s.window_seconds), OptText(s.severity),
                  OptText(s.working_hours), s.updated_at, s.updated_by})
      .status();
}

absl::StatusOr<std::pair<int64_t, int64_t>> SecurityRepo::Cursor(Tx& tx) {
  TF_ASSIGN_OR_RETURN(store::Row row, tx.QueryOne("SELECT next_leaf_index, updated_at FROM security_detection_cursor "
                                                  "WHERE id = 1",
                                                  {}, "detection cursor"));
  return std::make_pair(row.Int(0), row.Int(1));
}

absl::StatusOr<bool> SecurityRepo::AdvanceCursor(Tx& tx, int64_t expected, int64_t next, int64_t now) {
  TF_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE security_detection_cursor SET next_leaf_index = ?, "
                                               "updated_at = ? WHERE id = 1 AND next_leaf_index = ?",
                                               {next, now, expected}));
  return changed == 1;
}

std::vector<std::string> JsonStrings(std::string_view text) {
  std::vector<std::string> out;
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_array()) return out;
  for (const json& s : parsed) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::string> TenantToActOn(store::Database& db, const Principal& caller,
                                          const std::optional<std::string>& requested) {
  if (!requested) return caller.tenant_id;
  if (!caller.IsPlatform() && *requested != caller.tenant_id) return absl::NotFoundError("no such tenant");
  SecurityRepo repo;
  TF_ASSIGN_OR_RETURN(bool exists,
                      db.InTx(store::ReadTx(), [&](store::Transaction& tx) { return repo.TenantExists(tx, *requested); }));
  if (!exists) return absl::NotFoundError("no such tenant");
  return *requested;
}

}  // namespace tf::security
