// Tests of incidents. Pure: the lifecycle's transition table, MTTx arithmetic against the
// targets, the 72-hour clock, and the postmortem's Markdown. On both backends with a fake
// clock: each move stamps its time and is on the timeline; acknowledgement is the first move
// out of triage or the first commander; reopening clears the resolution; closed is final;
// SEV1/SEV2 close only with a complete postmortem; a breach's notification after 72 hours
// needs its reasons; events of another tenant cannot be linked and other tenants' incidents
// do not exist; metrics aggregate per severity and week.

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/match.h"
#include "unit/security/security_fixture.h"

namespace tf::security {
namespace {


TEST(IncidentRulesTest, TheLifecycleAllowsExactlyItsMoves) {
  const std::set<std::pair<std::string, std::string>> allowed = {
      {"triage", "investigating"},     {"triage", "identified"},       {"triage", "monitoring"},
      {"triage", "resolved"},          {"investigating", "identified"}, {"investigating", "monitoring"},
      {"investigating", "resolved"},   {"identified", "monitoring"},    {"identified", "resolved"},
      {"identified", "investigating"}, {"monitoring", "resolved"},      {"monitoring", "investigating"},
      {"resolved", "closed"},          {"resolved", "investigating"}};
  for (std::string_view from : kIncidentStatuses) {
    for (std::string_view to : kIncidentStatuses) {
      EXPECT_EQ(IncidentTransitionAllowed(from, to), allowed.contains({std::string(from), std::string(to)}))
          << from << " -> " << to;
    }
  }
  EXPECT_TRUE(IncidentTransitionsFrom("closed").empty());
  EXPECT_FALSE(IncidentTransitionAllowed("triage", "closed")) << "only a resolved incident closes";
  EXPECT_TRUE(NeedsPostmortem("SEV1"));
  EXPECT_TRUE(NeedsPostmortem("SEV2"));
  EXPECT_FALSE(NeedsPostmortem("SEV3"));
}

TEST(IncidentRulesTest, MttxIsMeasuredFromTheStampsAndBreachesAreMarked) {
  Incident i;
  i.severity = "SEV1";
  i.detected_at = 1000 * kMicrosPerSecond;
  IncidentMetrics m = MetricsOf(i);
  EXPECT_FALSE(m.mttd_seconds || m.mtta_seconds || m.mttr_seconds) << "null until known";
  i.impact_started_at = i.detected_at - 90 * kMicrosPerSecond;
  i.acknowledged_at = i.detected_at + 60 * kMicrosPerSecond;
  i.resolved_at = i.detected_at + 29 * kMicrosPerMinute;
  m = MetricsOf(i);
  EXPECT_EQ(m.mttd_seconds, 90);
  EXPECT_EQ(m.mtta_seconds, 60);
  EXPECT_EQ(m.mttr_seconds, 29 * 60);
  EXPECT_TRUE(Breaches(i).empty());
  i.impact_started_at = i.detected_at - 121 * kMicrosPerSecond;  // Sev1 MTTD target: 2 minutes
  i.resolved_at = i.detected_at + 31 * kMicrosPerMinute;         // Sev1 MTTR target: 30 minutes
  EXPECT_EQ(Breaches(i), (std::vector<std::string>{"mttd", "mttr"}));
  i.severity = "SEV3";
  EXPECT_TRUE(Breaches(i).empty()) << "a SEV3 has a day to resolve";
  EXPECT_EQ(TargetsOf("SEV1").mttd, 120);
  EXPECT_EQ(TargetsOf("SEV1").mttr, 1800);
}

TEST(IncidentRulesTest, TheBreachClockRunsSeventyTwoHoursFromAwareness) {
  Incident i;
  EXPECT_FALSE(BreachClockOf(i, 0).has_value());
  i.breach = true;
  i.breach_aware_at = 10 * kMicrosPerHour;
  std::optional<BreachClock> c = BreachClockOf(i, 81 * kMicrosPerHour);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->deadline, 82 * kMicrosPerHour);
  EXPECT_EQ(c->seconds_remaining, 3600);
  EXPECT_FALSE(c->notified);
  EXPECT_EQ(c->missing_content.size(), std::size(kBreachReportFields));
  i.breach_report = {{"nature", "a misdirected export"}, {"records", ""}};
  c = BreachClockOf(i, 90 * kMicrosPerHour);
  EXPECT_EQ(c->seconds_remaining, -8 * 3600);
  EXPECT_EQ(c->missing_content.size(), std::size(kBreachReportFields) - 1) << "an empty answer is still missing";
  i.authority_notified_at = 85 * kMicrosPerHour;
  c = BreachClockOf(i, 200 * kMicrosPerHour);
  EXPECT_TRUE(c->notified);
  EXPECT_TRUE(c->notified_late);
  EXPECT_EQ(c->seconds_remaining, -3 * 3600) << "the clock stops at the notification";
}

TEST(IncidentRulesTest, ThePostmortemIsValidatedAndExportsAsMarkdown) {
  absl::StatusOr<Postmortem> p = PostmortemFromJson(
      {{"summary", "Exports were served to the wrong tenant"},
       {"root_cause", "a cache key without the tenant"},
       {"went_well", {"detected by a rule within a minute"}},
       {"action_items", {{{"title", "key caches by tenant | always"}, {"owner", "platform"}, {"due_date", "2026-12-31"}}}}});
  TF_ASSERT_OK(p.status());
  EXPECT_TRUE(p->Complete());
  EXPECT_EQ(p->action_items[0].status, "open");
  Incident i;
  i.id = "0190f000-0000-7000-8000-000000000999";
  i.title = "Cross-tenant export";
  i.severity = "SEV1";
  i.status = "resolved";
  i.detected_at = 0;
  i.resolved_at = 20 * kMicrosPerMinute;
  std::string md = PostmortemMarkdown(i, *p, {{"t1", i.id, "status", "Declared as SEV1; in triage", "user:x", 0, 0}});
  for (const char* part : {"# Postmortem: Cross-tenant export", "| Severity | SEV1 |", "| Time to resolve | 20 min |",
                                "## Root cause\n\na cache key without the tenant", "- detected by a rule within a minute",
                                "Declared as SEV1; in triage (user:x)", "| key caches by tenant \\| always | platform | 2026-12-31 | open |",
                                "## What went wrong\n\n_None recorded._"}) {
    EXPECT_TRUE(absl::StrContains(md, part)) << part << "\n" << md;
  }
  for (const nlohmann::json& bad :
       {nlohmann::json{{"summry", "x"}}, nlohmann::json{{"went_well", "not a list"}},
        nlohmann::json{{"action_items", {{{"title", "t"}}}}},
        nlohmann::json{{"action_items", {{{"title", "t"}, {"owner", "o"}, {"due_date", "31/12/2026"}}}}},
        nlohmann::json{{"action_items", {{{"title", "t"}, {"owner", "o"}, {"status", "someday"}}}}}}) {
    EXPECT_FALSE(PostmortemFromJson(bad).ok()) << bad.dump();
  }
}

class IncidentsTest : public SecurityFixture {
 protected:
  NewIncident Sev(std::string severity) {
    NewIncident n;
    n.title = "Exports served to the wrong tenant";
    n.severity = std::move(severity);
    return n;
  }
};

TEST_P(IncidentsTest, EachMoveStampsItsTimeAndTheTimelineTellsIt) {
  Principal a = AdminOf(kTenantA, kUserA);
  NewIncident n = Sev("SEV1");
  n.impact_started_at = clock_.NowMicros() - 90 * kMicrosPerSecond;
  TF_ASSERT_OK_AND_ASSIGN(IncidentDetail d, incidents_->Declare(a, n));
  std::string id = d.incident.id;
  EXPECT_EQ(d.incident.status, "triage");
  EXPECT_EQ(d.incident.detected_at, clock_.NowMicros());
  EXPECT_EQ(MetricsOf(d.incident).mttd_seconds, 90);
  EXPECT_EQ(MetricsOf(d.incident).mtta_seconds, std::nullopt);

  clock_.Advance(std::chrono::seconds(45));
  IncidentChange c;
  c.commander = kUserA2;
  c.participants = std::vector<std::string>{kUserA, kUserA2};
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->Update(a, id, c));
  EXPECT_EQ(MetricsOf(d.incident).mtta_seconds, 45) << "the first commander acknowledges it";
  clock_.Advance(std::chrono::minutes(5));
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->ChangeStatus(a, id, "investigating", std::nullopt));
  EXPECT_EQ(MetricsOf(d.incident).mtta_seconds, 45) << "acknowledged once";
  clock_.Advance(std::chrono::minutes(10));
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->ChangeStatus(a, id, "resolved", std::string("cache flushed")));
  EXPECT_EQ(MetricsOf(d.incident).mttr_seconds, 45 + 15 * 60);
  EXPECT_TRUE(Breaches(d.incident).empty());

  // It came back: reopened, the resolution is cleared, and resolving again counts from detection.
  clock_.Advance(std::chrono::minutes(10));
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->ChangeStatus(a, id, "investigating", std::string("errors again")));
  EXPECT_EQ(d.incident.resolved_at, std::nullopt);
  clock_.Advance(std::chrono::minutes(10));
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->ChangeStatus(a, id, "resolved", std::nullopt));
  EXPECT_EQ(Breaches(d.incident), std::vector<std::string>{"mttr"}) << "35 minutes is over a SEV1's 30";

  std::vector<std::string> texts;
  for (const TimelineEntry& e : d.timeline) texts.push_back(e.text);
  ASSERT_GE(texts.size(), 7u);
  EXPECT_EQ(texts[0], "Declared as SEV1; in triage");
  EXPECT_EQ(texts[1], StrCat("Commander: user ", kUserA2));
  EXPECT_TRUE(absl::StartsWith(texts[2], "Joined: ")) << texts[2];
  EXPECT_EQ(texts[4], "Status investigating → resolved: cache flushed");
  EXPECT_EQ(texts.back(), "Status investigating → resolved");
  EXPECT_EQ(AuditEvents("incident.declared").size(), 1u);
  EXPECT_EQ(AuditEvents("incident.status_changed").size(), 4u);
}

TEST_P(IncidentsTest, ASev1ClosesOnlyWithACompletePostmortemAndClosedIsFinal) {
  Principal a = AdminOf(kTenantA, kUserA);
  TF_ASSERT_OK_AND_ASSIGN(IncidentDetail d, incidents_->Declare(a, Sev("SEV1")));
  std::string id = d.incident.id;
  TF_ASSERT_OK(incidents_->ChangeStatus(a, id, "resolved", std::nullopt).status());
  absl::StatusOr<IncidentDetail> closed = incidents_->ChangeStatus(a, id, "closed", std::nullopt);
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(closed.status().message(), "postmortem")) << closed.status();
  Postmortem draft;
  draft.summary = "Exports went to the wrong tenant for 20 minutes";
  TF_ASSERT_OK(incidents_->PutPostmortem(a, id, draft).status());
  EXPECT_EQ(incidents_->ChangeStatus(a, id, "closed", std::nullopt).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "no root cause yet";
  draft.root_cause = "a cache key without the tenant";
  TF_ASSERT_OK(incidents_->PutPostmortem(a, id, draft).status());
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->ChangeStatus(a, id, "closed", std::nullopt));
  EXPECT_EQ(d.incident.closed_at, clock_.NowMicros());
  absl::StatusOr<IncidentDetail> again = incidents_->ChangeStatus(a, id, "investigating", std::nullopt);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(again.status().message(), "it is closed")) << again.status();

  TF_ASSERT_OK_AND_ASSIGN(IncidentDetail minor, incidents_->Declare(a, Sev("SEV3")));
  TF_ASSERT_OK(incidents_->ChangeStatus(a, minor.incident.id, "resolved", std::nullopt).status());
  // A SEV3 closes without a postmortem.
  TF_ASSERT_OK(incidents_->ChangeStatus(a, minor.incident.id, "closed", std::nullopt).status());
}

TEST_P(IncidentsTest, ABreachNotifiedAfterSeventyTwoHoursNeedsItsReasons) {
  Principal a = AdminOf(kTenantA, kUserA);
  TF_ASSERT_OK_AND_ASSIGN(IncidentDetail d, incidents_->Declare(a, Sev("SEV2")));
  std::string id = d.incident.id;
  IncidentChange c;
  c.notification = IncidentChange::Notification{"ICO", clock_.NowMicros(), std::nullopt, std::nullopt};
  EXPECT_EQ(incidents_->Update(a, id, c).status().code(), absl::StatusCode::kInvalidArgument)
      << "not a breach yet";
  c = {};
  c.breach = true;
  c.breach_report = nlohmann::json{{"nature", "an export reached the wrong tenant"}, {"data_subjects", "about 40 clients"}};
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->Update(a, id, c));
  int64_t aware = clock_.NowMicros();
  EXPECT_EQ(d.incident.breach_aware_at, aware);
  std::optional<BreachClock> clock = BreachClockOf(d.incident, aware);
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->seconds_remaining, 72 * 3600);
  EXPECT_EQ(clock->missing_content, (std::vector<std::string>{"records", "contact", "consequences", "measures"}));
  c = {};
  c.breach_report = nlohmann::json{{"colour", "red"}};
  EXPECT_EQ(incidents_->Update(a, id, c).status().code(), absl::StatusCode::kInvalidArgument);

  clock_.Advance(std::chrono::hours(73));
  c = {};
  c.notification = IncidentChange::Notification{"ICO", clock_.NowMicros(), std::string("ICO-2026-77"), std::nullopt};
  absl::StatusOr<IncidentDetail> late = incidents_->Update(a, id, c);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(late.status().ToString(), "late_reason")) << late.status();
  c.notification->late_reason = "the export logs took three days to recover";
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->Update(a, id, c));
  clock = BreachClockOf(d.incident, clock_.NowMicros());
  EXPECT_TRUE(clock->notified_late);
  EXPECT_EQ(d.incident.authority, "ICO");
  EXPECT_TRUE(absl::StrContains(d.timeline.back().text, "Supervisory authority ICO notified (reference ICO-2026-77), late"))
      << d.timeline.back().text;
  c.notification->late_reason.reset();
  EXPECT_EQ(incidents_->Update(a, id, c).status().code(), absl::StatusCode::kFailedPrecondition) << "notified once";
  c = {};
  c.breach = false;
  EXPECT_EQ(incidents_->Update(a, id, c).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(IncidentsTest, IncidentsAndTheirLinksStayInTheirTenant) {
  Principal a = AdminOf(kTenantA, kUserA), b = AdminOf(kTenantB, kUserB);
  TF_ASSERT_OK_AND_ASSIGN(SecurityEvent own, events_->Report(a, Suspicious()));
  TF_ASSERT_OK_AND_ASSIGN(SecurityEvent theirs, events_->Report(b, Suspicious()));
  NewIncident n = Sev("SEV2");
  n.event_ids = {theirs.id};
  EXPECT_EQ(incidents_->Declare(a, n).status().code(), absl::StatusCode::kInvalidArgument);
  n.event_ids = {own.id};
  TF_ASSERT_OK_AND_ASSIGN(IncidentDetail d, incidents_->Declare(a, n));
  EXPECT_EQ(d.event_ids, std::vector<std::string>{own.id});
  EXPECT_EQ(incidents_->LinkEvent(a, d.incident.id, own.id).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(incidents_->LinkEvent(a, d.incident.id, theirs.id).status().code(), absl::StatusCode::kInvalidArgument);
  IncidentChange c;
  c.commander = kUserB;
  EXPECT_EQ(incidents_->Update(a, d.incident.id, c).status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(incidents_->Get(b, d.incident.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(incidents_->ChangeStatus(b, d.incident.id, "investigating", std::nullopt).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(incidents_->AddNote(b, d.incident.id, "pwned", std::nullopt).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(incidents_->PutPostmortem(b, d.incident.id, Postmortem{}).status().code(), absl::StatusCode::kNotFound);
  IncidentFilter f;
  EXPECT_EQ(incidents_->List(a, f).value().size(), 1u);
  EXPECT_TRUE(incidents_->List(b, f).value().empty());
  EXPECT_EQ(incidents_->List(Operator(), f).value().size(), 1u);

  // A note about an earlier moment takes its place in the timeline, before later moves.
  int64_t declared = clock_.NowMicros();
  clock_.Advance(std::chrono::minutes(30));
  TF_ASSERT_OK(incidents_->ChangeStatus(a, d.incident.id, "investigating", std::nullopt).status());
  TF_ASSERT_OK_AND_ASSIGN(d, incidents_->AddNote(a, d.incident.id, "the first alert was a minute in",
                                                  declared + kMicrosPerMinute));
  std::vector<std::string> kinds;
  for (const TimelineEntry& e : d.timeline) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"status", "link", "note", "status"}));
  EXPECT_EQ(d.timeline[2].at, declared + kMicrosPerMinute);
  EXPECT_EQ(
      incidents_->AddNote(a, d.incident.id, "from the future", clock_.NowMicros() + kMicrosPerMinute).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_P(IncidentsTest, MetricsAggregatePerSeverityAndWeek) {
  Principal a = AdminOf(kTenantA, kUserA);
  int64_t start = clock_.NowMicros();
  for (int k = 0; k < 3; ++k) {
    NewIncident n = Sev("SEV1");
    n.impact_started_at = clock_.NowMicros() - (60 + 60 * k) * kMicrosPerSecond;  // 60, 120, 180 s
    TF_ASSERT_OK_AND_ASSIGN(IncidentDetail d, incidents_->Declare(a, n));
    clock_.Advance(std::chrono::minutes(10 + 20 * k));  // 10, 30, 50 min
    TF_ASSERT_OK(incidents_->ChangeStatus(a, d.incident.id, "resolved", std::nullopt).status());
    clock_.Advance(std::chrono::hours(24 * 7));
  }
  TF_ASSERT_OK(incidents_->Declare(a, Sev("SEV4")).status());
  TF_ASSERT_OK_AND_ASSIGN(IncidentMetricsReport r, incidents_->Metrics(a, std::nullopt, start, clock_.NowMicros() + 1));
  ASSERT_EQ(r.by_severity.size(), 4u);
  const SeverityMetrics& sev1 = r.by_severity[0];
  EXPECT_EQ(sev1.severity, "SEV1");
  EXPECT_EQ(sev1.incidents, 3);
  EXPECT_EQ(sev1.resolved, 3);
  EXPECT_EQ(sev1.mean_mttd, 120);
  EXPECT_EQ(sev1.mean_mttr, 30 * 60);
  EXPECT_EQ(sev1.mttd_breaches, 1) << "180 s is over 2 minutes; 120 s is not";
  EXPECT_EQ(sev1.mttr_breaches, 1) << "50 minutes is over 30";
  EXPECT_EQ(r.by_severity[3].active, 1);
  EXPECT_EQ(r.active, 1);
  ASSERT_EQ(r.mttr_by_week.size(), 3u);
  EXPECT_EQ(r.mttr_by_week[0].week, "2025-12-29") << "the Monday of 2026-01-01";
  EXPECT_EQ(r.mttr_by_week[2].mean_mttr, 50 * 60);
  TF_ASSERT_OK_AND_ASSIGN(IncidentMetricsReport other, incidents_->Metrics(AdminOf(kTenantB, kUserB), std::nullopt,
                                                                           start, clock_.NowMicros() + 1));
  EXPECT_EQ(other.by_severity[0].incidents, 0);
}

TF_INSTANTIATE_BACKENDS(IncidentsTest);

}  // namespace
}  // namespace tf::security
