#pragma once
// The secret inventory's routes: /api/secrets (register, list, fetch a value),
// /api/security/secret-rotations (the ledger, what is due, rotating, policies) and
// /api/security/encryption-status.
// Thread-safety: registration at start-up; handlers are safe from any thread.

#include "core/clock.h"
#include "http/router.h"
#include "modules/secrets/encryption_status.h"
#include "modules/secrets/inventory_service.h"

namespace tf::secrets {

void RegisterSecretsRoutes(http::Router& router, InventoryService& service, EncryptionStatus& status,
                           const Clock& clock);

}  // namespace tf::secrets
