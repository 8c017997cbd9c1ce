#pragma once
// AuditLog: how everything writes to the audit trail.
//  - RecordEvent: a domain event (role granted, MFA disabled, key rotated, ...) written in the
//    caller's transaction, so the change and its record commit together or not at all.
//  - AppendDurable: an API request's record, written by group commit (concurrent callers share
//    one transaction and one fsync) and durable when it returns; AppendAsync, the same without
//    waiting: it calls back once the record is durable. Committed records' leaf hashes go to
//    the leaf feed, where the tree builder takes them.
// Both fill the request's context (request id, trace, method, route, path, address, user agent)
// from the RequestScope the audit middleware opens around each request.
// Thread-safety: safe from any thread.

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/principal.h"
#include "modules/audit/audit_repo.h"
#include "modules/audit/leaf_feed.h"
#include "nlohmann/json.hpp"
#include "store/database.h"
#include "store/group_commit.h"

namespace tf::audit {

//! Who acted: a user's session, an API token, nobody signed in, or the system itself.
struct Actor {
  std::string type = "anonymous";
  std::optional<std::string> id, user_id, via;

  static Actor Of(const Principal& p);
  static Actor System() { return {"system", std::nullopt, std::nullopt, std::nullopt}; }
};

//! What the audit middleware knows of the request being served on this thread.
struct RequestInfo {
  std::string request_id, trace_id, method, route, path, source_ip, user_agent;
};

//! Makes `info` the current request of this thread for its lifetime.
class RequestScope {
 public:
  explicit RequestScope(const RequestInfo& info);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
  static const RequestInfo* Current();

 private:
  const RequestInfo* previous_;
};

struct AuditEvent {
  std::string type;    //!< "mfa.disabled", "user.role_granted", ...
  std::string action;  //!< CREATE, UPDATE, DELETE, LOGIN, LOGOUT, ...
  std::optional<std::string> resource_type, resource_id;
  nlohmann::json details = nlohmann::json::object();  //!< redacted by SetDetails
  std::string outcome = "success";
};

class AuditLog {
 public:
  AuditLog(store::Database& db, const Clock& clock, metrics::Registry& metrics);

  //! Writes `event` in `tx` (tenant nullopt: a platform-level record).
  [[nodiscard]] absl::Status RecordEvent(store::Transaction& tx, const std::optional<std::string>& tenant_id,
                                         const Actor& actor, const AuditEvent& event);
  //! Writes `event` when it accompanies no change of its own (an export, say), by group commit;
  //! returns once it is durable.
  [[nodiscard]] absl::Status RecordEventDurable(const std::optional<std::string>& tenant_id, const Actor& actor,
                                                const AuditEvent& event);
  //! Writes `record` (id, time and leaf index are set here) and returns once it is durable.
  [[nodiscard]] absl::Status AppendDurable(AuditRecord record);
  //! Queues `record` (id, time and leaf index are set here); `done` is told once it is durable
  //! or could not be written, on the group commit's thread (quick, never waiting). An error at
  //! once (and no call of `done`) when too many records are already waiting, or when the
  //! record has no leaf (text that is not UTF-8).
  [[nodiscard]] absl::Status AppendAsync(AuditRecord record, store::GroupCommit<AuditRecord>::DoneFn done);
  //! The id and time of a new record, and the current request's context.
  AuditRecord NewRecord(std::string kind, const Actor& actor) const;

  //! The leaf hashes of the records the group commit wrote, for the tree builder.
  LeafFeed& leaf_feed() { return leaf_feed_; }

  //! Most records one group commit writes.
  static constexpr size_t kMaxBatch = 2048;
  //! Most records AppendAsync lets wait for their commit.
  static constexpr size_t kMaxQueued = 65536;

 private:
  AuditRecord EventRecord(const std::optional<std::string>& tenant_id, const Actor& actor,
                          const AuditEvent& event) const;

  const Clock& clock_;
  AuditRepo repo_;
  metrics::Counter& appended_;
  metrics::Counter& failures_;
  metrics::Histogram& batch_size_;
  metrics::Histogram& durable_seconds_;
  LeafFeed leaf_feed_;
  store::GroupCommit<AuditRecord> commits_;  // last: its writer uses the members above
};

}  // namespace tf::audit
