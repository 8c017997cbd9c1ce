#include "modules/security/event_service.h"

#include <algorithm>

#include "core/errors.h"
#include "core/ids.h"
#include "core/redact.h"
#include "core/status.h"
#include "core/strings.h"

namespace tf::security {

namespace {

using nlohmann::json;

bool IsTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

absl::Status ValidText(std::string_view field, std::string_view text, size_t max) {
  if (text.empty() || text.size() > max) return FieldError(field, StrCat("must be 1 to ", max, " characters"));
  return absl::OkStatus();
}

absl::Status ValidAffected(const std::vector<AffectedResource>& resources, const std::vector<std::string>& users) {
  if (resources.size() > EventService::kMaxAffected) {
    return FieldError("affected_resources", StrCat("must have at most ", EventService::kMaxAffected, " items"));
  }
  for (const AffectedResource& r : resources) {
    if (r.type.empty() || r.type.size() > 64 || r.id.empty() || r.id.size() > 256) {
      return FieldError("affected_resources", "each item needs a type (1 to 64 characters) and an id (1 to 256)");
    }
  }
  if (users.size() > EventService::kMaxAffected) {
    return FieldError("affected_users", StrCat("must have at most ", EventService::kMaxAffected, " items"));
  }
  for (const std::string& u : users) {
    if (!IsUuid(u)) return FieldError("affected_users", "must be user ids");
  }
  return absl::OkStatus();
}

//! What the audit trail keeps of an event: never its description or metadata, which may
//! quote what it is about.
json AuditView(const SecurityEvent& e) {
  return {{"type", e.type},         {"severity", e.severity},   {"status", e.status},
          {"source", e.source},     {"rule", e.rule ? json(*e.rule) : json(nullptr)},
          {"assignee", e.assignee ? json(*e.assignee) : json(nullptr)},
          {"reported_to", e.reported_to ? json(*e.reported_to) : json(nullptr)}};
}

}  // namespace

absl::Status ValidSeverity(std::string_view field, std::string_view severity) {
  for (std::string_view s : kSeverities) {
    if (s == severity) return absl::OkStatus();
  }
  return FieldError(field, "must be one of low, medium, high, critical");
}

absl::Status ValidEventType(std::string_view field, std::string_view type) {
  if (type.empty() || type.size() > 64 || !std::all_of(type.begin(), type.end(), IsTypeChar)) {
    return FieldError(field, "must be 1 to 64 lower-case letters, digits, '_', '.' or '-'");
  }
  return absl::OkStatus();
}

EventService::EventService(store::Database& db, audit::AuditLog& audit, const Clock& clock, Rng& rng)
    : db_(db), audit_(audit), clock_(clock), rng_(rng) {}

EventTransition EventService::Transition(const SecurityEvent& e, std::optional<std::string> from, std::string actor,
                                         std::optional<std::string> note, int64_t now) {
  return {NewUuidV7(clock_, rng_), e.id, std::move(from), e.status, std::move(actor), std::move(note), now};
}

absl::StatusOr<SecurityEvent> EventService::Report(const Principal& caller, NewEvent n) {
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantToActOn(db_, caller, n.tenant_id));
  TF_RETURN_IF_ERROR(ValidEventType("type", n.type));
  TF_RETURN_IF_ERROR(ValidSeverity("severity", n.severity));
  TF_RETURN_IF_ERROR(ValidText("description", n.description, 4000));
  if (n.source) {
    TF_RETURN_IF_ERROR(ValidText("source", *n.source, 128));
    if (*n.source == kDetectionSource) return FieldError("source", "'detection' is reserved for detection rules");
  }
  if (!n.metadata.is_object()) return FieldError("metadata", "must be an object");
  TF_RETURN_IF_ERROR(ValidAffected(n.affected_resources, n.affected_users));

  int64_t now = clock_.NowMicros();
  SecurityEvent e;
  e.id = NewUuidV7(clock_, rng_);
  e.tenant_id = tenant;
  e.type = std::move(n.type);
  e.severity = std::move(n.severity);
  e.status = std::string(kOpen);
  e.source = n.source.value_or(caller.kind == Principal::Kind::kApiToken ? "service" : "manual");
  e.description = std::move(n.description);
  e.affected_resources = std::move(n.affected_resources);
  e.affected_users = std::move(n.affected_users);
  e.metadata = RedactJson(n.metadata).dump();
  e.first_seen_at = e.last_seen_at = e.created_at = e.updated_at = e.status_changed_at = now;
  e.created_by = caller.Actor();
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(repo_.InsertEvent(tx, e));
    TF_RETURN_IF_ERROR(repo_.InsertTransition(tx, tenant, Transition(e, std::nullopt, e.created_by, std::nullopt, now)));
    return audit_.RecordEvent(tx, tenant, audit::Actor::Of(caller),
                              {"security_event.reported", "CREATE", "security_events", e.id, {{"after", AuditView(e)}}});
  }));
  return e;
}

absl::StatusOr<std::vector<SecurityEvent>> EventService::List(const Principal& caller, EventFilter filter) {
  if (std::optional<std::string> scope = caller.TenantScope()) {
    if (filter.tenant_id && *filter.tenant_id != *scope) return std::vector<SecurityEvent>();
    filter.tenant_id = std::move(scope);
  }
  return db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(),
                  [&](store::Transaction& tx) { return repo_.ListEvents(tx, filter); });
}

absl::StatusOr<EventDetail> EventService::Get(const Principal& caller, const std::string& id) {
  return db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<EventDetail> {
    EventDetail d;
    TF_ASSIGN_OR_RETURN(d.event, repo_.GetEvent(tx, caller.TenantScope(), id));
    TF_ASSIGN_OR_RETURN(d.transitions, repo_.Transitions(tx, id));
    return d;
  });
}

absl::StatusOr<EventDetail> EventService::ChangeStatus(const Principal& caller, const std::string& id,
                                                       const std::string& status,
                                                       const std::optional<std::string>& note) {
  bool known = std::find(std::begin(kEventStatuses), std::end(kEventStatuses), status) != std::end(kEventStatuses);
  if (!known) return FieldError("status", "must be one of open, investigating, resolved, false_positive");
  if (note) TF_RETURN_IF_ERROR(ValidText("note", *note, 4000));
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<EventDetail> {
    TF_ASSIGN_OR_RETURN(SecurityEvent e, repo_.GetEvent(tx, caller.TenantScope(), id));
    std::string from = e.status;
    if (!EventTransitionAllowed(from, status)) {
      std::string allowed;
      for (const std::string& to : EventTransitionsFrom(from)) StrAppend(&allowed, allowed.empty() ? "" : ", ", to);
      return WithProblemFields(
          absl::FailedPreconditionError(StrCat("a ", from, " event cannot move to ", status, "; it can move to ",
                                               allowed)),
          {{"current_status", from}, {"allowed", EventTransitionsFrom(from)}});
    }
    if (IsUnresolved(status) && !IsUnresolved(from) && e.rule && e.dedup_key) {
      TF_ASSIGN_OR_RETURN(std::optional<SecurityEvent> other, repo_.OpenEventFor(tx, e.tenant_id, *e.rule, *e.dedup_key));
      if (other) {
        return absl::FailedPreconditionError(StrCat("event ", other->id, " is already open for rule ", *e.rule,
                                                    " and ", *e.dedup_key, "; work that one"));
      }
    }
    int64_t now = clock_.NowMicros();
    e.status = status;
    e.updated_at = e.status_changed_at = now;
    if (IsUnresolved(status)) {
      e.resolved_at.reset();
    } else {
      e.resolved_at = now;
      if (note) e.resolution_notes = *note;
    }
    TF_ASSIGN_OR_RETURN(bool applied, repo_.UpdateEvent(tx, e, from));
    if (!applied) return absl::AbortedError("the event changed meanwhile; read it again");
    TF_RETURN_IF_ERROR(repo_.InsertTransition(tx, e.tenant_id, Transition(e, from, caller.Actor(), note, now)));
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, e.tenant_id, audit::Actor::Of(caller),
                                          {"security_event.status_changed", "UPDATE", "security_events", e.id,
                                           {{"from", from}, {"to", status}}}));
    EventDetail d{std::move(e), {}};
    TF_ASSIGN_OR_RETURN(d.transitions, repo_.Transitions(tx, id));
    return d;
  });
}

absl::StatusOr<EventDetail> EventService::Update(const Principal& caller, const std::string& id,
                                                 const EventChange& c) {
  if (c.severity) TF_RETURN_IF_ERROR(ValidSeverity("severity", *c.severity));
  if (c.description) TF_RETURN_IF_ERROR(ValidText("description", *c.description, 4000));
  if (c.resolution_notes) TF_RETURN_IF_ERROR(ValidText("resolution_notes", *c.resolution_notes, 4000));
  if (c.reported_to) TF_RETURN_IF_ERROR(ValidText("reported_to", *c.reported_to, 256));
  if (c.report_reference) TF_RETURN_IF_ERROR(ValidText("report_reference", *c.report_reference, 256));
  if (c.assignee && !c.assignee->empty() && !IsUuid(*c.assignee)) return FieldError("assignee", "must be a user id");
  TF_RETURN_IF_ERROR(ValidAffected(c.affected_resources.value_or(std::vector<AffectedResource>{}),
                                   c.affected_users.value_or(std::vector<std::string>{})));
  int64_t now = clock_.NowMicros();
  if (c.reported_at && *c.reported_at > now) return FieldError("reported_at", "must not be in the future");
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<EventDetail> {
    TF_ASSIGN_OR_RETURN(SecurityEvent e, repo_.GetEvent(tx, caller.TenantScope(), id));
    json before = AuditView(e);
    if (c.assignee && !c.assignee->empty()) {
      TF_ASSIGN_OR_RETURN(bool member, repo_.UserInTenant(tx, e.tenant_id, *c.assignee));
      if (!member) return FieldError("assignee", "is not a user of the event's tenant");
    }
    if (c.severity) e.severity = *c.severity;
    if (c.description) e.description = *c.description;
    if (c.assignee) e.assignee = c.assignee->empty() ? std::nullopt : c.assignee;
    if (c.resolution_notes) e.resolution_notes = c.resolution_notes;
    if (c.affected_resources) e.affected_resources = *c.affected_resources;
    if (c.affected_users) e.affected_users = *c.affected_users;
    if (c.reported_to) e.reported_to = c.reported_to;
    if (c.report_reference) e.report_reference = c.report_reference;
    if (c.reported_at) e.reported_at = c.reported_at;
    if (e.reported_to && !e.reported_at) e.reported_at = now;
    e.updated_at = now;
    TF_ASSIGN_OR_RETURN(bool applied, repo_.UpdateEvent(tx, e, e.status));
    if (!applied) return absl::AbortedError("the event changed meanwhile; read it again");
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, e.tenant_id, audit::Actor::Of(caller),
                                          {"security_event.updated", "UPDATE", "security_events", e.id,
                                           {{"before", std::move(before)}, {"after", AuditView(e)}}}));
    EventDetail d{std::move(e), {}};
    TF_ASSIGN_OR_RETURN(d.transitions, repo_.Transitions(tx, id));
    return d;
  });
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> EventService::OpenBySeverity(const Principal& caller) {
  return db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(),
                  [&](store::Transaction& tx) { return repo_.OpenBySeverity(tx, caller.TenantScope()); });
}

absl::StatusOr<bool> EventService::Detected(store::Transaction& tx, const Detection& d) {
  TF_ASSIGN_OR_RETURN(std::optional<SecurityEvent> open, repo_.OpenEventFor(tx, d.tenant_id, d.rule, d.key));
  int64_t now = clock_.NowMicros();
  if (open) {
    SecurityEvent e = std::move(*open);
    std::string status = e.status;
    e.occurrences += 1;
    e.last_seen_at = std::max(e.last_seen_at, d.last_seen_at);
    e.updated_at = now;
    json metadata = json::parse(e.metadata, nullptr, false);
    if (metadata.is_object() && !d.evidence.empty()) {
      json& evidence = metadata["evidence"];
      if (!evidence.is_array()) evidence = json::array();
      if (evidence.size() < kMaxEvidence) evidence.push_back(d.evidence.back());
      e.metadata = metadata.dump();
    }
    TF_ASSIGN_OR_RETURN(bool applied, repo_.UpdateEvent(tx, e, status));
    if (!applied) return absl::AbortedError("the event changed meanwhile");
    return false;
  }
  SecurityEvent e;
  e.id = NewUuidV7(clock_, rng_);
  e.tenant_id = d.tenant_id;
  e.type = d.type;
  e.severity = d.severity;
  e.status = std::string(kOpen);
  e.source = std::string(kDetectionSource);
  e.rule = d.rule;
  e.dedup_key = d.key;
  e.description = d.description;
  e.affected_resources = d.affected_resources;
  e.affected_users = d.affected_users;
  json metadata = d.metadata.is_object() ? d.metadata : json::object();
  json evidence = json::array();
  for (size_t i = 0; i < d.evidence.size() && i < kMaxEvidence; ++i) evidence.push_back(d.evidence[i]);
  metadata["evidence"] = std::move(evidence);
  e.metadata = RedactJson(metadata).dump();
  e.occurrences = d.count;
  e.first_seen_at = d.first_seen_at;
  e.last_seen_at = d.last_seen_at;
  e.created_at = e.updated_at = e.status_changed_at = now;
  e.created_by = "system";
  TF_RETURN_IF_ERROR(repo_.InsertEvent(tx, e));
  TF_RETURN_IF_ERROR(repo_.InsertTransition(tx, e.tenant_id, Transition(e, std::nullopt, "system", std::nullopt, now)));
  TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, e.tenant_id, audit::Actor::System(),
                                        {"security_event.raised", "CREATE", "security_events", e.id,
                                         {{"after", AuditView(e)}, {"group", d.key}, {"count", d.count}}}));
  return true;
}

}  // namespace tf::security
