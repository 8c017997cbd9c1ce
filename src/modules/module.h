#pragma once
// Module: one domain folder's wiring. A module builds its repo and service from the shared
// parts in ModuleContext, registers its routes, periodic tasks, jobs and health checks, and
// owns what it built. src/app/modules.cc lists the modules, in order.
// Thread-safety: Register runs once at start-up on one thread.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "http/middlewares.h"
#include "http/router.h"
#include "jobs/job_queue.h"
#include "jobs/scheduler.h"
#include "nlohmann/json.hpp"
#include "store/database.h"

namespace tf {

namespace audit {
class AuditLog;
}
namespace secrets {
class DataKeys;
class PersonalData;
}
namespace identity {
class IdentityService;
}

//! A named check for /health/ready and /health/detailed.
struct HealthCheck {
  std::string name;
  bool required_for_ready = true;
  //! OK when healthy; `details` receives what an operator should see.
  std::function<absl::Status(nlohmann::json& details)> check;
};

struct ModuleContext {
  const Config& config;
  store::Database& db;
  const Clock& clock;
  Rng& rng;
  metrics::Registry& metrics;
  http::Router& router;
  jobs::Scheduler& scheduler;
  jobs::JobQueue& jobs;
  std::vector<HealthCheck>& health_checks;
  //! Set by the identity module; the authentication middleware uses it.
  http::Authenticator* authenticator = nullptr;
  //! Set by the audit module (registered first): how modules record domain events.
  audit::AuditLog* audit = nullptr;
  //! Set by the secrets module (registered second): each tenant's data keys, for encrypting fields.
  secrets::DataKeys* data_keys = nullptr;
  //! Set by the secrets module: people's data under per-person keys (crypto-shredding).
  secrets::PersonalData* personal_data = nullptr;
  //! Live server figures (connections, in-flight, threads); empty until the server runs.
  std::function<nlohmann::json()> server_stats;
  //! This process among the instances sharing the database (host:pid): lease holder name.
  std::string instance_id;
  //! Set by the identity module: users and roles for the modules that review them.
  identity::IdentityService* identity = nullptr;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual std::string_view name() const = 0;
  [[nodiscard]] virtual absl::Status Register(ModuleContext& context) = 0;
};

}  // namespace tf
