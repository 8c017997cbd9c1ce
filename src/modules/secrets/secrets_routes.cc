#include "modules/secrets/secrets_routes.h"

#include <charconv>

#include "core/clock.h"
#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "http/json_body.h"
#include "http/json_values.h"
#include "http/pagination.h"
#include "http/query_params.h"

namespace tf::secrets {

namespace {

using http::RequestContext;
using http::Response;
using nlohmann::json;

//! How long a service may reuse a fetched value before asking again (with If-None-Match).
constexpr int kFetchMaxAgeSeconds = 60;
//! Bodies that may carry a value (up to InventoryService::kMaxValueBytes), and the others.
constexpr uint64_t kValueBody = 64 * 1024;
constexpr uint64_t kSmallBody = 16 * 1024;

json SecretJson(const Secret& s, const InventoryService& service, int64_t now) {
  int64_t until = s.next_rotation_at - now;
  return {{"id", s.id},
          {"tenant_id", s.tenant_id},
          {"name", s.name},
          {"type", s.type},
          {"owner", http::OrNull(s.owner)},
          {"description", http::OrNull(s.description)},
          {"managed", s.managed},
          {"location", http::OrNull(s.location)},
          {"generated", s.value_format.has_value()},
          {"value_format", http::OrNull(s.value_format)},
          {"auto_rotate", s.auto_rotate},
          {"rotation_days", s.rotation_days},
          {"grace_days", s.grace_days},
          {"current_version", s.current_version},
          {"created_at", FormatRfc3339Exact(s.created_at)},
          {"created_by", s.created_by},
          {"updated_at", FormatRfc3339Exact(s.updated_at)},
          {"last_rotated_at", http::TimeOrNull(s.last_rotated_at)},
          {"next_rotation_at", FormatRfc3339Exact(s.next_rotation_at)},
          // Whole days, rounded down; negative once overdue.
          {"days_until_due", until >= 0 ? until / kMicrosPerDay : -((-until + kMicrosPerDay - 1) / kMicrosPerDay)},
          {"rotation_state", std::string(DueStateName(service.StateOf(s)))},
          {"reminder", http::OrNull(s.reminder_state)},
          {"reminded_at", http::TimeOrNull(s.reminded_at)}};
}

json RotationJson(const Rotation& r) {
  json metadata = json::parse(r.metadata, nullptr, false);
  return {{"id", r.id},
          {"tenant_id", r.tenant_id},
          {"secret_id", r.secret_id},
          {"secret_name", r.secret_name},
          {"secret_type", r.secret_type},
          {"kind", r.kind},
          {"status", r.status},
          {"version", http::OrNull(r.version)},
          {"previous_version", http::OrNull(r.previous_version)},
          {"previous_fingerprint", r.previous_fingerprint ? json("hmac-sha256:" + *r.previous_fingerprint) : json(nullptr)},
          {"reason", http::OrNull(r.reason)},
          {"error", http::OrNull(r.error)},
          {"actor", r.actor},
          {"rotated_at", FormatRfc3339Exact(r.rotated_at)},
          {"previous_valid_until", http::TimeOrNull(r.grace_until)},
          {"valid_until", http::TimeOrNull(r.valid_until)},
          {"next_due_at", http::TimeOrNull(r.next_due_at)},
          {"status_changed_at", FormatRfc3339Exact(r.status_changed_at)},
          {"metadata", metadata.is_discarded() ? json::object() : metadata}};
}

//! "7d", "36h": a window up to a year, in microseconds.
absl::StatusOr<int64_t> WithinParam(const RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(std::optional<std::string> text, http::TextParam(ctx, "within", 16));
  if (!text) return InventoryService::kReminderWindowDays * kMicrosPerDay;
  std::string_view number(*text);
  char unit = number.empty() ? '?' : number.back();
  number.remove_suffix(number.empty() ? 0 : 1);
  int64_t n = -1;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  int64_t micros = unit == 'd' ? kMicrosPerDay : unit == 'h' ? kMicrosPerHour : 0;
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size() || micros == 0 || n < 0 ||
      n > 366 * 24 || n * micros > 366 * kMicrosPerDay) {
    return FieldError("within", "must be days or hours such as 7d or 36h, at most 366d");
  }
  return n * micros;
}

absl::StatusOr<std::optional<std::string>> TypeParam(const RequestContext& ctx, std::string_view name) {
  TF_ASSIGN_OR_RETURN(std::optional<std::string> type, http::TextParam(ctx, name, 32));
  if (!type) return type;
  for (std::string_view t : kSecretTypes) {
    if (t == *type) return type;
  }
  return FieldError(name, "is not a secret type");
}

absl::StatusOr<Response> RegisterSecret(InventoryService& service, const Clock& clock, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  NewSecret n;
  TF_ASSIGN_OR_RETURN(n.name, body.RequiredString("name", 128));
  TF_ASSIGN_OR_RETURN(n.type, body.RequiredString("type", 32));
  TF_ASSIGN_OR_RETURN(std::optional<int64_t> rotation_days, body.OptionalInt("rotation_days"));
  TF_ASSIGN_OR_RETURN(std::optional<int64_t> grace_days, body.OptionalInt("grace_days"));
  TF_ASSIGN_OR_RETURN(std::optional<bool> managed, body.OptionalBool("managed"));
  TF_ASSIGN_OR_RETURN(n.value, body.OptionalString("value", InventoryService::kMaxValueBytes));
  TF_ASSIGN_OR_RETURN(n.format, body.OptionalString("format", 32));
  TF_ASSIGN_OR_RETURN(n.length, body.OptionalInt("length"));
  TF_ASSIGN_OR_RETURN(n.auto_rotate, body.OptionalBool("auto_rotate"));
  TF_ASSIGN_OR_RETURN(n.owner, body.OptionalString("owner", 256));
  TF_ASSIGN_OR_RETURN(n.description, body.OptionalString("description", 1000));
  TF_ASSIGN_OR_RETURN(n.location, body.OptionalString("location", 512));
  TF_ASSIGN_OR_RETURN(n.tenant_id, body.OptionalString("tenant_id", 64));
  TF_RETURN_IF_ERROR(body.Finish());
  if (!rotation_days) return FieldError("rotation_days", "is required (30, 60, 90 or any number of days)");
  n.rotation_days = *rotation_days;
  n.grace_days = grace_days.value_or(0);
  n.managed = managed.value_or(false);
  TF_ASSIGN_OR_RETURN(Secret s, service.Register(*ctx.principal, std::move(n)));
  return Response::Json(201, SecretJson(s, service, clock.NowMicros()));
}

absl::StatusOr<Response> ListSecrets(InventoryService& service, const Clock& clock, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
  SecretFilter f;
  TF_ASSIGN_OR_RETURN(f.tenant_id, http::TextParam(ctx, "tenant_id", 64));
  TF_ASSIGN_OR_RETURN(f.type, TypeParam(ctx, "type"));
  TF_ASSIGN_OR_RETURN(f.owner, http::TextParam(ctx, "owner", 256));
  TF_ASSIGN_OR_RETURN(f.name_contains, http::TextParam(ctx, "q", 128));
  TF_ASSIGN_OR_RETURN(f.managed, http::BoolParam(ctx, "managed"));
  TF_ASSIGN_OR_RETURN(std::optional<std::string> state, http::OneOfParam(ctx, "state", {"ok", "due", "overdue"}));
  f.after_id = page.after_id;
  f.limit = page.limit + 1;
  std::optional<DueState> due;
  if (state) due = *state == "ok" ? DueState::kOk : *state == "due" ? DueState::kDue : DueState::kOverdue;
  TF_ASSIGN_OR_RETURN(std::vector<Secret> list, service.List(*ctx.principal, std::move(f), due));
  int64_t now = clock.NowMicros();
  json items = json::array();
  for (const Secret& s : list) items.push_back(SecretJson(s, service, now));
  return Response::Json(200, http::PageResponse(std::move(items), page.limit));
}

absl::StatusOr<Response> FetchSecret(InventoryService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, http::TextParam(ctx, "tenant_id", 64));
  TF_ASSIGN_OR_RETURN(FetchedSecret f, service.Fetch(*ctx.principal, tenant_id, ctx.PathParam("name")));
  std::string etag = StrCat("\"", f.secret.id, ".v", f.secret.current_version,
                            f.previous ? StrCat(".p", f.previous->version) : std::string(), "\"");
  Response r;
  if (std::optional<std::string_view> match = ctx.request.headers.Get("If-None-Match"); match && *match == etag) {
    r.status = 304;
  } else {
    json previous = nullptr;
    if (f.previous) {
      previous = {{"version", f.previous->version},
                  {"value", f.previous->value},
                  {"valid_until", FormatRfc3339Exact(f.previous->valid_until)}};
    }
    r = Response::Json(200, {{"name", f.secret.name},
                             {"type", f.secret.type},
                             {"version", f.secret.current_version},
                             {"value", f.value},
                             {"next_rotation_at", FormatRfc3339Exact(f.secret.next_rotation_at)},
                             {"previous", std::move(previous)}});
  }
  r.headers.Add("ETag", etag);
  r.headers.Add("Cache-Control", StrCat("private, max-age=", kFetchMaxAgeSeconds));
  r.headers.Add("Vary", "Authorization");
  return r;
}

absl::StatusOr<Response> RotateSecret(InventoryService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  RotationRequest r;
  TF_ASSIGN_OR_RETURN(r.secret_name, body.RequiredString("secret_name", 128));
  TF_ASSIGN_OR_RETURN(r.reason, body.RequiredString("reason", 500));
  TF_ASSIGN_OR_RETURN(r.value, body.OptionalString("value", InventoryService::kMaxValueBytes));
  TF_ASSIGN_OR_RETURN(std::optional<std::string> result, body.OptionalString("result", 16));
  TF_ASSIGN_OR_RETURN(r.error, body.OptionalString("error", 500));
  TF_ASSIGN_OR_RETURN(std::optional<json> metadata, body.OptionalObject("metadata"));
  TF_ASSIGN_OR_RETURN(r.tenant_id, body.OptionalString("tenant_id", 64));
  TF_RETURN_IF_ERROR(body.Finish());
  if (result && *result != "succeeded" && *result != "failed") {
    return FieldError("result", "must be succeeded or failed");
  }
  r.failed = result == "failed";
  if (metadata) r.metadata = std::move(*metadata);
  TF_ASSIGN_OR_RETURN(Rotation row, service.Rotate(*ctx.principal, std::move(r)));
  return Response::Json(201, RotationJson(row));
}

absl::StatusOr<Response> ListRotations(InventoryService& service, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
  RotationFilter f;
  TF_ASSIGN_OR_RETURN(f.tenant_id, http::TextParam(ctx, "tenant_id", 64));
  TF_ASSIGN_OR_RETURN(f.secret_name, http::TextParam(ctx, "secret_name", 128));
  TF_ASSIGN_OR_RETURN(f.secret_type, TypeParam(ctx, "type"));
  TF_ASSIGN_OR_RETURN(f.status, http::OneOfParam(ctx, "status", {kActive, kDeprecated, kRotated, kFailed}));
  TF_ASSIGN_OR_RETURN(f.kind, http::OneOfParam(ctx, "kind", {kRegistered, kManual, kExternal, kAutomatic}));
  TF_ASSIGN_OR_RETURN(f.from, http::TimeParam(ctx, "from"));
  TF_ASSIGN_OR_RETURN(f.to, http::TimeParam(ctx, "to"));
  if (f.from && f.to && *f.from >= *f.to) return FieldError("to", "must be after from");
  f.before_id = page.after_id;
  f.limit = page.limit + 1;
  TF_ASSIGN_OR_RETURN(std::vector<Rotation> list, service.Rotations(*ctx.principal, std::move(f)));
  json items = json::array();
  for (const Rotation& r : list) items.push_back(RotationJson(r));
  return Response::Json(200, http::PageResponse(std::move(items), page.limit));
}

absl::StatusOr<Response> ListDue(InventoryService& service, const Clock& clock, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::KeyedPageRequest page, http::ParseKeyedPageRequest(ctx.request));
  TF_ASSIGN_OR_RETURN(int64_t within, WithinParam(ctx));
  TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, http::TextParam(ctx, "tenant_id", 64));
  TF_ASSIGN_OR_RETURN(std::vector<Secret> list,
                      service.Due(*ctx.principal, tenant_id, within, page.after, page.limit + 1));
  int64_t now = clock.NowMicros();
  json items = json::array();
  json next = nullptr;
  for (size_t i = 0; i < list.size() && i < static_cast<size_t>(page.limit); ++i) {
    items.push_back(SecretJson(list[i], service, now));
  }
  if (list.size() > static_cast<size_t>(page.limit)) {
    const Secret& last = list[static_cast<size_t>(page.limit) - 1];
    next = http::EncodeKeyedCursor(last.next_rotation_at, last.id);
  }
  return Response::Json(200, {{"within_seconds", within / 1'000'000},
                              {"as_of", FormatRfc3339Exact(now)},
                              {"items", std::move(items)},
                              {"next_cursor", next}});
}

absl::StatusOr<Response> PutPolicy(InventoryService& service, const Clock& clock, RequestContext& ctx) {
  TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
  PolicyChange c;
  TF_ASSIGN_OR_RETURN(c.secret_name, body.OptionalString("secret_name", 128));
  TF_ASSIGN_OR_RETURN(c.type, body.OptionalString("type", 32));
  TF_ASSIGN_OR_RETURN(std::optional<int64_t> rotation_days, body.OptionalInt("rotation_days"));
  TF_ASSIGN_OR_RETURN(c.grace_days, body.OptionalInt("grace_days"));
  TF_ASSIGN_OR_RETURN(c.auto_rotate, body.OptionalBool("auto_rotate"));
  TF_ASSIGN_OR_RETURN(c.tenant_id, body.OptionalString("tenant_id", 64));
  TF_RETURN_IF_ERROR(body.Finish());
  if (!rotation_days) return FieldError("rotation_days", "is required");
  c.rotation_days = *rotation_days;
  TF_ASSIGN_OR_RETURN(std::vector<Secret> changed, service.SetPolicy(*ctx.principal, c));
  int64_t now = clock.NowMicros();
  json items = json::array();
  for (const Secret& s : changed) items.push_back(SecretJson(s, service, now));
  return Response::Json(200, {{"items", std::move(items)}});
}

}  // namespace

void RegisterSecretsRoutes(http::Router& router, InventoryService& service, EncryptionStatus& status,
                           const Clock& clock) {
  const Access kRead = Access::Requires(Permission::kSecretsRead);
  const Access kManage = Access::Requires(Permission::kSecretsManage);
  auto with = [&](auto fn) {
    return [&service, &clock, fn](RequestContext& ctx) { return fn(service, clock, ctx); };
  };
  auto plain = [&](auto fn) { return [&service, fn](RequestContext& ctx) { return fn(service, ctx); }; };

  http::Route create{"POST", "/api/secrets", kManage, with(RegisterSecret), kValueBody};
  create.secret_fields = {"value"};
  router.Add(std::move(create));
  router.Add({"GET", "/api/secrets", kRead, with(ListSecrets)});
  router.Add({"GET", "/api/secrets/{name}", Access::Requires(Permission::kSecretsFetch).ApiTokensOnly(),
              plain(FetchSecret)});

  const std::string rotations = "/api/security/secret-rotations";
  http::Route rotate{"POST", rotations, kManage, plain(RotateSecret), kValueBody};
  rotate.secret_fields = {"value"};
  rotate.audit_action = "ROTATE";
  router.Add(std::move(rotate));
  router.Add({"GET", rotations, kRead, plain(ListRotations)});
  router.Add({"GET", rotations + "/due", kRead, with(ListDue)});
  router.Add({"PUT", rotations + "/policy", kManage, with(PutPolicy), kSmallBody});
  router.Add({"GET", "/api/security/encryption-status", kRead, [&status](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, http::TextParam(ctx, "tenant_id", 64));
                TF_ASSIGN_OR_RETURN(json out, status.Get(*ctx.principal, tenant_id));
                return Response::Json(200, out);
              }});
}

}  // namespace tf::secrets
