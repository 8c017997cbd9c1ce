// Tests of the detection rule format and the event workflow: the shipped rules parse and say
// what the contract says (failed_logins: more than 5 in 5 minutes per account or address);
// a bad rule file is refused with the rule and key named; conditions match record fields and
// details as documented; working hours follow the tenant's time zone (summer time included);
// the event status workflow allows exactly its transitions.

#include "modules/security/detection_rules.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/match.h"
#include "modules/security/security_types.h"
#include "support/status_macros.h"

namespace tf::security {
namespace {

//! 2026-01-05T10:00:00Z, a Monday.
constexpr int64_t kMondayTen = int64_t{1767607200} * 1'000'000;

const DetectionRule* Named(const std::vector<DetectionRule>& rules, std::string_view name) {
  for (const DetectionRule& r : rules) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::string ErrorOf(std::string_view yaml) {
  absl::StatusOr<std::vector<DetectionRule>> rules = ParseRules(yaml);
  EXPECT_FALSE(rules.ok()) << yaml;
  return std::string(rules.status().message());
}

constexpr char kRule[] = R"(rules:
  - name: probe
    title: Probe
    type: probing
    severity: low
    match: {event_type: login_failed}
    group_by: [source_ip]
)";

TEST(DetectionRulesTest, TheShippedRulesParseAndFailedLoginsIsAsDocumented) {
  TF_ASSERT_OK_AND_ASSIGN(std::vector<DetectionRule> rules, ParseRules(DefaultRulesYaml()));
  for (std::string_view name : {"failed_logins", "access_denied_burst", "privileged_after_hours", "mfa_disabled",
                                "large_audit_export", "new_device_login", "login_throttled"}) {
    EXPECT_NE(Named(rules, name), nullptr) << name;
  }
  const DetectionRule* failed = Named(rules, "failed_logins");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->threshold, 5);
  EXPECT_EQ(failed->window_seconds, 300);
  EXPECT_EQ(failed->group_by, (std::vector<std::string>{"resource_id", "source_ip"}));
  EXPECT_EQ(failed->severity, "high");
  EXPECT_TRUE(failed->enabled);
  EXPECT_TRUE(Named(rules, "privileged_after_hours")->outside_working_hours);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<DetectionRule> loaded, LoadRules(""));
  EXPECT_EQ(loaded.size(), rules.size());
}

TEST(DetectionRulesTest, ABadRuleFileIsRefusedNamingTheRuleAndTheKey) {
  EXPECT_TRUE(absl::StrContains(ErrorOf("rules: [}"), "not valid YAML")) << ErrorOf("rules: [}");
  EXPECT_TRUE(absl::StrContains(ErrorOf("rule: []"), "'rules'"));
  std::string base = kRule;
  auto with = [&](std::string_view from, std::string_view to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  std::string e = ErrorOf(with("group_by: [source_ip]", "group_by: [source_ip]\n    window: 5 minutes"));
  EXPECT_TRUE(absl::StrContains(e, "rules[0] (probe): window:")) << e;
  e = ErrorOf(with("event_type: login_failed", "colour: red"));
  EXPECT_TRUE(absl::StrContains(e, "match.colour")) << e;
  e = ErrorOf(with("event_type: login_failed", "details.records: {above: 3}"));
  EXPECT_TRUE(absl::StrContains(e, "unknown operator 'above'")) << e;
  e = ErrorOf(with("severity: low", "severity: dire"));
  EXPECT_TRUE(absl::StrContains(e, "severity")) << e;
  e = ErrorOf(with("group_by: [source_ip]", "group_by: [colour]"));
  EXPECT_TRUE(absl::StrContains(e, "group_by")) << e;
  e = ErrorOf(with("    title: Probe\n", ""));
  EXPECT_TRUE(absl::StrContains(e, "title: is required")) << e;
  e = ErrorOf(with("type: probing", "type: probing\n    treshold: 3"));
  EXPECT_TRUE(absl::StrContains(e, "treshold: is not a rule key")) << e;
  e = ErrorOf(base + base.substr(base.find("  - name")));
  EXPECT_TRUE(absl::StrContains(e, "rules[1] (probe): name: is used by another rule")) << e;
  e = ErrorOf(with("name: probe", "name: Probe Rule"));
  EXPECT_TRUE(absl::StrContains(e, "name")) << e;
  EXPECT_TRUE(absl::StrContains(ErrorOf(with("group_by: [source_ip]", "group_by: [source_ip]\n    threshold: -1")),
                                "threshold"));
}

TEST(DetectionRulesTest, WindowsAreSecondsToADay) {
  EXPECT_EQ(ParseWindow("30s").value(), 30);
  EXPECT_EQ(ParseWindow("5m").value(), 300);
  EXPECT_EQ(ParseWindow("2h").value(), 7200);
  EXPECT_EQ(ParseWindow("1d").value(), 86400);
  for (std::string_view bad : {"", "5", "m", "0m", "-5m", "25h", "2d", "5 m", "5M", "1.5h"}) {
    EXPECT_FALSE(ParseWindow(bad).ok()) << bad;
  }
  EXPECT_EQ(WindowText(300), "5m");
  EXPECT_EQ(WindowText(90), "90s");
  EXPECT_EQ(WindowText(86400), "1d");
}

TEST(DetectionRulesTest, ConditionsMatchRecordFieldsAndDetails) {
  TF_ASSERT_OK_AND_ASSIGN(std::vector<DetectionRule> rules, ParseRules(R"(rules:
  - name: export
    title: Export
    type: exfiltration
    severity: medium
    match:
      kind: [event, request]
      status: {gte: 200}
      route: {prefix: /api/audit}
      details.records: {gt: 10000}
    group_by: actor_id
)"));
  ASSERT_EQ(rules.size(), 1u);
  audit::AuditRecord r;
  r.kind = "event";
  r.status = 200;
  r.route = "/api/audit/export";
  r.details = R"({"records":10001,"format":"csv"})";
  EXPECT_TRUE(RecordMatcher(r).Matches(rules[0].match));
  r.details = R"({"records":10000})";
  EXPECT_FALSE(RecordMatcher(r).Matches(rules[0].match)) << "gt is strict";
  r.details = std::nullopt;
  EXPECT_FALSE(RecordMatcher(r).Matches(rules[0].match)) << "pruned details match nothing";
  r.details = R"({"records":20000})";
  r.route = "/api/users";
  EXPECT_FALSE(RecordMatcher(r).Matches(rules[0].match));
  r.route = "/api/audit/export";
  r.kind = "gap";
  EXPECT_FALSE(RecordMatcher(r).Matches(rules[0].match));
  r.kind = "request";
  r.status = std::nullopt;
  EXPECT_FALSE(RecordMatcher(r).Matches(rules[0].match)) << "a record without a status has none to compare";
  r.status = 401;
  EXPECT_TRUE(RecordMatcher(r).Matches(rules[0].match));
  EXPECT_EQ(RecordField(r, "status"), "401");
  EXPECT_EQ(RecordField(r, "actor_id"), std::nullopt);
  EXPECT_EQ(rules[0].group_by, std::vector<std::string>{"actor_id"});
}

TEST(DetectionRulesTest, WorkingHoursFollowTheTenantsTimeZone) {
  WorkingHours utc;  // Monday to Friday, 07:00-19:00 UTC
  EXPECT_TRUE(utc.Contains(kMondayTen));
  EXPECT_FALSE(utc.Contains(kMondayTen - 4 * kMicrosPerHour)) << "06:00";
  EXPECT_TRUE(utc.Contains(kMondayTen - 3 * kMicrosPerHour)) << "07:00 is inside";
  EXPECT_FALSE(utc.Contains(kMondayTen + 9 * kMicrosPerHour)) << "19:00 is outside";
  EXPECT_FALSE(utc.Contains(kMondayTen - 24 * kMicrosPerHour)) << "Sunday";

  TF_ASSERT_OK_AND_ASSIGN(WorkingHours ny, ParseWorkingHours({{"timezone", "America/New_York"},
                                                              {"start", "09:00"},
                                                              {"end", "17:30"},
                                                              {"days", {"mon", "tue", "wed", "thu", "fri"}}}));
  // 10:00 UTC in January is 05:00 in New York.
  EXPECT_FALSE(ny.Contains(kMondayTen));
  EXPECT_TRUE(ny.Contains(kMondayTen + 5 * kMicrosPerHour)) << "10:00 in New York";
  // 2026-07-06 (a Monday) 13:30 UTC is 09:30 EDT: inside in summer, when 13:30 UTC in winter is 08:30.
  constexpr int64_t kJulyMonday = int64_t{1783344600} * 1'000'000;
  EXPECT_TRUE(ny.Contains(kJulyMonday));
  EXPECT_FALSE(ny.Contains(kMondayTen + 3 * kMicrosPerHour + 30 * 60'000'000LL));
  EXPECT_EQ(ny.Json()["end"], "17:30");
  EXPECT_EQ(ny.Json()["days"].size(), 5u);

  for (const nlohmann::json& bad : {nlohmann::json{{"timezone", "Mars/Olympus"}}, nlohmann::json{{"start", "25:00"}},
                                    nlohmann::json{{"start", "18:00"}, {"end", "09:00"}},
                                    nlohmann::json{{"days", {"monday"}}}, nlohmann::json{{"hours", 8}},
                                    nlohmann::json("9-5")}) {
    EXPECT_FALSE(ParseWorkingHours(bad).ok()) << bad.dump();
  }
}

TEST(EventWorkflowTest, ExactlyTheDocumentedTransitionsAreAllowed) {
  const std::set<std::pair<std::string_view, std::string_view>> allowed = {
      {kOpen, kInvestigating}, {kInvestigating, kResolved}, {kInvestigating, kFalsePositive},
      {kResolved, kOpen},      {kFalsePositive, kOpen}};
  for (std::string_view from : kEventStatuses) {
    for (std::string_view to : kEventStatuses) {
      EXPECT_EQ(EventTransitionAllowed(from, to), allowed.contains({from, to})) << from << " -> " << to;
    }
  }
  EXPECT_FALSE(EventTransitionAllowed(kOpen, "closed"));
  EXPECT_EQ(EventTransitionsFrom(kInvestigating), (std::vector<std::string>{"resolved", "false_positive"}));
  EXPECT_TRUE(IsUnresolved(kInvestigating));
  EXPECT_FALSE(IsUnresolved(kFalsePositive));
}

}  // namespace
}  // namespace tf::security
