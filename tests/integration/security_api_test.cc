// Security events and detection against a real trustd: the contract scripts rely on (a
// service reports an event with an API token; people move it along the workflow, 409 off it),
// the shipped failed_logins rule raising an event within seconds of the sixth failed sign-in,
// per account and per address (unknown emails included), tenants tuning rules, the latency
// metric, and bad input refused with nothing changed.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/time_format.h"
#include "support/trustd_process.h"
#include "support/wait.h"

namespace tf::testing {
namespace {

using nlohmann::json;

class SecurityApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    server_ = new TrustdProcess();
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_EQ(server_->Bootstrap(kRootEmail, kPassword).exit_code, 0);
    root_ = server_->Login(kRootEmail, kPassword);
    ASSERT_FALSE(root_.empty());
    auto c = server_->client();
    HttpResult t = c.PostJson("/api/tenants", {{"slug", "acme"}, {"name", "Acme"}}, root_);
    ASSERT_EQ(t.status, 201) << t.body;
    tenant_ = t.Json()["id"];
    for (auto [email, role] : {std::pair{"admin@acme.example", "ADMIN"}, {"clerk@acme.example", "ACCOUNTANT"},
                               {"victim@acme.example", "VIEWER"}}) {
      HttpResult u = c.PostJson("/api/users", {{"email", email}, {"password", kPassword}, {"roles", {role}},
                                               {"tenant_id", tenant_}},
                                root_);
      ASSERT_EQ(u.status, 201) << u.body;
      if (std::string(role) == "VIEWER") victim_ = u.Json()["id"];
    }
    admin_ = server_->Login("admin@acme.example", kPassword);
    clerk_ = server_->Login("clerk@acme.example", kPassword);
    ASSERT_FALSE(admin_.empty());
    ASSERT_FALSE(clerk_.empty());
    HttpResult token = c.PostJson("/api/auth/tokens",
                                  {{"name", "upload-scanner"}, {"permissions", {"security.respond"}}}, admin_);
    ASSERT_EQ(token.status, 201) << token.body;
    service_ = token.Json()["token"];
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static json EventsOf(const std::string& query, const std::string& token) {
    HttpResult r = server_->client().Get("/api/security/events?" + query, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json()["items"] : json::array();
  }

  static TrustdProcess* server_;
  static std::string root_, tenant_, admin_, clerk_, service_, victim_;
};

TrustdProcess* SecurityApiTest::server_ = nullptr;
std::string SecurityApiTest::root_, SecurityApiTest::tenant_, SecurityApiTest::admin_, SecurityApiTest::clerk_,
    SecurityApiTest::service_, SecurityApiTest::victim_;

TEST_F(SecurityApiTest, AServiceReportsAnEventAndPeopleWorkIt) {
  auto c = server_->client();
  HttpResult created = c.PostJson("/api/security/events",
                                  {{"type", "malware_detected"},
                                   {"severity", "critical"},
                                   {"description", "the scanner flagged invoice-2291.pdf"},
                                   {"metadata", {{"file", "invoice-2291.pdf"}, {"password", "hunter2-hunter2"}}}},
                                  service_);
  ASSERT_EQ(created.status, 201) << created.body;
  json e = created.Json();
  std::string id = e["id"];
  EXPECT_EQ(e["status"], "open");
  EXPECT_EQ(e["source"], "service");
  EXPECT_EQ(e["metadata"]["password"], "[REDACTED]");
  EXPECT_EQ(e["allowed_transitions"], json({"investigating"}));

  // The accountant reads it and cannot work it.
  EXPECT_EQ(c.Get("/api/security/events/" + id, clerk_).status, 200);
  EXPECT_EQ(c.PatchJson("/api/security/events/" + id + "/status", {{"status", "investigating"}}, clerk_).status, 403);

  HttpResult skip = c.PatchJson("/api/security/events/" + id + "/status", {{"status", "resolved"}}, admin_);
  EXPECT_EQ(skip.status, 409) << skip.body;
  EXPECT_EQ(skip.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(skip.Json()["current_status"], "open") << skip.body;
  EXPECT_EQ(skip.Json()["allowed"], json({"investigating"})) << skip.body;

  HttpResult taken = c.PatchJson("/api/security/events/" + id + "/status",
                                 {{"status", "investigating"}, {"note", "quarantining the file"}}, admin_);
  ASSERT_EQ(taken.status, 200) << taken.body;
  HttpResult done = c.PatchJson("/api/security/events/" + id + "/status",
                                {{"status", "resolved"}, {"note", "file removed, sender blocked"}}, admin_);
  ASSERT_EQ(done.status, 200) << done.body;
  json d = done.Json();
  EXPECT_EQ(d["status"], "resolved");
  EXPECT_EQ(d["resolution_notes"], "file removed, sender blocked");
  ASSERT_EQ(d["transitions"].size(), 3u);
  EXPECT_EQ(d["transitions"][2]["from"], "investigating");
  EXPECT_TRUE(absl::StartsWith(d["transitions"][2]["actor"].get<std::string>(), "user:"));
  EXPECT_EQ(d["transitions"][2]["note"], "file removed, sender blocked");

  HttpResult reported = c.PatchJson("/api/security/events/" + id,
                                    {{"authority_report", {{"reported_to", "NCSC"}, {"reference", "NCSC-77"}}}},
                                    admin_);
  ASSERT_EQ(reported.status, 200) << reported.body;
  EXPECT_EQ(reported.Json()["authority_report"]["reported_to"], "NCSC");
  EXPECT_TRUE(reported.Json()["authority_report"]["reported_at"].is_string());

  json critical = EventsOf("severity=critical&status=resolved", admin_);
  ASSERT_EQ(critical.size(), 1u);
  EXPECT_EQ(critical[0]["id"], id);
  HttpResult audit = c.Get("/api/audit/logs?resource_type=security_events&resource_id=" + id + "&limit=50", admin_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_FALSE(absl::StrContains(audit.body, "hunter2")) << "the secret never reaches the trail";
}

TEST_F(SecurityApiTest, FailedLoginsRaiseAnEventWithinSeconds) {
  auto c = server_->client();
  // Six wrong passwords, waiting out the sign-in throttle's delays (1, 2 and 4 seconds).
  for (int failures = 0; failures < 6;) {
    HttpResult r = c.PostJson("/api/auth/login", {{"email", "victim@acme.example"}, {"password", "wrong-guess"}});
    if (r.status == 429) {
      std::this_thread::sleep_for(std::chrono::seconds(std::stoi(r.Header("Retry-After"))));
      continue;
    }
    ASSERT_EQ(r.status, 401) << r.body;
    ++failures;
  }
  json raised;
  ASSERT_TRUE(WaitFor([&] {
    raised = EventsOf("rule=failed_logins", admin_);
    for (const json& e : raised) {
      if (e["group"] == "resource_id=" + victim_) return true;
    }
    return false;
  })) << raised.dump();
  json e;
  for (const json& x : raised) {
    if (x["group"] == "resource_id=" + victim_) e = x;
  }
  EXPECT_EQ(e["source"], "detection");
  EXPECT_EQ(e["rule"], "failed_logins");
  EXPECT_EQ(e["severity"], "high");
  EXPECT_EQ(e["status"], "open");
  EXPECT_EQ(e["occurrences"], 6);
  EXPECT_EQ(e["affected_users"], json({victim_}));
  EXPECT_EQ(e["metadata"]["evidence"].size(), 6u);

  // Unknown emails from one address: the platform's event, not the tenant's.
  for (int i = 0; i < 6; ++i) {
    HttpResult r = c.PostJson("/api/auth/login", {{"email", "nobody" + std::to_string(i) + "@nowhere.example"},
                                                  {"password", "wrong-guess"}});
    EXPECT_EQ(r.status, 401);
  }
  ASSERT_TRUE(WaitFor([&] {
    for (const json& x : EventsOf("rule=failed_logins", root_)) {
      if (x["tenant_id"] != tenant_ && x["group"] == "source_ip=127.0.0.1") return true;
    }
    return false;
  }));
  for (const json& x : EventsOf("rule=failed_logins", admin_)) EXPECT_EQ(x["tenant_id"], tenant_);

  HttpResult metrics = c.Get("/metrics");
  EXPECT_TRUE(absl::StrContains(metrics.body, "security_detection_latency_seconds_count")) << metrics.body;
  EXPECT_TRUE(absl::StrContains(metrics.body, "security_detection_events_total{rule=\"failed_logins\",result=\"raised\"}"));
}

TEST_F(SecurityApiTest, TenantsTuneTheirRules) {
  auto c = server_->client();
  HttpResult list = c.Get("/api/security/rules", clerk_);
  ASSERT_EQ(list.status, 200) << list.body;
  bool found = false;
  json items = list.Json()["items"];
  for (const json& r : items) {
    if (r["name"] == "failed_logins") {
      found = true;
      EXPECT_EQ(r["threshold"], 5);
      EXPECT_EQ(r["window"], "5m");
      EXPECT_EQ(r["enabled"], true);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(c.PatchJson("/api/security/rules/failed_logins", {{"enabled", false}}, clerk_).status, 403);
  HttpResult tuned = c.PatchJson("/api/security/rules/privileged_after_hours",
                                 {{"working_hours", {{"timezone", "Europe/London"}, {"start", "08:00"}, {"end", "18:00"}}},
                                  {"severity", "high"}},
                                 admin_);
  ASSERT_EQ(tuned.status, 200) << tuned.body;
  EXPECT_EQ(tuned.Json()["working_hours"]["timezone"], "Europe/London");
  EXPECT_EQ(tuned.Json()["severity"], "high");
  EXPECT_EQ(tuned.Json()["defaults"]["severity"], "medium");
  EXPECT_EQ(tuned.Json()["customized"], true);
  HttpResult bad = c.PatchJson("/api/security/rules/privileged_after_hours",
                               {{"working_hours", {{"timezone", "Atlantis/Capital"}}}}, admin_);
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(c.Get("/api/security/rules/privileged_after_hours", admin_).Json()["working_hours"]["timezone"],
            "Europe/London")
      << "a refused change changes nothing";
  EXPECT_EQ(c.PatchJson("/api/security/rules/no_such_rule", {{"enabled", false}}, admin_).status, 404);
}

TEST_F(SecurityApiTest, BadInputIsRefusedAndChangesNothing) {
  auto c = server_->client();
  size_t before = EventsOf("limit=500", admin_).size();
  struct Case {
    std::string body;
    int status;
  };
  for (const Case& k : std::vector<Case>{
           {R"({"type":"x","severity":"high"})", 422},
           {R"({"type":"x","severity":"dire","description":"d"})", 422},
           {R"({"type":"Not A Type","severity":"low","description":"d"})", 422},
           {R"({"type":"x","severity":"low","description":"d","source":"detection"})", 422},
           {R"({"type":7,"severity":"low","description":"d"})", 400},
           {R"({"type":"x","severity":"low","description":"d","colour":"red"})", 400},
           {R"({"type":"x","severity":"low","description":"d","affected_resources":[{"type":"users"}]})", 422},
           {R"({"type":"x","severity":"low","description":"d","metadata":[1,2]})", 400},
           {R"({"type":"x","severity":"low","description":"d"'; DROP TABLE security_events; --)", 400},
       }) {
    HttpResult r = c.Send("POST", "/api/security/events", k.body,
                          {{"Authorization", "Bearer " + admin_}, {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, k.status) << k.body << ": " << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << k.body;
  }
  EXPECT_EQ(EventsOf("limit=500", admin_).size(), before);
  EXPECT_EQ(c.Get("/api/security/events?severity=dire", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/security/events/not-a-uuid", admin_).status, 404);
  HttpResult status = c.PatchJson("/api/security/events/0190a5e0-0000-7000-8000-00000000dead/status",
                                  {{"status", "investigating"}}, admin_);
  EXPECT_EQ(status.status, 404);
}

TEST_F(SecurityApiTest, AnIncidentRunsFromDeclarationToClosedWithItsPostmortem) {
  auto c = server_->client();
  std::string impact = FormatRfc3339Exact(SystemClock::Instance().NowMicros() - 60'000'000);
  HttpResult declared = c.PostJson("/api/security/incidents",
                                   {{"title", "Invoices exported to the wrong tenant"},
                                    {"severity", "SEV1"},
                                    {"impact_started_at", impact}},
                                   admin_);
  ASSERT_EQ(declared.status, 201) << declared.body;
  json i = declared.Json();
  std::string id = i["id"];
  EXPECT_EQ(i["status"], "triage");
  EXPECT_GE(i["metrics"]["mttd_seconds"].get<int>(), 59);
  EXPECT_TRUE(i["metrics"]["mtta_seconds"].is_null());
  EXPECT_TRUE(i["metrics"]["mttr_seconds"].is_null());
  EXPECT_EQ(i["targets"]["mttr_seconds"], 1800);
  EXPECT_EQ(i["postmortem_required"], true);
  EXPECT_EQ(c.Get("/api/security/incidents/" + id, clerk_).status, 200) << "accountants read incidents";
  EXPECT_EQ(c.PatchJson("/api/security/incidents/" + id + "/status", {{"status", "investigating"}}, clerk_).status, 403);

  for (const char* status : {"investigating", "identified", "monitoring", "resolved"}) {
    HttpResult moved = c.PatchJson("/api/security/incidents/" + id + "/status", {{"status", status}}, admin_);
    ASSERT_EQ(moved.status, 200) << status << ": " << moved.body;
    i = moved.Json();
  }
  EXPECT_TRUE(i["metrics"]["mtta_seconds"].is_number());
  EXPECT_TRUE(i["metrics"]["mttr_seconds"].is_number());
  EXPECT_TRUE(i["identified_at"].is_string());
  HttpResult early = c.PatchJson("/api/security/incidents/" + id + "/status", {{"status", "closed"}}, admin_);
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_TRUE(absl::StrContains(early.Json().value("detail", ""), "postmortem")) << early.body;

  HttpResult pm = c.Send("PUT", "/api/security/incidents/" + id + "/postmortem",
                         json({{"summary", "20 minutes of cross-tenant exports"},
                               {"root_cause", "a cache key without the tenant"},
                               {"action_items", {{{"title", "key caches by tenant"}, {"owner", "platform"},
                                                  {"due_date", "2026-12-31"}}}}})
                             .dump(),
                         {{"Authorization", "Bearer " + admin_}, {"Content-Type", "application/json"}});
  ASSERT_EQ(pm.status, 200) << pm.body;
  EXPECT_EQ(pm.Json()["complete"], true);
  HttpResult md = c.Get("/api/security/incidents/" + id + "/postmortem?format=markdown", clerk_);
  ASSERT_EQ(md.status, 200) << md.body;
  EXPECT_EQ(md.Header("Content-Type"), "text/markdown; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(md.body, "# Postmortem: Invoices exported to the wrong tenant")) << md.body;
  EXPECT_TRUE(absl::StrContains(md.body, "| key caches by tenant | platform | 2026-12-31 | open |")) << md.body;
  HttpResult closed = c.PatchJson("/api/security/incidents/" + id + "/status", {{"status", "closed"}}, admin_);
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.Json()["allowed_transitions"], json::array());

  HttpResult metrics = c.Get("/api/security/incidents/metrics", admin_);
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(metrics.Json()["by_severity"][0]["severity"], "SEV1");
  EXPECT_EQ(metrics.Json()["by_severity"][0]["incidents"], 1);
  EXPECT_EQ(metrics.Json()["mttr_by_week"].size(), 1u);
}

TEST_F(SecurityApiTest, ABreachStartsTheSeventyTwoHourClock) {
  auto c = server_->client();
  HttpResult declared = c.PostJson("/api/security/incidents",
                                   {{"title", "Client list emailed outside the firm"}, {"severity", "SEV2"},
                                    {"personal_data_breach", true}},
                                   admin_);
  ASSERT_EQ(declared.status, 201) << declared.body;
  json breach = declared.Json()["breach"];
  EXPECT_GT(breach["seconds_remaining"].get<int64_t>(), 72 * 3600 - 60);
  EXPECT_LE(breach["seconds_remaining"].get<int64_t>(), 72 * 3600);
  EXPECT_EQ(breach["missing_content"].size(), 6u);
  std::string id = declared.Json()["id"];
  HttpResult told = c.PatchJson("/api/security/incidents/" + id,
                                {{"breach_report", {{"nature", "a spreadsheet sent to a supplier"}}},
                                 {"notification", {{"authority", "ICO"}, {"reference", "ICO-1"}}}},
                                admin_);
  ASSERT_EQ(told.status, 200) << told.body;
  EXPECT_EQ(told.Json()["breach"]["notified"], true);
  EXPECT_EQ(told.Json()["breach"]["notified_late"], false);
  EXPECT_EQ(told.Json()["breach"]["authority"], "ICO");
  EXPECT_EQ(told.Json()["breach"]["missing_content"].size(), 5u);
  HttpResult listed = c.Get("/api/security/incidents?personal_data_breach=true", admin_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.Json()["items"].size(), 1u);

  for (const auto& [body, status] : std::vector<std::pair<json, int>>{
           {{{"title", "x"}, {"severity", "SEV5"}}, 422},
           {{{"title", ""}, {"severity", "SEV1"}}, 422},
           {{{"title", "x"}, {"severity", "SEV1"}, {"impact_started_at", "yesterday"}}, 422},
           {{{"title", "x"}, {"severity", "SEV1"}, {"colour", "red"}}, 400},
           {{{"title", 5}, {"severity", "SEV1"}}, 400},
       }) {
    HttpResult r = c.PostJson("/api/security/incidents", body, admin_);
    EXPECT_EQ(r.status, status) << body.dump() << ": " << r.body;
  }
  EXPECT_EQ(c.Get("/api/security/incidents?limit=500", admin_).Json()["items"].size(), 2u)
      << "refused declarations change nothing";
}

TEST_F(SecurityApiTest, JustInTimeAccessIsApprovedByAnotherPersonAndEnds) {
  auto c = server_->client();
  EXPECT_EQ(c.Get("/api/users", clerk_).status, 403) << "an accountant cannot list users";
  HttpResult asked = c.PostJson("/api/security/access-requests",
                                {{"role", "ADMIN"}, {"duration_minutes", 30}, {"reason", "onboard the new bookkeeper"}},
                                clerk_);
  ASSERT_EQ(asked.status, 201) << asked.body;
  std::string id = asked.Json()["id"];
  EXPECT_EQ(asked.Json()["status"], "pending");
  EXPECT_EQ(c.PostJson("/api/security/access-requests/" + id + "/approve", json::object(), clerk_).status, 403);

  HttpResult own = c.PostJson("/api/security/access-requests",
                              {{"role", "AUDITOR"}, {"duration_minutes", 15}, {"reason", "check the trail"}}, admin_);
  ASSERT_EQ(own.status, 201) << own.body;
  HttpResult self = c.PostJson("/api/security/access-requests/" + own.Json()["id"].get<std::string>() + "/approve",
                               json::object(), admin_);
  EXPECT_EQ(self.status, 403) << self.body;
  EXPECT_TRUE(absl::StrContains(self.body, "four-eyes")) << self.body;

  HttpResult approved = c.PostJson("/api/security/access-requests/" + id + "/approve", {{"note", "for today"}}, admin_);
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.Json()["active"], true);
  EXPECT_GT(approved.Json()["seconds_remaining"].get<int>(), 29 * 60);
  HttpResult users = c.Get("/api/users", clerk_);
  EXPECT_EQ(users.status, 200) << "in force at once: " << users.body;
  HttpResult me = c.Get("/api/auth/me", clerk_);
  EXPECT_TRUE(absl::StrContains(me.Json()["permissions"].dump(), "users.write")) << me.body;
  EXPECT_EQ(me.Json()["access_via"], "jit:" + id) << me.body;
  EXPECT_EQ(me.Json()["roles"], json({"ACCOUNTANT"})) << "roles are the user's own";
  ASSERT_TRUE(WaitFor([&] {
    HttpResult trail = c.Get("/api/audit/logs?action=READ&limit=50&q=%2Fapi%2Fusers", admin_);
    return absl::StrContains(trail.body, "\"actor_via\":\"jit:" + id + "\"");
  })) << "the elevated requests are marked in the audit trail";

  // The grant lets the accountant act as an admin, not hand out admin roles that outlive it.
  HttpResult promoted = c.PostJson("/api/users", {{"email", "second-admin@acme.example"}, {"password", kPassword},
                                                  {"roles", {"ADMIN"}}},
                                   clerk_);
  EXPECT_EQ(promoted.status, 403) << promoted.body;
  EXPECT_TRUE(absl::StrContains(promoted.body, "just-in-time")) << promoted.body;
  HttpResult onboarded = c.PostJson("/api/users", {{"email", "bookkeeper@acme.example"}, {"password", kPassword},
                                                   {"roles", {"ACCOUNTANT"}}},
                                    clerk_);
  EXPECT_EQ(onboarded.status, 201) << onboarded.body;

  HttpResult ended = c.PostJson("/api/security/access-requests/" + id + "/revoke", {{"note", "done"}}, clerk_);
  ASSERT_EQ(ended.status, 200) << ended.body;
  EXPECT_EQ(ended.Json()["status"], "revoked");
  EXPECT_EQ(c.Get("/api/users", clerk_).status, 403) << "ends at once";
  HttpResult mine = c.Get("/api/security/access-requests", clerk_);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.Json()["items"].size(), 1u) << "the accountant sees only their own";
  HttpResult all = c.Get("/api/security/access-requests?status=pending", admin_);
  EXPECT_EQ(all.Json()["items"].size(), 1u) << all.body;
}

TEST_F(SecurityApiTest, AnAccessReviewCertifiesOrRevokesEachUserAndIsKeptAsEvidence) {
  auto c = server_->client();
  HttpResult leaver = c.PostJson("/api/users", {{"email", "leaver@acme.example"}, {"password", kPassword},
                                                {"roles", {"VIEWER"}}},
                                 admin_);
  ASSERT_EQ(leaver.status, 201) << leaver.body;
  std::string leaver_id = leaver.Json()["id"];
  HttpResult opened = c.PostJson("/api/security/access-reviews", {{"title", "Q4 access review"}}, admin_);
  ASSERT_EQ(opened.status, 201) << opened.body;
  json review = opened.Json();
  std::string id = review["id"];
  std::string admin_id = c.Get("/api/auth/me", admin_).Json()["id"];
  std::string clerk_id = c.Get("/api/auth/me", clerk_).Json()["id"];
  std::vector<std::string> users;
  for (const json& item : review["items"]) users.push_back(item["user_id"]);
  ASSERT_GE(users.size(), 3u) << opened.body;
  EXPECT_NE(std::find(users.begin(), users.end(), leaver_id), users.end());
  EXPECT_EQ(c.Get("/api/security/access-reviews/" + id, clerk_).status, 403) << "accountants do not read reviews";

  auto decide = [&](const std::string& token, const json& body) {
    return c.PostJson("/api/security/access-reviews/" + id + "/decisions", body, token);
  };
  HttpResult self = decide(admin_, {{"user_id", admin_id}, {"decision", "certify"}});
  EXPECT_EQ(self.status, 403) << self.body;
  EXPECT_TRUE(absl::StrContains(self.body, "four-eyes")) << self.body;
  HttpResult early = c.PostJson("/api/security/access-reviews/" + id + "/complete", json::object(), admin_);
  EXPECT_EQ(early.status, 409) << early.body;

  HttpResult revoked = decide(admin_, {{"user_id", leaver_id}, {"decision", "revoke"}, {"note", "left the firm"}});
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(c.Get("/api/users/" + leaver_id, admin_).Json()["status"], "disabled") << "no role left: disabled";
  EXPECT_TRUE(server_->Login("leaver@acme.example", kPassword).empty());
  EXPECT_EQ(decide(admin_, {{"user_id", leaver_id}, {"decision", "certify"}}).status, 409) << "decided once";
  for (const std::string& u : users) {
    if (u == leaver_id || u == admin_id) continue;
    HttpResult certified = decide(admin_, {{"user_id", u}, {"decision", "certify"}});
    ASSERT_EQ(certified.status, 200) << certified.body;
  }
  ASSERT_EQ(decide(root_, {{"user_id", admin_id}, {"decision", "certify"}}).status, 200) << "another reviewer";
  HttpResult done = c.PostJson("/api/security/access-reviews/" + id + "/complete", json::object(), admin_);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.Json()["status"], "completed");
  EXPECT_EQ(done.Json()["progress"]["revoked"], 1);
  EXPECT_EQ(done.Json()["progress"]["decided"], static_cast<int>(users.size()));
  EXPECT_EQ(decide(admin_, {{"user_id", clerk_id}, {"decision", "revoke"}}).status, 409) << "evidence, unchanged";
  HttpResult listed = c.Get("/api/security/access-reviews", admin_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.Json()["items"][0]["status"], "completed");
}

TEST(SecurityRulesFileTest, ARuleFileReplacesTheShippedRules) {
  TempDir dir;
  std::string path = dir.path() + "/rules.yaml";
  std::ofstream(path) << "rules:\n  - name: denied_once\n    title: Any denied request\n    type: access_denied\n"
                         "    severity: low\n    match: {outcome: denied}\n    group_by: [actor_id]\n    window: 1m\n";
  TrustdProcess server(TrustdProcess::Options{{}, {{"TRUST_SECURITY_RULES_FILE", path}}});
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  ASSERT_EQ(server.Bootstrap(kRootEmail, kPassword).exit_code, 0);
  std::string root = server.Login(kRootEmail, kPassword);
  HttpResult list = server.client().Get("/api/security/rules", root);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.Json()["items"].size(), 1u) << list.body;
  EXPECT_EQ(list.Json()["items"][0]["name"], "denied_once");
  EXPECT_EQ(list.Json()["items"][0]["threshold"], 0);
}

}  // namespace
}  // namespace tf::testing
