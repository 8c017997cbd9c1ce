#include "modules/security/rule_service.h"

#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "modules/security/event_service.h"

namespace tf::security {

namespace {

using nlohmann::json;

json SettingAudit(const EffectiveRule& e) {
  json out = {{"enabled", e.enabled},
              {"threshold", e.threshold},
              {"window_seconds", e.window_seconds},
              {"severity", e.severity}};
  if (e.rule->outside_working_hours) out["working_hours"] = e.working_hours.Json();
  return out;
}

}  // namespace

RuleService::RuleService(store::Database& db, const std::vector<DetectionRule>& rules, audit::AuditLog& audit,
                         const Clock& clock)
    : db_(db), rules_(rules), audit_(audit), clock_(clock) {}

const DetectionRule* RuleService::Find(const std::string& name) const {
  for (const DetectionRule& r : rules_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

absl::StatusOr<std::vector<TenantRule>> RuleService::List(const Principal& caller,
                                                          const std::optional<std::string>& tenant_id) {
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantToActOn(db_, caller, tenant_id));
  TF_ASSIGN_OR_RETURN(std::vector<RuleSetting> settings, db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) {
                        return repo_.RuleSettings(tx, tenant);
                      }));
  std::vector<TenantRule> out;
  for (const DetectionRule& r : rules_) {
    TenantRule t{tenant, {}, std::nullopt};
    for (const RuleSetting& s : settings) {
      if (s.rule == r.name) t.setting = s;
    }
    t.effective = Effective(r, t.setting ? &*t.setting : nullptr);
    out.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<TenantRule> RuleService::Get(const Principal& caller, const std::optional<std::string>& tenant_id,
                                            const std::string& name) {
  TF_ASSIGN_OR_RETURN(std::vector<TenantRule> all, List(caller, tenant_id));
  for (TenantRule& t : all) {
    if (t.effective.rule->name == name) return std::move(t);
  }
  return absl::NotFoundError(StrCat("no detection rule named '", name.substr(0, 64), "'"));
}

absl::StatusOr<TenantRule> RuleService::Update(const Principal& caller, const std::string& name, const RuleChange& c) {
  const DetectionRule* rule = Find(name);
  if (!rule) return absl::NotFoundError(StrCat("no detection rule named '", name.substr(0, 64), "'"));
  TF_ASSIGN_OR_RETURN(std::string tenant, TenantToActOn(db_, caller, c.tenant_id));
  std::optional<int64_t> window;
  if (c.window) {
    absl::StatusOr<int64_t> seconds = ParseWindow(*c.window);
    if (!seconds.ok()) return FieldError("window", std::string(seconds.status().message()));
    window = *seconds;
  }
  if (c.threshold && (*c.threshold < 0 || *c.threshold > 1'000'000)) {
    return FieldError("threshold", "must be between 0 and 1000000");
  }
  if (c.severity) TF_RETURN_IF_ERROR(ValidSeverity("severity", *c.severity));
  std::optional<std::string> hours;
  if (c.working_hours) {
    if (!rule->outside_working_hours) return FieldError("working_hours", "this rule does not use working hours");
    TF_ASSIGN_OR_RETURN(WorkingHours h, ParseWorkingHours(*c.working_hours));
    hours = h.Json().dump();
  }
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<TenantRule> {
    TF_ASSIGN_OR_RETURN(std::vector<RuleSetting> settings, repo_.RuleSettings(tx, tenant));
    const RuleSetting* existing = nullptr;
    for (const RuleSetting& setting : settings) {
      if (setting.rule == name) existing = &setting;
    }
    EffectiveRule before = Effective(*rule, existing);
    RuleSetting s;
    if (existing && !c.reset) s = *existing;
    s.tenant_id = tenant;
    s.rule = name;
    if (c.enabled) s.enabled = c.enabled;
    if (c.threshold) s.threshold = c.threshold;
    if (window) s.window_seconds = window;
    if (c.severity) s.severity = c.severity;
    if (hours) s.working_hours = hours;
    s.updated_at = clock_.NowMicros();
    s.updated_by = caller.Actor();
    TF_RETURN_IF_ERROR(repo_.PutRuleSetting(tx, s));
    TenantRule out{tenant, Effective(*rule, &s), s};
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, tenant, audit::Actor::Of(caller),
                                          {"detection_rule.updated", "UPDATE", "detection_rules", name,
                                           {{"before", SettingAudit(before)}, {"after", SettingAudit(out.effective)}}}));
    return out;
  });
}

}  // namespace tf::security
