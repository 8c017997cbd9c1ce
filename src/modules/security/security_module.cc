#include "modules/security/security_module.h"

#include "core/status.h"
#include "modules/security/access_routes.h"
#include "modules/security/incident_routes.h"
#include "modules/security/security_routes.h"

namespace tf::security {

absl::Status SecurityModule::Register(ModuleContext& context) {
  if (!context.audit) return absl::FailedPreconditionError("the security module needs the audit module before it");
  TF_ASSIGN_OR_RETURN(rules_, LoadRules(context.config.security.rules_file));
  events_ = std::make_unique<EventService>(context.db, *context.audit, context.clock, context.rng);
  rule_service_ = std::make_unique<RuleService>(context.db, rules_, *context.audit, context.clock);
  detector_ = std::make_unique<Detector>(context.db, rules_, *events_, context.clock, context.metrics);
  incidents_ = std::make_unique<IncidentService>(context.db, *context.audit, context.clock, context.rng);
  RegisterSecurityRoutes(context.router, *events_, *rule_service_);
  RegisterIncidentRoutes(context.router, *incidents_, context.clock);

  if (!context.authenticator) return absl::FailedPreconditionError("the security module needs the identity module before it");
  grants_ = std::make_unique<GrantCache>(context.clock, [this](int64_t now) { return access_->ActiveGrants(now); });
  access_ = std::make_unique<AccessService>(context.db, *context.audit, context.clock, context.rng, *grants_);
  TF_RETURN_IF_ERROR(grants_->Refresh());
  authenticator_ = std::make_unique<GrantingAuthenticator>(*context.authenticator, *grants_);
  context.authenticator = authenticator_.get();
  if (!context.identity) return absl::FailedPreconditionError("the security module needs the identity module before it");
  reviews_ = std::make_unique<ReviewService>(context.db, *context.audit, *context.identity, context.clock, context.rng);
  RegisterAccessRoutes(context.router, *access_, *reviews_, context.clock);
  TF_RETURN_IF_ERROR(context.scheduler.Every("security.access_sweep", std::chrono::minutes(1),
                                             [this]() -> absl::Status { return access_->Sweep().status(); }));
  return context.scheduler.Every("security.detect", std::chrono::seconds(1),
                                 [this]() -> absl::Status { return detector_->Run().status(); });
}

}  // namespace tf::security
