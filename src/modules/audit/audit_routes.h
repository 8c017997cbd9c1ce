#pragma once
// The /api/audit routes: the trail's search, records and export, checkpoints, proofs and public
// key; and /api/tenants/{id}/audit-retention, a tenant's retention policy and pruning.
// The JSON shapes are the contract for independent verifiers (docs/audit.md).
// Thread-safety: registration at start-up; handlers are safe from any thread.

#include "core/clock.h"
#include "http/router.h"
#include "modules/audit/audit_log.h"
#include "modules/audit/audit_service.h"
#include "modules/audit/retention.h"

namespace tf::audit {

void RegisterAuditRoutes(http::Router& router, AuditService& service, RetentionService& retention, AuditLog& log,
                         const Clock& clock);

}  // namespace tf::audit
