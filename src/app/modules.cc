#include "app/modules.h"

#include "modules/audit/audit_module.h"
#include "modules/console/console_module.h"
#include "modules/identity/identity_module.h"
#include "modules/monitoring/monitoring_module.h"
#include "modules/secrets/secrets_module.h"
#include "modules/security/security_module.h"

namespace tf {

std::vector<std::unique_ptr<Module>> BuiltinModules() {
  std::vector<std::unique_ptr<Module>> modules;
  modules.push_back(std::make_unique<audit::AuditModule>());        // first: every other module records through it
  modules.push_back(std::make_unique<secrets::SecretsModule>());    // next: others encrypt through it
  modules.push_back(std::make_unique<identity::IdentityModule>());  // then: others authenticate through it
  modules.push_back(std::make_unique<security::SecurityModule>());
  modules.push_back(std::make_unique<monitoring::MonitoringModule>());
  modules.push_back(std::make_unique<console::ConsoleModule>());
  return modules;
}

}  // namespace tf
