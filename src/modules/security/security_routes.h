#pragma once
// The /api/security routes of security events and detection rules: JSON <-> typed values,
// the permission of each route, and the services' calls.
// Thread-safety: registration at start-up; handlers are safe from any thread.

#include "http/router.h"
#include "modules/security/event_service.h"
#include "modules/security/rule_service.h"

namespace tf::security {

void RegisterSecurityRoutes(http::Router& router, EventService& events, RuleService& rules);

}  // namespace tf::security
