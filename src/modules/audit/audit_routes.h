#pragma once
// The /api/audit routes: the trail's search and records, checkpoints, proofs and public key.
// The JSON shapes are the contract for independent verifiers (docs/audit.md).
// Thread-safety: registration at start-up; handlers are safe from any thread.

#include "http/router.h"
#include "modules/audit/audit_service.h"

namespace tf::audit {

void RegisterAuditRoutes(http::Router& router, AuditService& service);

}  // namespace tf::audit
