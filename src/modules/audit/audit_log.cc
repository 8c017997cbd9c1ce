#include "modules/audit/audit_log.h"

#include "core/ids.h"
#include "core/rng.h"
#include "core/status.h"
#include "modules/audit/audit_record.h"

namespace tf::audit {

namespace {

thread_local const RequestInfo* current_request = nullptr;

std::optional<std::string> NonEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

Actor Actor::Of(const Principal& p) {
  std::optional<std::string> via = p.via.empty() ? std::nullopt : std::optional<std::string>(p.via);
  if (p.kind == Principal::Kind::kApiToken) return {"api_token", p.credential_id, p.user_id, via};
  return {"user", p.user_id, p.user_id, via};
}

RequestScope::RequestScope(const RequestInfo& info) : previous_(current_request) { current_request = &info; }
RequestScope::~RequestScope() { current_request = previous_; }
const RequestInfo* RequestScope::Current() { return current_request; }

AuditLog::AuditLog(store::Database& db, const Clock& clock, metrics::Registry& metrics)
    : clock_(clock),
      appended_(metrics.AddCounter("audit_records_appended_total", "Audit records written.").Get()),
      failures_(metrics.AddCounter("audit_append_failures_total", "Audit records that could not be written.").Get()),
      batch_size_(metrics
                      .AddHistogram("audit_group_commit_records", "Records written per audit group commit.", {},
                                    {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048})
                      .Get()),
      durable_seconds_(
          metrics.AddHistogram("audit_append_durable_seconds", "Time from an audit append to its durable commit.")
              .Get()),
      commits_(
          db, [this](store::Transaction& tx, std::vector<AuditRecord>& records) { return repo_.Append(tx, records); },
          kMaxBatch, [this](const std::vector<AuditRecord>& records, const absl::Status& status) {
            batch_size_.Observe(static_cast<double>(records.size()));
            (status.ok() ? appended_ : failures_).Inc(static_cast<double>(records.size()));
            if (status.ok()) leaf_feed_.Add(records);
          },
          kMaxQueued, &durable_seconds_) {}

AuditRecord AuditLog::NewRecord(std::string kind, const Actor& actor) const {
  AuditRecord r;
  r.id = NewUuidV7(clock_, FastRng::Instance());
  r.time = clock_.NowMicros();
  r.kind = std::move(kind);
  r.actor_type = actor.type;
  r.actor_id = actor.id;
  r.actor_user_id = actor.user_id;
  r.actor_via = actor.via;
  if (const RequestInfo* req = RequestScope::Current()) {
    r.request_id = NonEmpty(req->request_id);
    r.trace_id = NonEmpty(req->trace_id);
    r.method = NonEmpty(req->method);
    r.route = NonEmpty(req->route);
    r.path = NonEmpty(req->path);
    r.source_ip = NonEmpty(req->source_ip);
    r.user_agent = NonEmpty(req->user_agent);
  }
  return r;
}

AuditRecord AuditLog::EventRecord(const std::optional<std::string>& tenant_id, const Actor& actor,
                                  const AuditEvent& event) const {
  AuditRecord r = NewRecord("event", actor);
  r.tenant_id = tenant_id;
  r.event_type = event.type;
  r.action = event.action;
  r.resource_type = event.resource_type;
  r.resource_id = event.resource_id;
  r.outcome = event.outcome;
  SetDetails(r, event.details);
  return r;
}

absl::Status AuditLog::RecordEvent(store::Transaction& tx, const std::optional<std::string>& tenant_id,
                                   const Actor& actor, const AuditEvent& event) {
  std::vector<AuditRecord> records{EventRecord(tenant_id, actor, event)};
  absl::Status status = repo_.Append(tx, records);
  if (status.ok()) appended_.Inc();
  return status;
}

absl::Status AuditLog::RecordEventDurable(const std::optional<std::string>& tenant_id, const Actor& actor,
                                          const AuditEvent& event) {
  return AppendDurable(EventRecord(tenant_id, actor, event));
}

absl::Status AuditLog::AppendDurable(AuditRecord record) {
  // The leaf is hashed here, on the caller's thread, not by the one writer.
  if (absl::Status hashed = SetLeafHash(record); !hashed.ok()) {
    failures_.Inc();
    return hashed;
  }
  return commits_.Submit(std::move(record));
}

absl::Status AuditLog::AppendAsync(AuditRecord record, store::GroupCommit<AuditRecord>::DoneFn done) {
  if (absl::Status hashed = SetLeafHash(record); !hashed.ok()) {
    failures_.Inc();
    return hashed;
  }
  absl::Status queued = commits_.SubmitAsync(std::move(record), std::move(done));
  if (!queued.ok()) failures_.Inc();
  return queued;
}

}  // namespace tf::audit
