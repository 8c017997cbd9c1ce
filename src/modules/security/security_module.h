#pragma once
// The security module: security events and their workflow, the detection rules (the rule
// file's, with each tenant's settings) and the detector that runs them over the audit trail
// every second, incidents from declaration to postmortem, just-in-time access (its grants
// added to signed-in users' roles by wrapping the identity module's authenticator), and their
// /api/security routes.
// Thread-safety: see Module.

#include <memory>
#include <vector>

#include "modules/module.h"
#include "modules/security/access_service.h"
#include "modules/security/detector.h"
#include "modules/security/grant_cache.h"
#include "modules/security/event_service.h"
#include "modules/security/incident_service.h"
#include "modules/security/review_service.h"
#include "modules/security/rule_service.h"

namespace tf::security {

class SecurityModule final : public Module {
 public:
  std::string_view name() const override { return "security"; }
  absl::Status Register(ModuleContext& context) override;

 private:
  std::vector<DetectionRule> rules_;
  std::unique_ptr<EventService> events_;
  std::unique_ptr<RuleService> rule_service_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<IncidentService> incidents_;
  std::unique_ptr<AccessService> access_;
  std::unique_ptr<GrantCache> grants_;
  std::unique_ptr<GrantingAuthenticator> authenticator_;
  std::unique_ptr<ReviewService> reviews_;
};

}  // namespace tf::security
