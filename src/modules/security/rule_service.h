#pragma once
// RuleService: the detection rules as each tenant runs them, and tenants' settings of them
// (enabled, threshold, window, severity, working hours), each change audited. The rules
// themselves come from the rule file and do not change while trustd runs.
// Platform operators act on any tenant (`tenant_id`, default their own); everyone else on
// their own.
// Thread-safety: safe from any thread.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/principal.h"
#include "modules/audit/audit_log.h"
#include "modules/security/detector.h"
#include "modules/security/security_repo.h"
#include "store/database.h"

namespace tf::security {

//! A rule as the tenant runs it, with the tenant's setting when it has one.
struct TenantRule {
  std::string tenant_id;
  EffectiveRule effective;
  std::optional<RuleSetting> setting;
};

//! Unset fields are left as they are.
struct RuleChange {
  std::optional<std::string> tenant_id;
  std::optional<bool> enabled;
  std::optional<int64_t> threshold;
  std::optional<std::string> window;  //!< "5m"
  std::optional<std::string> severity;
  std::optional<nlohmann::json> working_hours;
  bool reset = false;  //!< back to the rule file's values (before applying the fields above)
};

class RuleService {
 public:
  RuleService(store::Database& db, const std::vector<DetectionRule>& rules, audit::AuditLog& audit,
              const Clock& clock);

  absl::StatusOr<std::vector<TenantRule>> List(const Principal& caller, const std::optional<std::string>& tenant_id);
  absl::StatusOr<TenantRule> Get(const Principal& caller, const std::optional<std::string>& tenant_id,
                                 const std::string& name);
  absl::StatusOr<TenantRule> Update(const Principal& caller, const std::string& name, const RuleChange& change);

 private:
  const DetectionRule* Find(const std::string& name) const;

  store::Database& db_;
  const std::vector<DetectionRule>& rules_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  SecurityRepo repo_;
};

}  // namespace tf::security
