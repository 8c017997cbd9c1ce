// Tests of security events and detection on both backends, driven by a fake clock.
// Events: reported events start open and move only along the workflow (409 otherwise), each
// move recorded with who, when and why and audited; lists filter; tenants see only their own;
// assignees must belong to the event's tenant; metadata is redacted.
// Detection: the shipped failed_logins rule raises above 5 failures per account or address
// within 5 minutes and not at 5, slides its window, keeps one unresolved event per group
// (counting further failures on it) and raises anew once that one is resolved; tenants'
// settings disable and tune rules; platform-level records belong to the system tenant; a
// restarted or second detector rebuilds its windows and evaluates each record once; a new
// deployment evaluates only its recent history; privileged actions count outside working
// hours only, in the tenant's time zone.

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "unit/security/security_fixture.h"

namespace tf::security {
namespace {

class SecurityTest : public SecurityFixture {};

TEST_P(SecurityTest, AReportedEventMovesAlongTheWorkflowOnlyAndEachMoveIsRecorded) {
  Principal admin = AdminOf(kTenantA, kUserA);
  TF_ASSERT_OK_AND_ASSIGN(SecurityEvent e, events_->Report(admin, Suspicious()));
  EXPECT_EQ(e.status, "open");
  EXPECT_EQ(e.source, "upload-scanner");
  EXPECT_EQ(e.tenant_id, kTenantA);
  EXPECT_FALSE(absl::StrContains(e.metadata, "sk_live")) << "metadata is redacted: " << e.metadata;
  EXPECT_TRUE(absl::StrContains(e.metadata, "invoice.pdf"));

  absl::StatusOr<EventDetail> skip = events_->ChangeStatus(admin, e.id, "resolved", std::string("done"));
  EXPECT_EQ(skip.status().code(), absl::StatusCode::kFailedPrecondition) << skip.status();
  EXPECT_TRUE(absl::StrContains(skip.status().message(), "it can move to investigating")) << skip.status();
  EXPECT_EQ(events_->ChangeStatus(admin, e.id, "open", std::nullopt).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(events_->ChangeStatus(admin, e.id, "closed", std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);

  clock_.Advance(std::chrono::minutes(3));
  TF_ASSERT_OK(events_->ChangeStatus(admin, e.id, "investigating", std::string("looking")).status());
  clock_.Advance(std::chrono::minutes(10));
  TF_ASSERT_OK_AND_ASSIGN(EventDetail resolved, events_->ChangeStatus(admin, e.id, "false_positive",
                                                                      std::string("the file was a test sample")));
  EXPECT_EQ(resolved.event.status, "false_positive");
  EXPECT_EQ(resolved.event.resolution_notes, "the file was a test sample");
  EXPECT_EQ(resolved.event.resolved_at, clock_.NowMicros());
  ASSERT_EQ(resolved.transitions.size(), 3u);
  EXPECT_EQ(resolved.transitions[0].from_status, std::nullopt);
  EXPECT_EQ(resolved.transitions[0].to_status, "open");
  EXPECT_EQ(resolved.transitions[1].from_status, "open");
  EXPECT_EQ(resolved.transitions[1].note, "looking");
  EXPECT_EQ(resolved.transitions[2].to_status, "false_positive");
  EXPECT_EQ(resolved.transitions[2].actor, admin.Actor());
  EXPECT_EQ(resolved.transitions[2].at - resolved.transitions[1].at, int64_t{600} * 1'000'000);

  TF_ASSERT_OK_AND_ASSIGN(EventDetail reopened, events_->ChangeStatus(admin, e.id, "open", std::string("it recurred")));
  EXPECT_EQ(reopened.event.resolved_at, std::nullopt);
  EXPECT_EQ(AuditEvents("security_event.reported").size(), 1u);
  std::vector<audit::AuditRecord> moves = AuditEvents("security_event.status_changed");
  ASSERT_EQ(moves.size(), 3u);
  EXPECT_TRUE(absl::StrContains(*moves[1].details, "\"to\":\"false_positive\"")) << *moves[1].details;
  EXPECT_FALSE(absl::StrContains(*AuditEvents("security_event.reported")[0].details, "invoice.pdf"))
      << "the trail keeps no metadata";
}

TEST_P(SecurityTest, EventsAreTheirTenantsOwnAndListsFilter) {
  Principal a = AdminOf(kTenantA, kUserA), b = AdminOf(kTenantB, kUserB);
  TF_ASSERT_OK_AND_ASSIGN(SecurityEvent high, events_->Report(a, Suspicious("high")));
  clock_.Advance(std::chrono::seconds(1));
  TF_ASSERT_OK_AND_ASSIGN(SecurityEvent low, events_->Report(a, Suspicious("low")));
  TF_ASSERT_OK(events_->Report(b, Suspicious("critical")).status());

  EXPECT_EQ(events_->Get(b, high.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(events_->ChangeStatus(b, high.id, "investigating", std::nullopt).status().code(),
            absl::StatusCode::kNotFound);
  EventChange regrade;
  regrade.severity = "low";
  EXPECT_EQ(events_->Update(b, high.id, regrade).status().code(), absl::StatusCode::kNotFound);
  NewEvent elsewhere = Suspicious();
  elsewhere.tenant_id = kTenantB;
  EXPECT_EQ(events_->Report(a, elsewhere).status().code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(Events(a, std::nullopt).size(), 2u);
  EXPECT_EQ(Events(b, std::nullopt).size(), 1u);
  EXPECT_EQ(Events(Operator(), std::nullopt).size(), 3u) << "platform operators see every tenant";
  std::vector<SecurityEvent> newest = Events(a, std::nullopt);
  EXPECT_EQ(newest[0].id, low.id) << "newest first";
  EventFilter f;
  f.severity = "high";
  EXPECT_EQ(events_->List(a, f).value().size(), 1u);
  f = {};
  f.tenant_id = kTenantB;
  EXPECT_TRUE(events_->List(a, f).value().empty()) << "another tenant's filter gives nothing";
  f = {};
  f.from = clock_.NowMicros();
  EXPECT_EQ(events_->List(a, f).value().size(), 1u);
  TF_ASSERT_OK(events_->ChangeStatus(a, high.id, "investigating", std::nullopt).status());
  f = {};
  f.status = "investigating";
  EXPECT_EQ(events_->List(a, f).value().size(), 1u);
  auto by_severity = events_->OpenBySeverity(a).value();
  EXPECT_EQ(by_severity.size(), 2u);

  NewEvent bad = Suspicious("dire");
  EXPECT_EQ(events_->Report(a, bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = Suspicious();
  bad.source = "detection";
  EXPECT_EQ(events_->Report(a, bad).status().code(), absl::StatusCode::kInvalidArgument) << "detection is reserved";
  bad = Suspicious();
  bad.type = "Malware Detected";
  EXPECT_EQ(events_->Report(a, bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = Suspicious();
  bad.affected_users = {"not-a-user"};
  EXPECT_EQ(events_->Report(a, bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Events(a, std::nullopt).size(), 2u) << "refused reports change nothing";
}

TEST_P(SecurityTest, AssigneesBelongToTheTenantAndAuthorityReportsAreRecorded) {
  Principal a = AdminOf(kTenantA, kUserA);
  TF_ASSERT_OK_AND_ASSIGN(SecurityEvent e, events_->Report(a, Suspicious()));
  EventChange c;
  c.assignee = kUserB;
  EXPECT_EQ(events_->Update(a, e.id, c).status().code(), absl::StatusCode::kInvalidArgument)
      << "another tenant's user cannot be assigned";
  c.assignee = kUserA2;
  c.reported_to = "ICO";
  c.report_reference = "ICO-2026-0042";
  TF_ASSERT_OK_AND_ASSIGN(EventDetail d, events_->Update(a, e.id, c));
  EXPECT_EQ(d.event.assignee, kUserA2);
  EXPECT_EQ(d.event.reported_to, "ICO");
  EXPECT_EQ(d.event.reported_at, clock_.NowMicros()) << "reported now unless told when";
  c = {};
  c.assignee = "";
  TF_ASSERT_OK_AND_ASSIGN(d, events_->Update(a, e.id, c));
  EXPECT_EQ(d.event.assignee, std::nullopt);
  EXPECT_EQ(d.event.report_reference, "ICO-2026-0042");
  c = {};
  c.reported_at = clock_.NowMicros() + 1'000'000;
  EXPECT_EQ(events_->Update(a, e.id, c).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AuditEvents("security_event.updated").size(), 2u);
}

TEST_P(SecurityTest, FailedLoginsRaiseOneEventAboveFivePerAccountWithinFiveMinutes) {
  Principal a = AdminOf(kTenantA, kUserA);
  for (int i = 0; i < 5; ++i) {
    FailedLogin(kTenantA, kUserA, StrCat("203.0.113.", i));
    clock_.Advance(std::chrono::seconds(50));
  }
  Detect();
  EXPECT_TRUE(Events(a).empty()) << "5 failures are not more than 5";
  FailedLogin(kTenantA, kUserA, "203.0.113.99");
  DetectResult r = Detect();
  EXPECT_EQ(r.raised, 1);
  std::vector<SecurityEvent> raised = Events(a);
  ASSERT_EQ(raised.size(), 1u);
  const SecurityEvent e = raised[0];
  EXPECT_EQ(e.source, "detection");
  EXPECT_EQ(e.rule, "failed_logins");
  EXPECT_EQ(e.dedup_key, StrCat("resource_id=", kUserA));
  EXPECT_EQ(e.severity, "high");
  EXPECT_EQ(e.type, "brute_force");
  EXPECT_EQ(e.occurrences, 6);
  EXPECT_EQ(e.affected_users, std::vector<std::string>{kUserA});
  EXPECT_EQ(e.last_seen_at - e.first_seen_at, int64_t{250} * 1'000'000);
  nlohmann::json metadata = nlohmann::json::parse(e.metadata);
  EXPECT_EQ(metadata["evidence"].size(), 6u);
  EXPECT_EQ(metadata["threshold"], 5);
  EXPECT_EQ(AuditEvents("security_event.raised").size(), 1u);

  FailedLogin(kTenantA, kUserA, "203.0.113.100");
  r = Detect();
  EXPECT_EQ(r.raised, 0);
  EXPECT_EQ(r.added, 1);
  raised = Events(a);
  ASSERT_EQ(raised.size(), 1u) << "one unresolved event per rule and account";
  EXPECT_EQ(raised[0].occurrences, 7);

  // Resolved, a new burst is a new event.
  TF_ASSERT_OK(events_->ChangeStatus(a, e.id, "investigating", std::nullopt).status());
  absl::StatusOr<EventDetail> blocked = events_->ChangeStatus(a, e.id, "resolved", std::string("password reset"));
  TF_ASSERT_OK(blocked.status());
  clock_.Advance(std::chrono::minutes(10));
  for (int i = 0; i < 6; ++i) FailedLogin(kTenantA, kUserA, StrCat("203.0.114.", i));
  Detect();
  EXPECT_EQ(Events(a).size(), 2u);
  // Reopening the first while the second is unresolved is refused: one per account.
  EXPECT_EQ(events_->ChangeStatus(a, e.id, "open", std::nullopt).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(SecurityTest, TheWindowSlidesAndAddressesCountAcrossAccounts) {
  Principal a = AdminOf(kTenantA, kUserA);
  for (int i = 0; i < 5; ++i) FailedLogin(kTenantA, kUserA, StrCat("203.0.113.", i));
  clock_.Advance(std::chrono::minutes(5) + std::chrono::seconds(1));
  FailedLogin(kTenantA, kUserA, "203.0.113.50");
  Detect();
  EXPECT_TRUE(Events(a).empty()) << "the first five left the window before the sixth";

  // One address, three accounts of the tenant: six failures within a minute.
  for (int i = 0; i < 6; ++i) {
    FailedLogin(kTenantA, i % 2 ? kUserA : kUserA2, "192.0.2.200");
    clock_.Advance(std::chrono::seconds(10));
  }
  Detect();
  std::vector<SecurityEvent> raised = Events(a);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].dedup_key, "source_ip=192.0.2.200");
  EXPECT_EQ(raised[0].occurrences, 6);
}

TEST_P(SecurityTest, TenantsDisableAndTuneRulesForThemselvesOnly) {
  Principal a = AdminOf(kTenantA, kUserA), b = AdminOf(kTenantB, kUserB);
  RuleChange off;
  off.enabled = false;
  TF_ASSERT_OK_AND_ASSIGN(TenantRule t, rule_service_->Update(b, "failed_logins", off));
  EXPECT_FALSE(t.effective.enabled);
  RuleChange tighter;
  tighter.threshold = 2;
  tighter.window = "1m";
  tighter.severity = "critical";
  TF_ASSERT_OK(rule_service_->Update(a, "failed_logins", tighter).status());
  for (int i = 0; i < 3; ++i) {
    FailedLogin(kTenantA, kUserA, StrCat("203.0.113.", i));
    FailedLogin(kTenantB, kUserB, StrCat("203.0.113.", i));
  }
  Detect();
  std::vector<SecurityEvent> raised = Events(a);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].severity, "critical");
  EXPECT_EQ(raised[0].occurrences, 3);
  EXPECT_TRUE(Events(b).empty()) << "disabled for globex";

  TF_ASSERT_OK_AND_ASSIGN(std::vector<TenantRule> listed, rule_service_->List(b, std::nullopt));
  ASSERT_EQ(listed.size(), rules_.size());
  for (const TenantRule& r : listed) {
    EXPECT_EQ(r.effective.enabled, r.effective.rule->name != "failed_logins") << r.effective.rule->name;
  }
  RuleChange reset;
  reset.reset = true;
  TF_ASSERT_OK_AND_ASSIGN(t, rule_service_->Update(b, "failed_logins", reset));
  EXPECT_TRUE(t.effective.enabled);
  EXPECT_EQ(AuditEvents("detection_rule.updated").size(), 3u);

  RuleChange bad;
  bad.window = "forever";
  EXPECT_EQ(rule_service_->Update(a, "failed_logins", bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = {};
  bad.working_hours = nlohmann::json{{"timezone", "Europe/London"}};
  EXPECT_EQ(rule_service_->Update(a, "failed_logins", bad).status().code(), absl::StatusCode::kInvalidArgument)
      << "failed_logins does not use working hours";
  EXPECT_EQ(rule_service_->Update(a, "no_such_rule", off).status().code(), absl::StatusCode::kNotFound);
  RuleChange elsewhere = off;
  elsewhere.tenant_id = kTenantB;
  EXPECT_EQ(rule_service_->Update(a, "failed_logins", elsewhere).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(SecurityTest, FailuresForUnknownAccountsBelongToTheSystemTenant) {
  for (int i = 0; i < 6; ++i) Record(std::nullopt, "login_failed", std::nullopt, "192.0.2.66");
  Detect();
  std::vector<SecurityEvent> raised = Events(Operator());
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].tenant_id, kSystem);
  EXPECT_EQ(raised[0].dedup_key, "source_ip=192.0.2.66");
  EXPECT_TRUE(Events(AdminOf(kTenantA, kUserA)).empty());
}

TEST_P(SecurityTest, ARestartedOrSecondDetectorRebuildsItsWindowsAndEvaluatesEachRecordOnce) {
  Principal a = AdminOf(kTenantA, kUserA);
  for (int i = 0; i < 4; ++i) FailedLogin(kTenantA, kUserA, StrCat("203.0.113.", i));
  EXPECT_EQ(Detect().evaluated, 4);
  // A second instance (or this one restarted) takes over with empty windows.
  metrics::Registry other;
  std::unique_ptr<Detector> second = NewDetector(other);
  FailedLogin(kTenantA, kUserA, "203.0.113.10");
  FailedLogin(kTenantA, kUserA, "203.0.113.11");
  DetectResult r = Detect(second.get());
  EXPECT_EQ(r.evaluated, 2) << "the records the first evaluated are not evaluated again";
  EXPECT_EQ(r.raised, 1) << "its windows were rebuilt from the first four";
  ASSERT_EQ(Events(a).size(), 1u);
  EXPECT_EQ(Events(a)[0].occurrences, 6);
  // The first instance's windows no longer reach the cursor: it rebuilds them too.
  FailedLogin(kTenantA, kUserA, "203.0.113.12");
  r = Detect();
  EXPECT_EQ(r.evaluated, 2) << "the new failure, and the audit record of the second detector's raise";
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(Events(a)[0].occurrences, 7);
  EXPECT_EQ(Detect().evaluated, 0);
}

TEST_P(SecurityTest, ANewDeploymentEvaluatesOnlyItsRecentHistory) {
  Principal a = AdminOf(kTenantA, kUserA);
  for (int i = 0; i < 6; ++i) FailedLogin(kTenantA, kUserA, StrCat("203.0.113.", i));
  clock_.Advance(std::chrono::hours(2));
  for (int i = 0; i < 6; ++i) FailedLogin(kTenantA, kUserA2, StrCat("203.0.113.", i));
  DetectResult r = Detect();
  EXPECT_EQ(r.evaluated, 6) << "records older than the longest window (1h) are history";
  std::vector<SecurityEvent> raised = Events(a);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].dedup_key, StrCat("resource_id=", kUserA2));
}

TEST_P(SecurityTest, PrivilegedActionsCountOutsideTheTenantsWorkingHoursOnly) {
  Principal a = AdminOf(kTenantA, kUserA);
  audit::Actor admin{"user", std::string(kUserA), std::string(kUserA), std::nullopt};
  // The fake clock starts on Thursday 2026-01-01 00:00 UTC; move to 10:00.
  clock_.Advance(std::chrono::hours(10));
  Record(std::string(kTenantA), "user.updated", std::string(kUserA2), "192.0.2.1", admin);
  Detect();
  EXPECT_TRUE(Events(a, "privileged_after_hours").empty()) << "10:00 UTC is within the default hours";
  RuleChange tokyo;
  tokyo.working_hours = nlohmann::json{{"timezone", "Asia/Tokyo"}, {"start", "09:00"}, {"end", "18:00"}};
  TF_ASSERT_OK(rule_service_->Update(a, "privileged_after_hours", tokyo).status());
  Record(std::string(kTenantA), "user.updated", std::string(kUserA2), "192.0.2.1", admin);
  Detect();
  std::vector<SecurityEvent> raised = Events(a, "privileged_after_hours");
  ASSERT_EQ(raised.size(), 1u) << "10:00 UTC is 19:00 in Tokyo";
  EXPECT_EQ(raised[0].dedup_key, StrCat("actor_id=", kUserA));
  EXPECT_EQ(raised[0].occurrences, 1);
  // A system action (no user) is not a person's privileged action.
  Record(std::string(kTenantA), "user.updated", std::string(kUserA2), "192.0.2.1", audit::Actor::System());
  Detect();
  EXPECT_EQ(Events(a, "privileged_after_hours")[0].occurrences, 1);
}

TEST_P(SecurityTest, DetectionLatencyIsExposed) {
  for (int i = 0; i < 6; ++i) FailedLogin(kTenantA, kUserA, StrCat("203.0.113.", i));
  clock_.Advance(std::chrono::seconds(2));
  Detect();
  std::string text = metrics_.Render();
  EXPECT_TRUE(absl::StrContains(text, "security_detection_latency_seconds_bucket{le=\"1\"} 0")) << text;
  EXPECT_TRUE(absl::StrContains(text, "security_detection_latency_seconds_bucket{le=\"2\"} 1"));
  EXPECT_TRUE(absl::StrContains(text, "security_detection_events_total{rule=\"failed_logins\",result=\"raised\"} 1"));
  EXPECT_TRUE(absl::StrContains(text, "security_detection_records_total 6"));
  EXPECT_TRUE(absl::StrContains(text, "security_detection_lag_records 0"));
}

TF_INSTANTIATE_BACKENDS(SecurityTest);

}  // namespace
}  // namespace tf::security
