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
#include "modules/secrets/personal_data.h"

namespace tf::audit {

//! `personal_data` opens records' sealed personal fields ("revealed"); it is read per request
//! because the secrets module, registered after this one, sets it.
void RegisterAuditRoutes(http::Router& router, AuditService& service, RetentionService& retention, AuditLog& log,
                         const Clock& clock, secrets::PersonalData* const& personal_data);

}  // namespace tf::audit
