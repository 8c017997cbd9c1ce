#pragma once
// The /api/security/incidents routes: declaration, lists, detail with metrics and the breach
// clock, lifecycle moves, notes, linked events, postmortems (JSON and Markdown) and MTTx
// metrics per severity.
// Thread-safety: registration at start-up; handlers are safe from any thread.

#include "core/clock.h"
#include "http/router.h"
#include "modules/security/incident_service.h"

namespace tf::security {

void RegisterIncidentRoutes(http::Router& router, IncidentService& service, const Clock& clock);

}  // namespace tf::security
