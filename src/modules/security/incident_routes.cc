#include "modules/security/incident_routes.h"

#include "core/clock.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "http/json_body.h"
#include "http/json_values.h"
#include "http/pagination.h"
#include "http/problem.h"
#include "http/query_params.h"
#include "modules/security/security_http.h"

namespace tf::security {

namespace {

using http::RequestContext;
using http::Response;
using nlohmann::json;

constexpr uint64_t kPostmortemBody = 128 * 1024;

json BreachJson(const Incident& i, int64_t now) {
  std::optional<BreachClock> c = BreachClockOf(i, now);
  if (!c) return nullptr;
  return {{"aware_at", FormatRfc3339Exact(c->aware_at)},
          {"notification_deadline", FormatRfc3339Exact(c->deadline)},
          {"seconds_remaining", c->seconds_remaining},
          {"notified", c->notified},
          {"notified_late", c->notified_late},
          {"report", i.breach_report.is_object() ? i.breach_report : json::object()},
          {"missing_content", c->missing_content},
          {"authority", http::OrNull(i.authority)},
          {"notified_at", http::TimeOrNull(i.authority_notified_at)},
          {"reference", http::OrNull(i.authority_reference)},
          {"late_reason", http::OrNull(i.late_reason)}};
}

json IncidentJson(const Incident& i, int64_t now) {
  IncidentMetrics m = MetricsOf(i);
  MetricTargets t = TargetsOf(i.severity);
  return {{"id", i.id},
          {"tenant_id", i.tenant_id},
          {"title", i.title},
          {"summary", http::OrNull(i.summary)},
          {"severity", i.severity},
          {"status", i.status},
          {"commander", http::OrNull(i.commander)},
          {"participants", i.participants},
          {"impact_started_at", http::TimeOrNull(i.impact_started_at)},
          {"detected_at", FormatRfc3339Exact(i.detected_at)},
          {"acknowledged_at", http::TimeOrNull(i.acknowledged_at)},
          {"investigating_at", http::TimeOrNull(i.investigating_at)},
          {"identified_at", http::TimeOrNull(i.identified_at)},
          {"monitoring_at", http::TimeOrNull(i.monitoring_at)},
          {"resolved_at", http::TimeOrNull(i.resolved_at)},
          {"closed_at", http::TimeOrNull(i.closed_at)},
          {"metrics",
           {{"mttd_seconds", http::OrNull(m.mttd_seconds)},
            {"mtta_seconds", http::OrNull(m.mtta_seconds)},
            {"mttr_seconds", http::OrNull(m.mttr_seconds)}}},
          {"targets", {{"mttd_seconds", http::OrNull(t.mttd)}, {"mtta_seconds", http::OrNull(t.mtta)}, {"mttr_seconds", http::OrNull(t.mttr)}}},
          {"breaches", Breaches(i)},
          {"personal_data_breach", i.breach},
          {"breach", BreachJson(i, now)},
          {"allowed_transitions", IncidentTransitionsFrom(i.status)},
          {"created_at", FormatRfc3339Exact(i.created_at)},
          {"created_by", i.created_by},
          {"updated_at", FormatRfc3339Exact(i.updated_at)}};
}

json DetailJson(const IncidentDetail& d, int64_t now) {
  json out = IncidentJson(d.incident, now);
  json timeline = json::array();
  for (const TimelineEntry& e : d.timeline) {
    timeline.push_back({{"id", e.id},
                        {"kind", e.kind},
                        {"text", e.text},
                        {"actor", e.actor},
                        {"at", FormatRfc3339Exact(e.at)},
                        {"recorded_at", FormatRfc3339Exact(e.recorded_at)}});
  }
  out["timeline"] = std::move(timeline);
  out["event_ids"] = d.event_ids;
  out["postmortem"] = d.postmortem ? json{{"complete", d.postmortem->Complete()},
                                          {"updated_at", FormatRfc3339Exact(d.postmortem->updated_at)},
                                          {"updated_by", d.postmortem->updated_by}}
                                   : json(nullptr);
  bool needs = NeedsPostmortem(d.incident.severity);
  out["postmortem_required"] = needs;
  return out;
}

json PostmortemJson(const Postmortem& p) {
  json out = p.Json();
  out["incident_id"] = p.incident_id;
  out["complete"] = p.Complete();
  out["updated_at"] = FormatRfc3339Exact(p.updated_at);
  out["updated_by"] = p.updated_by;
  return out;
}

//! An optional RFC 3339 body field as microseconds.
absl::StatusOr<std::optional<int64_t>> OptionalTime(http::JsonReader& body, std::string_view key) {
  TF_ASSIGN_OR_RETURN(std::optional<std::string> text, body.OptionalString(key, 64));
  if (!text) return std::optional<int64_t>();
  absl::StatusOr<SysTime> t = ParseRfc3339(*text);
  if (!t.ok()) return FieldError(key, "must be an RFC 3339 time such as 2026-12-03T09:30:00Z");
  return std::optional<int64_t>(t->time_since_epoch().count());
}

class Routes {
 public:
  Routes(IncidentService& service, const Clock& clock) : service_(service), clock_(clock) {}

  absl::StatusOr<Response> Declare(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
    NewIncident n;
    TF_ASSIGN_OR_RETURN(n.title, body.RequiredString("title", 200));
    TF_ASSIGN_OR_RETURN(n.severity, body.RequiredString("severity", 8));
    TF_ASSIGN_OR_RETURN(n.summary, body.OptionalString("summary", 8000));
    TF_ASSIGN_OR_RETURN(n.impact_started_at, OptionalTime(body, "impact_started_at"));
    TF_ASSIGN_OR_RETURN(n.detected_at, OptionalTime(body, "detected_at"));
    TF_ASSIGN_OR_RETURN(n.commander, body.OptionalString("commander", 64));
    TF_ASSIGN_OR_RETURN(std::optional<bool> breach, body.OptionalBool("personal_data_breach"));
    TF_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> events, body.OptionalStringArray("event_ids", 100, 64));
    TF_ASSIGN_OR_RETURN(n.tenant_id, body.OptionalString("tenant_id", 64));
    TF_RETURN_IF_ERROR(body.Finish());
    n.breach = breach.value_or(false);
    if (events) n.event_ids = std::move(*events);
    TF_ASSIGN_OR_RETURN(IncidentDetail d, service_.Declare(*ctx.principal, std::move(n)));
    return Response::Json(201, DetailJson(d, clock_.NowMicros()));
  }

  absl::StatusOr<Response> List(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
    IncidentFilter f;
    TF_ASSIGN_OR_RETURN(f.tenant_id, http::TextParam(ctx, "tenant_id", 64));
    TF_ASSIGN_OR_RETURN(f.status, http::OneOfParam(ctx, "status", {"triage", "investigating", "identified", "monitoring",
                                                                    "resolved", "closed"}));
    TF_ASSIGN_OR_RETURN(f.severity, http::OneOfParam(ctx, "severity", {"SEV1", "SEV2", "SEV3", "SEV4"}));
    TF_ASSIGN_OR_RETURN(f.breach, http::BoolParam(ctx, "personal_data_breach"));
    TF_ASSIGN_OR_RETURN(f.active, http::BoolParam(ctx, "active"));
    TF_ASSIGN_OR_RETURN(f.from, http::TimeParam(ctx, "from"));
    TF_ASSIGN_OR_RETURN(f.to, http::TimeParam(ctx, "to"));
    if (f.from && f.to && *f.from >= *f.to) return FieldError("to", "must be after from");
    f.before_id = page.after_id;
    f.limit = page.limit + 1;
    TF_ASSIGN_OR_RETURN(std::vector<Incident> list, service_.List(*ctx.principal, std::move(f)));
    int64_t now = clock_.NowMicros();
    json items = json::array();
    for (const Incident& i : list) items.push_back(IncidentJson(i, now));
    return Response::Json(200, http::PageResponse(std::move(items), page.limit));
  }

  absl::StatusOr<Response> Metrics(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, http::TextParam(ctx, "tenant_id", 64));
    TF_ASSIGN_OR_RETURN(std::optional<int64_t> from, http::TimeParam(ctx, "from"));
    TF_ASSIGN_OR_RETURN(std::optional<int64_t> to, http::TimeParam(ctx, "to"));
    int64_t end = to.value_or(clock_.NowMicros());
    int64_t start = from.value_or(end - 90 * kMicrosPerDay);
    if (start >= end) return FieldError("to", "must be after from");
    if (end - start > 731 * kMicrosPerDay) return FieldError("from", "the period may be at most two years");
    TF_ASSIGN_OR_RETURN(IncidentMetricsReport r, service_.Metrics(*ctx.principal, tenant_id, start, end));
    json severities = json::array();
    for (const SeverityMetrics& m : r.by_severity) {
      severities.push_back({{"severity", m.severity},
                            {"incidents", m.incidents},
                            {"resolved", m.resolved},
                            {"active", m.active},
                            {"mean_mttd_seconds", http::OrNull(m.mean_mttd)},
                            {"mean_mtta_seconds", http::OrNull(m.mean_mtta)},
                            {"mean_mttr_seconds", http::OrNull(m.mean_mttr)},
                            {"targets",
                             {{"mttd_seconds", http::OrNull(m.targets.mttd)},
                              {"mtta_seconds", http::OrNull(m.targets.mtta)},
                              {"mttr_seconds", http::OrNull(m.targets.mttr)}}},
                            {"breaches",
                             {{"mttd", m.mttd_breaches}, {"mtta", m.mtta_breaches}, {"mttr", m.mttr_breaches}}}});
    }
    json weeks = json::array();
    for (const WeekMttr& w : r.mttr_by_week) {
      weeks.push_back({{"week", w.week}, {"resolved", w.resolved}, {"mean_mttr_seconds", http::OrNull(w.mean_mttr)}});
    }
    return Response::Json(200, {{"from", FormatRfc3339Exact(r.from)},
                                {"to", FormatRfc3339Exact(r.to)},
                                {"active", r.active},
                                {"by_severity", std::move(severities)},
                                {"mttr_by_week", std::move(weeks)}});
  }

  absl::StatusOr<Response> Get(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "incident"));
    TF_ASSIGN_OR_RETURN(IncidentDetail d, service_.Get(*ctx.principal, id));
    return Response::Json(200, DetailJson(d, clock_.NowMicros()));
  }

  absl::StatusOr<Response> Update(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "incident"));
    TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
    IncidentChange c;
    TF_ASSIGN_OR_RETURN(c.title, body.OptionalString("title", 200));
    TF_ASSIGN_OR_RETURN(c.summary, body.OptionalString("summary", 8000));
    TF_ASSIGN_OR_RETURN(c.severity, body.OptionalString("severity", 8));
    TF_ASSIGN_OR_RETURN(c.commander, body.OptionalString("commander", 64));
    TF_ASSIGN_OR_RETURN(c.participants,
                        body.OptionalStringArray("participants", IncidentService::kMaxParticipants, 64));
    TF_ASSIGN_OR_RETURN(c.impact_started_at, OptionalTime(body, "impact_started_at"));
    TF_ASSIGN_OR_RETURN(c.detected_at, OptionalTime(body, "detected_at"));
    TF_ASSIGN_OR_RETURN(c.breach, body.OptionalBool("personal_data_breach"));
    TF_ASSIGN_OR_RETURN(c.breach_aware_at, OptionalTime(body, "breach_aware_at"));
    TF_ASSIGN_OR_RETURN(c.breach_report, body.OptionalObject("breach_report", 32 * 1024));
    TF_ASSIGN_OR_RETURN(std::optional<json> notification, body.OptionalObject("notification", 8192));
    TF_RETURN_IF_ERROR(body.Finish());
    if (notification) {
      TF_ASSIGN_OR_RETURN(http::JsonReader n, http::JsonReader::Parse(notification->dump()));
      IncidentChange::Notification out;
      TF_ASSIGN_OR_RETURN(out.authority, n.RequiredString("authority", 256));
      TF_ASSIGN_OR_RETURN(std::optional<int64_t> at, OptionalTime(n, "notified_at"));
      TF_ASSIGN_OR_RETURN(out.reference, n.OptionalString("reference", 256));
      TF_ASSIGN_OR_RETURN(out.late_reason, n.OptionalString("late_reason", 4000));
      TF_RETURN_IF_ERROR(n.Finish());
      out.notified_at = at.value_or(clock_.NowMicros());
      c.notification = std::move(out);
    }
    TF_ASSIGN_OR_RETURN(IncidentDetail d, service_.Update(*ctx.principal, id, c));
    return Response::Json(200, DetailJson(d, clock_.NowMicros()));
  }

  absl::StatusOr<Response> ChangeStatus(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "incident"));
    TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
    TF_ASSIGN_OR_RETURN(std::string status, body.RequiredString("status", 32));
    TF_ASSIGN_OR_RETURN(std::optional<std::string> note, body.OptionalString("note", 4000));
    TF_RETURN_IF_ERROR(body.Finish());
    TF_ASSIGN_OR_RETURN(IncidentDetail d, service_.ChangeStatus(*ctx.principal, id, status, note));
    return Response::Json(200, DetailJson(d, clock_.NowMicros()));
  }

  absl::StatusOr<Response> AddNote(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "incident"));
    TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
    TF_ASSIGN_OR_RETURN(std::string text, body.RequiredString("text", 4000));
    TF_ASSIGN_OR_RETURN(std::optional<int64_t> at, OptionalTime(body, "at"));
    TF_RETURN_IF_ERROR(body.Finish());
    TF_ASSIGN_OR_RETURN(IncidentDetail d, service_.AddNote(*ctx.principal, id, text, at));
    return Response::Json(201, DetailJson(d, clock_.NowMicros()));
  }

  absl::StatusOr<Response> LinkEvent(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "incident"));
    TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
    TF_ASSIGN_OR_RETURN(std::string event_id, body.RequiredString("event_id", 64));
    TF_RETURN_IF_ERROR(body.Finish());
    TF_ASSIGN_OR_RETURN(IncidentDetail d, service_.LinkEvent(*ctx.principal, id, event_id));
    return Response::Json(200, DetailJson(d, clock_.NowMicros()));
  }

  absl::StatusOr<Response> GetPostmortem(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "incident"));
    TF_ASSIGN_OR_RETURN(std::optional<std::string> format, http::OneOfParam(ctx, "format", {"json", "markdown"}));
    TF_ASSIGN_OR_RETURN(IncidentDetail d, service_.Get(*ctx.principal, id));
    Postmortem p = d.postmortem.value_or(Postmortem{});
    p.incident_id = d.incident.id;
    if (format == "markdown") {
      Response r = Response::Text(200, PostmortemMarkdown(d.incident, p, d.timeline), "text/markdown; charset=utf-8");
      r.headers.Add("Content-Disposition", StrCat("attachment; filename=\"postmortem-", d.incident.id, ".md\""));
      return r;
    }
    if (!d.postmortem) return absl::NotFoundError("the incident has no postmortem yet");
    return Response::Json(200, PostmortemJson(p));
  }

  absl::StatusOr<Response> PutPostmortem(RequestContext& ctx) {
    TF_ASSIGN_OR_RETURN(std::string id, IdParam(ctx, "incident"));
    json doc = json::parse(ctx.request.body, nullptr, false);
    if (doc.is_discarded()) return http::BadRequest("the body is not valid JSON");
    if (!doc.is_object()) return http::BadRequest("the body must be a JSON object");
    TF_ASSIGN_OR_RETURN(Postmortem p, PostmortemFromJson(doc));
    TF_ASSIGN_OR_RETURN(IncidentDetail d, service_.PutPostmortem(*ctx.principal, id, std::move(p)));
    return Response::Json(200, PostmortemJson(*d.postmortem));
  }

 private:
  IncidentService& service_;
  const Clock& clock_;
};

}  // namespace

void RegisterIncidentRoutes(http::Router& router, IncidentService& service, const Clock& clock) {
  const Access kRead = Access::Requires(Permission::kSecurityRead);
  const Access kRespond = Access::Requires(Permission::kSecurityRespond);
  auto routes = std::make_shared<Routes>(service, clock);
  auto to = [routes](absl::StatusOr<Response> (Routes::*fn)(RequestContext&)) {
    return [routes, fn](RequestContext& ctx) { return ((*routes).*fn)(ctx); };
  };
  const std::string base = "/api/security/incidents";
  router.Add({"POST", base, kRespond, to(&Routes::Declare), kSmallBody});
  router.Add({"GET", base, kRead, to(&Routes::List)});
  router.Add({"GET", base + "/metrics", kRead, to(&Routes::Metrics)});
  router.Add({"GET", base + "/{id}", kRead, to(&Routes::Get)});
  router.Add({"PATCH", base + "/{id}", kRespond, to(&Routes::Update), kSmallBody});
  router.Add({"PATCH", base + "/{id}/status", kRespond, to(&Routes::ChangeStatus), kSmallBody});
  router.Add({"POST", base + "/{id}/timeline", kRespond, to(&Routes::AddNote), kSmallBody});
  router.Add({"POST", base + "/{id}/events", kRespond, to(&Routes::LinkEvent), kSmallBody});
  router.Add({"GET", base + "/{id}/postmortem", kRead, to(&Routes::GetPostmortem)});
  router.Add({"PUT", base + "/{id}/postmortem", kRespond, to(&Routes::PutPostmortem), kPostmortemBody});
}

}  // namespace tf::security
