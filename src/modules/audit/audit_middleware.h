#pragma once
// The audit middleware: every request under /api/ leaves a record in the audit trail, failed
// authentication and refused permission included. It opens the RequestScope that events
// recorded by services during the request read, and after the handler writes the request's
// record by group commit before the answer leaves. When that write fails, a successful
// read-only request is answered 503 instead (unless audit.fail_open_reads); a state change
// keeps its answer, since its domain event committed with the change; an error keeps its own.
// A route's personal fields are sealed under the person's key (personal_details.h). Requests
// under /api/ that the server refuses before the pipeline (a body over the route's limit, a
// target that is not a valid path) are recorded too, through RecordRefused.
// Thread-safety: safe from any thread.

#include "http/pipeline.h"
#include "http/server.h"
#include "modules/audit/audit_log.h"
#include "modules/secrets/personal_data.h"

namespace tf::audit {

class AuditMiddleware final : public http::Middleware {
 public:
  //! `personal` seals personal fields; without it they are redacted.
  AuditMiddleware(AuditLog& log, bool fail_open_reads, secrets::PersonalData* personal)
      : log_(log), fail_open_reads_(fail_open_reads), personal_(personal) {}
  absl::StatusOr<http::Response> Handle(http::RequestContext& ctx, const http::Next& next) override;

  //! The record of a finished request (exposed for tests).
  AuditRecord RecordOf(const http::RequestContext& ctx, int status) const;
  //! Records a request under /api/ the server refused itself (`route`: the one its method and
  //! path match, or null). Never waits: the record is queued for the group commit.
  void RecordRefused(const http::RefusedRequest& refused, const http::Route* route) const;

 private:
  AuditLog& log_;
  bool fail_open_reads_;
  secrets::PersonalData* personal_;
};

//! "users.sessions" for /api/users/{id}/sessions/{session_id}: the static segments after /api.
std::string ResourceTypeOf(std::string_view pattern);
//! CREATE, READ, UPDATE, DELETE from the method.
std::string ActionOf(std::string_view method);
//! success (1xx-3xx), denied (401, 403), error (5xx) or failure (other 4xx).
std::string OutcomeOf(int status);

}  // namespace tf::audit
