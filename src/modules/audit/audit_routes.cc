#include "modules/audit/audit_routes.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_format.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "http/json_body.h"
#include "http/pagination.h"
#include "http/query_params.h"
#include "modules/audit/audit_export.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/personal_details.h"

namespace tf::audit {

namespace {

using http::RequestContext;
using http::Response;
using nlohmann::json;

constexpr int64_t kMaxIndex = int64_t{1} << 53;  // exact in every JSON reader

//! The search's filters, without paging.
absl::StatusOr<RecordFilter> FilterOf(const RequestContext& ctx) {
  RecordFilter f;
  TF_ASSIGN_OR_RETURN(f.from, http::TimeParam(ctx, "from"));
  TF_ASSIGN_OR_RETURN(f.to, http::TimeParam(ctx, "to"));
  TF_ASSIGN_OR_RETURN(f.actor, http::TextParam(ctx, "actor", 128));
  TF_ASSIGN_OR_RETURN(f.action, http::TextParam(ctx, "action", 32));
  TF_ASSIGN_OR_RETURN(f.resource_type, http::TextParam(ctx, "resource_type", 128));
  TF_ASSIGN_OR_RETURN(f.resource_id, http::TextParam(ctx, "resource_id", 256));
  TF_ASSIGN_OR_RETURN(f.status, http::IntParam(ctx, "status", 100, 599));
  TF_ASSIGN_OR_RETURN(f.outcome, http::OneOfParam(ctx, "outcome", {"success", "failure", "denied", "error"}));
  TF_ASSIGN_OR_RETURN(f.kind, http::OneOfParam(ctx, "kind", {"request", "event"}));
  TF_ASSIGN_OR_RETURN(f.request_id, http::TextParam(ctx, "request_id", 128));
  TF_ASSIGN_OR_RETURN(f.path_contains, http::TextParam(ctx, "q", 256));
  TF_ASSIGN_OR_RETURN(f.tenant_id, http::TextParam(ctx, "tenant_id", 64));
  if (f.from && f.to && *f.from >= *f.to) return FieldError("to", "must be after from");
  return f;
}

absl::StatusOr<int64_t> RequiredIndex(const RequestContext& ctx, std::string_view name) {
  TF_ASSIGN_OR_RETURN(std::optional<int64_t> v, http::IntParam(ctx, name, 0, kMaxIndex));
  if (!v) return FieldError(name, "is required");
  return *v;
}

void Get(http::Router& router, std::string pattern, Access access, http::Handler handler) {
  router.Add({"GET", std::move(pattern), access, std::move(handler)});
}

//! Exports stream for as long as the client reads and hold a worker meanwhile: at most this
//! many run at once.
constexpr int kMaxConcurrentExports = 2;
std::atomic<int> running_exports{0};

//! A slot among the running exports, held by the streaming body.
struct ExportSlot {
  ~ExportSlot() { running_exports.fetch_sub(1); }
};

std::shared_ptr<ExportSlot> TakeExportSlot() {
  if (running_exports.fetch_add(1) >= kMaxConcurrentExports) {
    running_exports.fetch_sub(1);
    return nullptr;
  }
  return std::make_shared<ExportSlot>();
}

//! The body of GET /api/audit/export, and the audit.exported event once it is written.
absl::Status StreamExport(AuditService& service, AuditLog& log, const Principal& caller, const RecordFilter& filter,
                          const Checkpoint& checkpoint, ExportFormat format, int64_t now, http::BodyWriter& out) {
  ExportEncoder encoder(format, checkpoint, filter, now, service.signer());
  bool open = out.Write(encoder.Begin());
  absl::Status encoded = absl::OkStatus();
  absl::Status status = service.ForEachProven(caller, filter, checkpoint, [&](const RecordWithProof& item) {
    absl::StatusOr<std::string> text = encoder.Add(item);
    if (!text.ok()) {
      encoded = text.status();
      return false;
    }
    open = out.Write(*text);
    return open;
  });
  if (status.ok()) status = encoded;
  if (status.ok() && open) open = out.Write(encoder.End());
  bool complete = status.ok() && open;
  AuditEvent event{"audit.exported", "EXPORT", "audit_log", std::nullopt,
                   {{"format", std::string(ExtensionOf(format))},
                    {"records", encoder.count()},
                    {"tree_size", checkpoint.tree_size},
                    {"filter", FilterJson(filter)},
                    {"complete", complete}},
                   complete ? "success" : "failure"};
  TF_RETURN_IF_ERROR(log.RecordEventDurable(filter.tenant_id, Actor::Of(caller), event));
  return status;
}

json RetentionJson(const std::string& tenant_id, const std::optional<RetentionPolicy>& p) {
  auto opt_time = [](const std::optional<int64_t>& t) { return t ? json(FormatRfc3339Exact(*t)) : json(nullptr); };
  return {{"tenant_id", tenant_id},
          {"retention_days", p ? json(p->retention_days) : json(nullptr)},
          {"updated_at", p ? json(FormatRfc3339Exact(p->updated_at)) : json(nullptr)},
          {"updated_by", p && p->updated_by ? json(*p->updated_by) : json(nullptr)},
          {"last_pruned_at", p ? opt_time(p->last_pruned_at) : json(nullptr)},
          {"last_pruned_count", p ? p->last_pruned_count : 0},
          {"min_days", RetentionService::kMinDays},
          {"max_days", RetentionService::kMaxDays}};
}

void RegisterRetentionRoutes(http::Router& router, RetentionService& retention) {
  const std::string pattern = "/api/tenants/{id}/audit-retention";
  const Access kManage = Access::Requires(Permission::kAuditManage);
  Get(router, pattern, Access::Requires(Permission::kAuditRead), [&retention](RequestContext& ctx) -> absl::StatusOr<Response> {
    const std::string& id = ctx.PathParam("id");
    TF_ASSIGN_OR_RETURN(std::optional<RetentionPolicy> p, retention.Get(*ctx.principal, id));
    return Response::Json(200, RetentionJson(id, p));
  });
  router.Add({"PUT", pattern, kManage, [&retention](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(http::JsonReader body, http::JsonReader::Parse(ctx.request.body));
                TF_ASSIGN_OR_RETURN(std::optional<int64_t> days, body.OptionalInt("retention_days"));
                TF_RETURN_IF_ERROR(body.Finish());
                if (!days) return FieldError("retention_days", "is required (DELETE removes the policy)");
                const std::string& id = ctx.PathParam("id");
                TF_ASSIGN_OR_RETURN(RetentionPolicy p, retention.Set(*ctx.principal, id, *days));
                return Response::Json(200, RetentionJson(id, p));
              }});
  router.Add({"DELETE", pattern, kManage, [&retention](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_RETURN_IF_ERROR(retention.Remove(*ctx.principal, ctx.PathParam("id")));
                return Response::NoContent();
              }});
  router.Add({"POST", pattern + "/prune", kManage, [&retention](RequestContext& ctx) -> absl::StatusOr<Response> {
                TF_ASSIGN_OR_RETURN(PruneResult r, retention.Prune(*ctx.principal, ctx.PathParam("id")));
                return Response::Json(200, {{"tenant_id", r.tenant_id},
                                            {"cutoff", FormatRfc3339Exact(r.cutoff)},
                                            {"pruned", r.pruned}});
              }});
}

}  // namespace

void RegisterAuditRoutes(http::Router& router, AuditService& service, RetentionService& retention, AuditLog& log,
                         const Clock& clock, secrets::PersonalData* const& personal_data) {
  // A served record, with its sealed personal fields opened beside it (outside the leaf).
  auto served = [&personal_data](const AuditRecord& r) {
    json out = RecordJson(r);
    if (personal_data != nullptr) {
      json revealed = RevealPersonalFields(out["details"], r.id, *personal_data);
      if (!revealed.empty()) out["revealed"] = std::move(revealed);
    }
    return out;
  };
  RegisterRetentionRoutes(router, retention);
  const Access kRead = Access::Requires(Permission::kAuditRead);

  Get(router, "/api/audit/public-key", Access::Public(), [&service](RequestContext&) -> absl::StatusOr<Response> {
    const note::Verifier& v = service.signer().verifier();
    return Response::Json(200, {{"algorithm", "ed25519"},
                                {"key_name", v.name()},
                                {"key_id", absl::StrFormat("%08x", v.key_id())},
                                {"public_key", crypto::Base64Encode(v.public_key())},
                                {"verifier_key", v.KeyString()}});
  });

  Get(router, "/api/audit/checkpoints/latest", kRead, [&service](RequestContext&) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(Checkpoint c, service.LatestCheckpoint());
    return Response::Json(200, CheckpointJson(c));
  });

  Get(router, "/api/audit/checkpoints", kRead, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(http::NumberPageRequest page, http::ParseNumberPageRequest(ctx.request));
    TF_ASSIGN_OR_RETURN(std::vector<Checkpoint> list, service.ListCheckpoints(page.after, page.limit + 1));
    json items = json::array();
    json next = nullptr;
    for (size_t i = 0; i < list.size() && i < static_cast<size_t>(page.limit); ++i) items.push_back(CheckpointJson(list[i]));
    if (list.size() > static_cast<size_t>(page.limit)) {
      next = http::EncodeCursor(std::to_string(list[static_cast<size_t>(page.limit) - 1].tree_size));
    }
    return Response::Json(200, {{"items", std::move(items)}, {"next_cursor", next}});
  });

  Get(router, "/api/audit/logs", kRead, [&service, served](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(http::PageRequest page, http::ParsePageRequest(ctx.request));
    TF_ASSIGN_OR_RETURN(RecordFilter filter, FilterOf(ctx));
    filter.limit = page.limit + 1;
    filter.after_id = page.after_id;
    int limit = page.limit;
    TF_ASSIGN_OR_RETURN(std::vector<AuditRecord> records, service.List(*ctx.principal, std::move(filter)));
    json items = json::array();
    for (const AuditRecord& r : records) items.push_back(served(r));
    return Response::Json(200, http::PageResponse(std::move(items), limit));
  });

  Get(router, "/api/audit/logs/{id}", kRead, [&service, served](RequestContext& ctx) -> absl::StatusOr<Response> {
    const std::string& id = ctx.PathParam("id");
    if (!IsUuid(id)) return absl::NotFoundError("no such audit record");
    TF_ASSIGN_OR_RETURN(RecordWithProof r, service.Get(*ctx.principal, id));
    json out = served(r.record);
    out["leaf"] = crypto::Base64Encode(r.leaf);
    out["leaf_hash"] = merkle::ToHex(merkle::LeafHash(r.leaf));
    out["proof"] = nullptr;
    if (r.checkpoint) {
      out["proof"] = {{"tree_size", r.checkpoint->tree_size}, {"hashes", HashesJson(r.proof)}};
      out["checkpoint"] = CheckpointJson(*r.checkpoint);
    }
    return Response::Json(200, out);
  });

  http::Route export_route{"GET", "/api/audit/export", kRead, [&service, &log, &clock](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::optional<std::string> format_name, http::OneOfParam(ctx, "format", {"json", "jsonl", "csv"}));
    ExportFormat format = ParseExportFormat(format_name.value_or("jsonl")).value();
    TF_ASSIGN_OR_RETURN(RecordFilter filter, FilterOf(ctx));
    if (std::optional<std::string> scope = ctx.principal->TenantScope()) filter.tenant_id = *scope;
    TF_ASSIGN_OR_RETURN(Checkpoint checkpoint, service.LatestCheckpoint());
    std::shared_ptr<ExportSlot> slot = TakeExportSlot();
    if (!slot) {
      return WithRetryAfter(absl::ResourceExhaustedError(StrCat("at most ", kMaxConcurrentExports,
                                                                " audit exports run at once; try again shortly")),
                            30);
    }
    int64_t now = clock.NowMicros();
    Response r;
    r.headers.Add("Content-Type", std::string(ContentTypeOf(format)));
    r.headers.Add("Content-Disposition", StrCat("attachment; filename=\"audit-", checkpoint.tree_size, ".",
                                                ExtensionOf(format), "\""));
    r.headers.Add("Cache-Control", "no-store");
    r.headers.Add("X-Audit-Tree-Size", std::to_string(checkpoint.tree_size));
    const RequestInfo* info = RequestScope::Current();
    r.stream = [&service, &log, slot, caller = *ctx.principal, filter, checkpoint, format, now,
                info = info ? *info : RequestInfo{}](http::BodyWriter& out) {
      RequestScope scope(info);
      return StreamExport(service, log, caller, filter, checkpoint, format, now, out);
    };
    return r;
  }};
  export_route.audit_action = "EXPORT";
  router.Add(std::move(export_route));

  Get(router, "/api/audit/stats", kRead, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(std::optional<int64_t> from, http::TimeParam(ctx, "from"));
    TF_ASSIGN_OR_RETURN(std::optional<int64_t> to, http::TimeParam(ctx, "to"));
    TF_ASSIGN_OR_RETURN(std::optional<std::string> tenant_id, http::TextParam(ctx, "tenant_id", 64));
    TF_ASSIGN_OR_RETURN(AuditStats s, service.Stats(*ctx.principal, tenant_id, from, to));
    auto counts = [](const std::vector<AuditStats::Count>& list, const char* key) {
      json out = json::array();
      for (const auto& c : list) out.push_back({{key, c.key}, {"count", c.count}});
      return out;
    };
    json days = json::array();
    for (const auto& d : s.by_day) days.push_back({{"day", d.day}, {"total", d.total}, {"denied", d.denied}, {"failed", d.failed}});
    return Response::Json(200, {{"from", FormatRfc3339Exact(s.from)},
                                {"to", FormatRfc3339Exact(s.to)},
                                {"total", s.total},
                                {"by_action", counts(s.by_action, "action")},
                                {"by_outcome", counts(s.by_outcome, "outcome")},
                                {"by_status_class", counts(s.by_status_class, "status_class")},
                                {"by_actor", counts(s.by_actor, "actor")},
                                {"by_day", std::move(days)}});
  });

  Get(router, "/api/audit/proof/inclusion", kRead, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(int64_t leaf_index, RequiredIndex(ctx, "leaf_index"));
    TF_ASSIGN_OR_RETURN(int64_t tree_size, RequiredIndex(ctx, "tree_size"));
    TF_ASSIGN_OR_RETURN(std::vector<merkle::Hash> hashes, service.InclusionProof(leaf_index, tree_size));
    return Response::Json(200, {{"leaf_index", leaf_index}, {"tree_size", tree_size}, {"hashes", HashesJson(hashes)}});
  });

  Get(router, "/api/audit/proof/consistency", kRead, [&service](RequestContext& ctx) -> absl::StatusOr<Response> {
    TF_ASSIGN_OR_RETURN(int64_t first, RequiredIndex(ctx, "first"));
    TF_ASSIGN_OR_RETURN(int64_t second, RequiredIndex(ctx, "second"));
    TF_ASSIGN_OR_RETURN(std::vector<merkle::Hash> hashes, service.ConsistencyProof(first, second));
    return Response::Json(200, {{"first", first}, {"second", second}, {"hashes", HashesJson(hashes)}});
  });
}

}  // namespace tf::audit
