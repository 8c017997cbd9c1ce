#pragma once
// The /api/security/access-requests routes (asking for just-in-time access, the lists, and
// approving, rejecting, cancelling and revoking) and the /api/security/access-reviews routes.
// Thread-safety: registration at start-up; handlers are safe from any thread.

#include "core/clock.h"
#include "http/router.h"
#include "modules/security/access_service.h"
#include "modules/security/review_service.h"

namespace tf::security {

void RegisterAccessRoutes(http::Router& router, AccessService& service, ReviewService& reviews, const Clock& clock);

}  // namespace tf::security
