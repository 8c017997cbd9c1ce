#pragma once
// The /api/security/access-requests routes: asking for just-in-time access, the lists, and
// approving, rejecting, cancelling and revoking.
// Thread-safety: registration at start-up; handlers are safe from any thread.

#include "core/clock.h"
#include "http/router.h"
#include "modules/security/access_service.h"

namespace tf::security {

void RegisterAccessRoutes(http::Router& router, AccessService& service, const Clock& clock);

}  // namespace tf::security
