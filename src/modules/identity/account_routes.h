#pragma once
// HTTP routes of account security: the caller's MFA, sessions, devices and events under
// /api/auth, administrators' views of a user's under /api/users/{id}, the tenant's security
// policy under /api/tenants/{id}/security-policy, and the dashboard counts.
// Thread-safety: handlers are safe from any thread.

#include "http/router.h"
#include "modules/identity/account_service.h"

namespace tf::identity {

void RegisterAccountRoutes(http::Router& router, AccountService& service);

}  // namespace tf::identity
