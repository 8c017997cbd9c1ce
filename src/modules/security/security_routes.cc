#include "modules/security/security_routes.h"

#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "http/json_body.h"
#include "http/json_values.h"
#include "http/pagination.h"
#include "http/query_params.h"
#include "modules/security/security_http.h"

namespace tf::security {

namespace {

using http::RequestContext;
using http::Response;
using nlohmann::json;



json EventJson(const SecurityEvent& e) {
  json resources = json::array();
  for (const AffectedResource& r : e.affected_resources) resources.push_back({{"type", r.type}, {"id", r.id}});
  json metadata = json::parse(e.metadata, nullptr, false);
  return {{"id", e.id},
          {"tenant_id", e.tenant_id},
          {"type", e.type},
          {"severity", e.severity},
          {"status", e.status},
          {"source", e.source},
          {"rule", http::OrNull(e.rule)},
          {"group", http::OrNull(e.dedup_key)},
          {"description", e.description},
          {"affected_resources", std::move(resources)},
          {"affected_users", e.affected_users},
          {"metadata", metadata.is_object() ? metadata : json::object()},
          {"assignee", http::OrNull(e.assignee)},
          {"resolution_notes", http::OrNull(e.resolution_notes)},
          {"occurrences", e.occurrences},
          {"first_seen_at", FormatRfc3339Exact(e.first_seen_at)},
          {"last_seen_at", FormatRfc3339Exact(e.last_seen_at)},
          {"authority_report",
           e.reported_to ? json{{"reported_to", *e.reported_to},
                                {"reported_at", http::TimeOrNull(e.reported_at)},
                                {"reference", http::OrNull(e.report_reference)}}
                         : json(nullptr)},
          {"created_at", FormatRfc3339Exact(e.created_at)},
          {"created_by", e.created_by},
          {"updated_at", FormatRfc3339Exact(e.updated_at)},
          {"status_changed_at", FormatRfc3339Exact(e.status_changed_at)},
          {"resolved_at", http::TimeOrNull(e.resolved_at)},
          {"allowed_transitions", EventTransitionsFrom(e.status)}};
}

json DetailJson(const EventDetail& d) {
  json out = EventJson(d.event);
  json transitions = json::array();
  for (const EventTransition& t : d.transitions) {
    transitions.push_back({{"id", t.id},
                           {"from", http::OrNull(t.from_status)},
                           {"to", t.to_status},
                           {"actor", t.actor},
                           {"note", http::OrNull(t.note)},
                           {"at", FormatRfc3339Exact(t.at)}});
  }
  out["transitions"] = std::move(transitions);
  return out;
}

json ConditionJson(const Condition& c) {
  switch (c.op) {
    case Condition::Op::kEquals: return c.values.front();
    case Condition::Op::kIn: return c.values;
    case Condition::Op::kPrefix: return {{"prefix", c.values.front()}};
    case Condition::Op::kGreater: return {{"gt", c.number}};
    case Condition::Op::kGreaterOrEqual: return {{"gte", c.number}};
    case Condition::Op::kLess: return {{"lt", c.number}};
    case Condition::Op::kLessOrEqual: return {{"lte", c.number}};
  }
  return nullptr;
}

json RuleJson(const TenantRule& t) {
  const DetectionRule& r = *t.effective.rule;
  json match = json::object();
  for (const Condition& c : r.match) match[c.field] = ConditionJson(c);
  json out = {{"name", r.name},
              {"title", r.title},
              {"description", r.description},
              {"type", r.type},
              {"tenant_id", t.tenant_id},
              {"enabled", t.effective.enabled},
              {"severity", t.effective.severity},
              {"threshold", t.effective.threshold},
              {"window", WindowText(t.effective.window_seconds)},
              {"window_seconds", t.effective.window_seconds},
              {"match", std::move(match)},
              {"group_by", r.group_by},
              {"outside_working_hours", r.outside_working_hours},
              {"working_hours", r.outside_working_hours ? t.effective.working_hours.Json() : json(nullptr)},
              {"customized", t.setting.has_value()},
              {"updated_at", t.setting ? json(FormatRfc3339Exact(t.setting->updated_at)) : json(nullptr)},
              {"updated_by", t.setting ? json(t.setting->updated_by) : json(nullptr)},
              {"defaults",
               {{"enabled", r.enabled},
                {"severity", r.severity},
                {"threshold", r.threshold},
                {"window_seconds", r.window_seconds}}}};
  return out;
}

absl::StatusOr<std::vector<AffectedResource>> ResourcesOf(const json& list) {
  std::vector<AffectedResource> out;
  for (const json& item : list) {
    if (!item.is_object() || item.size() != 2 || !item.contains("type") || !item["type"].is_string() ||
        !item.contains("id") || !item["id"].is_string()) {
      return FieldError("affected_resources", "each item must be {\"type\": string, \"id\": string}");
    }
    out.push_back({item["type"].get<std::string>(), item["id"].get<std::string>()});
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> SeverityParam(const RequestContext& ctx) {
  return http::OneOfParam(ctx, "severity", {"low", "medium", "high", "critical"});
}

absl::StatusOr<Response> ReportEvent(EventService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  NewEvent n;
  TF_ASSIGN_OR_RETURN(n.type, body.RequiredString("type", 64));
  TF_ASSIGN_OR_RETURN(n.severity, body.RequiredString("severity", 16));
  TF_ASSIGN_OR_RETURN(n.description, body.RequiredString("description", 4000));
  TF_ASSIGN_OR_RETURN(n.source, body.OptionalString("source", 128));
  TF_ASSIGN_OR_RETURN(std::optional<json> metadata, body.OptionalObject("metadata", EventService::kMaxMetadataBytes));
  TF_ASSIGN_OR_RETURN(std::optional<json> resources, body.OptionalArray("affected_resources", EventService::kMaxAffected));
  TF_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> users,
                      body.OptionalStringArray("affected_users", EventService::kMaxAffected, 64));
  TF_ASSIGN_OR_RETURN(n.tenant_id, body.OptionalString("tenant_id", 64));
  TF_RETURN_IF_ERROR(body.Finish());
  if (metadata) n.metadata = std::move(*metadata);
  if (resources) {
    TF_ASSIGN_OR_RETURN(n.affected_resources, ResourcesOf(*resources));
  }
  if (users) n.affected_users = std::move(*users);
  TF_ASSIGN_OR_RETURN(SecurityEvent e, service.Report(*ctx.principal, std::move(n)));
  return Response::Json(201, EventJson(e));
}

absl::StatusOr<Response> ListEvents(EventService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
  EventFilter f;
  TF_ASSIGN_OR_RETURN(f.tenant_id, http::TextParam(ctx, "tenant_id", 64));
  TF_ASSIGN_OR_RETURN(f.status, http::OneOfParam(ctx, "status", {"open", "investigating", "resolved", "false_positive"}));
  TF_ASSIGN_OR_RETURN(f.severity, SeverityParam(ctx));
  TF_ASSIGN_OR_RETURN(f.type, http::TextParam(ctx, "type", 64));
  TF_ASSIGN_OR_RETURN(f.source, http::TextParam(ctx, "source", 128));
  TF_ASSIGN_OR_RETURN(f.rule, http::TextParam(ctx, "rule", 64));
  TF_ASSIGN_OR_RETURN(f.assignee, http::TextParam(ctx, "assignee", 64));
  TF_ASSIGN_OR_RETURN(f.from, http::TimeParam(ctx, "from"));
  TF_ASSIGN_OR_RETURN(f.to, http::TimeParam(ctx, "to"));
  if (f.from && f.to && *f.from >= *f.to) return FieldError("to", "must be after from");
  f.before_id = page.after_id;
  f.limit = page.limit + 1;
  TF_ASSIGN_OR_RETURN(std::vector<SecurityEvent> list, service.List(*ctx.principal, std::move(f)));
  json items = json::array();
  for (const SecurityEvent& e : list) items.push_back(EventJson(e));
  return Response::Json(200, http::PageResponse(std::move(items), page.limit));
}

absl::StatusOr<Response> EventSummary(EventService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(auto counts, service.OpenBySeverity(*ctx.principal));
  json by_severity = json::object();
  int64_t total = 0;
  for (std::string_view s : kSeverities) by_severity[std::string(s)] = 0;
  for (const auto& [severity, count] : counts) {
    by_severity[severity] = count;
    total += count;
  }
  return Response::Json(200, {{"open_by_severity", std::move(by_severity)}, {"open_total", total}});
}

absl::StatusOr<Response> GetEvent(EventService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "security event"));
  TF_ASSIGN_OR_RETURN(EventDetail d, service.Get(*ctx.principal, id));
  return Response::Json(200, DetailJson(d));
}

absl::StatusOr<Response> ChangeEventStatus(EventService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "security event"));
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  TF_ASSIGN_OR_RETURN(std::string status, body.RequiredString("status", 32));
  TF_ASSIGN_OR_RETURN(std::optional<std::string> note, body.OptionalString("note", 4000));
  TF_RETURN_IF_ERROR(body.Finish());
  TF_ASSIGN_OR_RETURN(EventDetail d, service.ChangeStatus(*ctx.principal, id, status, note));
  return Response::Json(200, DetailJson(d));
}

absl::StatusOr<Response> UpdateEvent(EventService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "security event"));
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  EventChange c;
  TF_ASSIGN_OR_RETURN(c.severity, body.OptionalString("severity", 16));
  TF_ASSIGN_OR_RETURN(c.description, body.OptionalString("description", 4000));
  TF_ASSIGN_OR_RETURN(c.assignee, body.OptionalString("assignee", 64));
  TF_ASSIGN_OR_RETURN(c.resolution_notes, body.OptionalString("resolution_notes", 4000));
  TF_ASSIGN_OR_RETURN(std::optional<json> resources, body.OptionalArray("affected_resources", EventService::kMaxAffected));
  TF_ASSIGN_OR_RETURN(c.affected_users, body.OptionalStringArray("affected_users", EventService::kMaxAffected, 64));
  TF_ASSIGN_OR_RETURN(std::optional<json> report, body.OptionalObject("authority_report", 2048));
  TF_RETURN_IF_ERROR(body.Finish());
  if (resources) {
    TF_ASSIGN_OR_RETURN(c.affected_resources, ResourcesOf(*resources));
  }
  if (report) {
    TF_ASSIGN_OR_RETURN(http::JsonReader r, http::JsonReader::Parse(report->dump()));
    TF_ASSIGN_OR_RETURN(c.reported_to, r.RequiredString("reported_to", 256));
    TF_ASSIGN_OR_RETURN(c.report_reference, r.OptionalString("reference", 256));
    TF_ASSIGN_OR_RETURN(std::optional<std::string> at, r.OptionalString("reported_at", 64));
    TF_RETURN_IF_ERROR(r.Finish());
    if (at) {
      absl::StatusOr<SysTime> t = ParseRfc3339(*at);
      if (!t.ok()) return FieldError("authority_report.reported_at", "must be an RFC 3339 time");
      c.reported_at = t->time_since_epoch().count();
    }
  }
  TF_ASSIGN_OR_RETURN(EventDetail d, service.Update(*ctx.principal, id, c));
  return Response::Json(200, DetailJson(d));
}

absl::StatusOr<Response> ListRules(RuleService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, http::TextParam(ctx, "tenant_id", 64));
  TF_ASSIGN_OR_RETURN(std::vector<TenantRule> rules, service.List(*ctx.principal, tenant_id));
  json items = json::array();
  for (const TenantRule& t : rules) items.push_back(RuleJson(t));
  return Response::Json(200, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

absl::StatusOr<Response> GetRule(RuleService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, http::TextParam(ctx, "tenant_id", 64));
  TF_ASSIGN_OR_RETURN(TenantRule t, service.Get(*ctx.principal, tenant_id, ctx.PathParam("name")));
  return Response::Json(200, RuleJson(t));
}

absl::StatusOr<Response> UpdateRule(RuleService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  RuleChange c;
  TF_ASSIGN_OR_RETURN(c.tenant_id, body.OptionalString("tenant_id", 64));
  TF_ASSIGN_OR_RETURN(c.enabled, body.OptionalBool("enabled"));
  TF_ASSIGN_OR_RETURN(c.threshold, body.OptionalInt("threshold"));
  TF_ASSIGN_OR_RETURN(c.window, body.OptionalString("window", 16));
  TF_ASSIGN_OR_RETURN(c.severity, body.OptionalString("severity", 16));
  TF_ASSIGN_OR_RETURN(c.working_hours, body.OptionalObject("working_hours", 1024));
  TF_ASSIGN_OR_RETURN(std::optional<bool> reset, body.OptionalBool("reset"));
  TF_RETURN_IF_ERROR(body.Finish());
  c.reset = reset.value_or(false);
  TF_ASSIGN_OR_RETURN(TenantRule t, service.Update(*ctx.principal, ctx.PathParam("name"), c));
  return Response::Json(200, RuleJson(t));
}

}  // namespace

void RegisterSecurityRoutes(http::Router& router, EventService& events, RuleService& rules) {
  const Access kRead = Access::Requires(Permission::kSecurityRead);
  const Access kRespond = Access::Requires(Permission::kSecurityRespond);
  auto ev = [&](auto fn) { return [&events, fn](RequestContext& ctx) { return fn(events, ctx); }; };
  auto ru = [&](auto fn) { return [&rules, fn](RequestContext& ctx) { return fn(rules, ctx); }; };

  const std::string base = "/api/security/events";
  router.Add({"POST", base, kRespond, ev(ReportEvent), kSmallBody});
  router.Add({"GET", base, kRead, ev(ListEvents)});
  router.Add({"GET", base + "/summary", kRead, ev(EventSummary)});
  router.Add({"GET", base + "/{id}", kRead, ev(GetEvent)});
  router.Add({"PATCH", base + "/{id}", kRespond, ev(UpdateEvent), kSmallBody});
  router.Add({"PATCH", base + "/{id}/status", kRespond, ev(ChangeEventStatus), kSmallBody});

  router.Add({"GET", "/api/security/rules", kRead, ru(ListRules)});
  router.Add({"GET", "/api/security/rules/{name}", kRead, ru(GetRule)});
  router.Add({"PATCH", "/api/security/rules/{name}", Access::Requires(Permission::kSecurityPolicyWrite),
              ru(UpdateRule), kSmallBody});
}

}  // namespace tf::security
