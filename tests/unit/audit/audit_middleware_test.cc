// Tests of the audit middleware on both backends: the request's record (who, what, where,
// outcome), the request scope events see, and what happens when the record cannot be written.

#include "modules/audit/audit_middleware.h"

#include <gtest/gtest.h>

#include "http/problem.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/audit_repo.h"
#include "modules/audit/personal_details.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "support/test_keys.h"
#include "unit/store/test_db.h"

namespace tf::audit {
namespace {

using tf::testing::Backend;
using tf::testing::TestDatabase;

class AuditMiddlewareTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    log_ = std::make_unique<AuditLog>(db_->db(), clock_, metrics_);
    route_ = {"GET", "/api/users/{id}/sessions/{session_id}", Access::Authenticated(), nullptr};
  }

  http::RequestContext Context(std::string method, std::string path) {
    http::RequestContext ctx;
    ctx.request.method = std::move(method);
    ctx.request.path = std::move(path);
    ctx.request.remote_addr = "198.51.100.4";
    ctx.request.headers.Add("User-Agent", "unit-test");
    ctx.request_id = "req-1";
    ctx.trace.trace_id = "0af7651916cd43dd8448eb211c80319c";
    ctx.route = &route_;
    ctx.path_params = {{"id", "u-7"}, {"session_id", "s-9"}};
    Principal p;
    p.kind = Principal::Kind::kApiToken;
    p.user_id = "u-1";
    p.credential_id = "t-1";
    p.tenant_id = "tenant-1";
    ctx.principal = p;
    return ctx;
  }

  std::vector<AuditRecord> Records() {
    return db_->db()
        .InTx(store::ReadTx(), [&](store::Transaction& tx) { return AuditRepo().Range(tx, 0, 1000); })
        .value();
  }

  void BreakAuditWrites() {
    std::string sql = GetParam() == Backend::kSqlite
                          ? "CREATE TRIGGER broken BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                          : "ALTER TABLE audit_records ADD CONSTRAINT broken CHECK (leaf_index < 0) NOT VALID";
    TF_ASSERT_OK(db_->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) { return tx.ExecScript(sql); }));
  }

  FakeClock clock_{store::testing::TestEpoch()};
  metrics::Registry metrics_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<AuditLog> log_;
  http::Route route_;
};

TEST_P(AuditMiddlewareTest, RecordsTheRequestAndOpensItsScopeForEvents) {
  AuditMiddleware middleware(*log_, false, nullptr);
  http::RequestContext ctx = Context("DELETE", "/api/users/u-7/sessions/s-9");
  ctx.request.body =
      R"({"reason":"left the firm","token":"tft_abcdefghijklmnopqrstuvwxyz0123456789ABCD","code":"492817"})";
  std::string seen_request_id;
  auto result = middleware.Handle(ctx, [&](http::RequestContext&) -> absl::StatusOr<http::Response> {
    if (const RequestInfo* info = RequestScope::Current()) seen_request_id = info->request_id;
    return http::Response::NoContent();
  });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(seen_request_id, "req-1") << "events recorded by the handler see the request";
  EXPECT_EQ(RequestScope::Current(), nullptr) << "the scope ends with the request";
  std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 1u);
  const AuditRecord& r = records[0];
  EXPECT_EQ(r.kind, "request");
  EXPECT_EQ(r.tenant_id, "tenant-1");
  EXPECT_EQ(r.actor_type, "api_token");
  EXPECT_EQ(r.actor_id, "t-1");
  EXPECT_EQ(r.actor_user_id, "u-1");
  EXPECT_EQ(r.action, "DELETE");
  EXPECT_EQ(r.resource_type, "users.sessions");
  EXPECT_EQ(r.resource_id, "s-9");
  EXPECT_EQ(r.route, "/api/users/{id}/sessions/{session_id}");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.outcome, "success");
  EXPECT_EQ(r.source_ip, "198.51.100.4");
  EXPECT_EQ(r.user_agent, "unit-test");
  EXPECT_EQ(r.trace_id, "0af7651916cd43dd8448eb211c80319c");
  ASSERT_TRUE(r.details);
  EXPECT_NE(r.details->find("left the firm"), std::string::npos);
  EXPECT_EQ(r.details->find("tft_"), std::string::npos) << *r.details;
  EXPECT_EQ(r.details->find("492817"), std::string::npos) << "one-time codes are not kept: " << *r.details;
}

TEST_P(AuditMiddlewareTest, TheRoutesSecretFieldsAreRedactedWhateverTheirNames) {
  route_ = {"POST", "/api/secrets", Access::Authenticated(), nullptr};
  route_.secret_fields = {"value"};
  AuditMiddleware middleware(*log_, false, nullptr);
  http::RequestContext ctx = Context("POST", "/api/secrets");
  ctx.request.body = R"({"name":"db-main","value":"plain words anyone could guess"})";
  ASSERT_TRUE(middleware.Handle(ctx, [](http::RequestContext&) { return absl::StatusOr<http::Response>(http::Response::NoContent()); }).ok());
  std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 1u);
  ASSERT_TRUE(records[0].details);
  EXPECT_NE(records[0].details->find("db-main"), std::string::npos) << *records[0].details;
  EXPECT_EQ(records[0].details->find("anyone could guess"), std::string::npos) << *records[0].details;
}

// People's data in a request is kept sealed under the person's key, bound to the record and
// its place; the record opens it for its readers until the person is erased, and the leaf
// never changes. Without a person (or a key store) the fields are redacted.
TEST_P(AuditMiddlewareTest, PersonalFieldsAreSealedUnderThePersonsKeyUntilTheyAreErased) {
  TF_ASSERT_OK_AND_ASSIGN(auto keys, tf::testing::TestKeys::Create(GetParam(), db_->db(), clock_));
  route_ = {"POST", "/api/users", Access::Authenticated(), nullptr};
  route_.personal_fields = {"email", "display_name"};
  AuditMiddleware middleware(*log_, false, &keys->personal());
  constexpr char kSubject[] = "0190f000-0000-7000-8000-0000000000a1";
  for (bool named : {true, false}) {
    http::RequestContext ctx = Context("POST", "/api/users");
    ctx.request.query = {{"email", "query.person@example.com"}};
    ctx.request.body = R"({"email":"ada@example.com","display_name":"Ada Lovelace","roles":["VIEWER"]})";
    ASSERT_TRUE(middleware
                    .Handle(ctx, [&](http::RequestContext& c) -> absl::StatusOr<http::Response> {
                      if (named) c.data_subject = http::RequestContext::DataSubject{"tenant-1", kSubject};
                      return http::Response::NoContent();
                    })
                    .ok());
  }
  std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 2u);
  for (const AuditRecord& r : records) {
    ASSERT_TRUE(r.details);
    for (const char* plain : {"ada@example.com", "Lovelace", "query.person"}) {
      EXPECT_EQ(r.details->find(plain), std::string::npos) << *r.details;
    }
    EXPECT_NE(r.details->find("VIEWER"), std::string::npos) << "other fields are kept: " << *r.details;
  }
  const AuditRecord& sealed = records[0].details->find("tfpd:") != std::string::npos ? records[0] : records[1];
  const AuditRecord& redacted = &sealed == &records[0] ? records[1] : records[0];
  nlohmann::json details = nlohmann::json::parse(*sealed.details);
  EXPECT_EQ(details["data_subject"], (nlohmann::json{{"tenant_id", "tenant-1"}, {"id", kSubject}}));
  EXPECT_TRUE(secrets::PersonalData::IsSealed(details["body"]["email"].get<std::string>())) << details;
  EXPECT_NE(redacted.details->find("[REDACTED]"), std::string::npos) << *redacted.details;
  EXPECT_EQ(redacted.details->find("data_subject"), std::string::npos) << *redacted.details;

  auto reveal = [&](const AuditRecord& r) {
    return RevealPersonalFields(nlohmann::json::parse(r.details.value_or("null")), r.id, keys->personal());
  };
  nlohmann::json revealed = reveal(sealed);
  EXPECT_EQ(revealed, (nlohmann::json{{"body.email", "ada@example.com"},
                                      {"body.display_name", "Ada Lovelace"},
                                      {"query.email", "query.person@example.com"}}));
  EXPECT_TRUE(reveal(redacted).empty());
  // A sealed value copied into another record does not open there.
  AuditRecord moved = redacted;
  moved.details = sealed.details;
  EXPECT_TRUE(reveal(moved).empty());

  // Erasure: the values read as erased, the record and its leaf are unchanged.
  TF_ASSERT_OK_AND_ASSIGN(std::string leaf_before, LeafBytes(sealed));
  TF_ASSERT_OK(keys->personal().Erase("tenant-1", kSubject).status());
  std::vector<AuditRecord> after = Records();
  const AuditRecord& same = after[0].id == sealed.id ? after[0] : after[1];
  EXPECT_EQ(same.details, sealed.details);
  TF_ASSERT_OK_AND_ASSIGN(std::string leaf_after, LeafBytes(same));
  EXPECT_EQ(leaf_after, leaf_before);
  EXPECT_EQ(reveal(same),
            (nlohmann::json{{"body.email", "[erased]"}, {"body.display_name", "[erased]"}, {"query.email", "[erased]"}}));
}

TEST_P(AuditMiddlewareTest, ABodyNoRouteMatchedIsKeptOnlyAsItsSize) {
  AuditMiddleware middleware(*log_, false, nullptr);
  http::RequestContext ctx = Context("PUT", "/api/secrets");
  ctx.route = nullptr;  // 405: nothing names the body's secret fields
  ctx.request.body = R"({"name":"db-main","value":"plain words anyone could guess"})";
  auto result = middleware.Handle(ctx, [](http::RequestContext&) -> absl::StatusOr<http::Response> {
    return absl::UnimplementedError("method not allowed");
  });
  (void)result;
  std::vector<AuditRecord> records = Records();
  ASSERT_EQ(records.size(), 1u);
  ASSERT_TRUE(records[0].details);
  EXPECT_EQ(records[0].details->find("anyone could guess"), std::string::npos) << *records[0].details;
  EXPECT_NE(records[0].details->find("body_bytes"), std::string::npos) << *records[0].details;
}

TEST_P(AuditMiddlewareTest, OnlyApiRequestsAreRecorded) {
  AuditMiddleware middleware(*log_, false, nullptr);
  http::RequestContext ctx = Context("GET", "/health");
  ctx.route = nullptr;
  ASSERT_TRUE(middleware.Handle(ctx, [](http::RequestContext&) { return absl::StatusOr<http::Response>(http::Response::NoContent()); }).ok());
  EXPECT_TRUE(Records().empty());
}

TEST_P(AuditMiddlewareTest, AReadWhoseRecordIsLostFailsClosedUnlessConfiguredOpen) {
  BreakAuditWrites();
  auto ok = [](http::RequestContext&) -> absl::StatusOr<http::Response> { return http::Response::Json(200, {}); };
  http::RequestContext read = Context("GET", "/api/users/u-7/sessions/s-9");
  auto closed = AuditMiddleware(*log_, false, nullptr).Handle(read, ok);
  EXPECT_EQ(http::ResultStatus(closed), 503);
  read = Context("GET", "/api/users/u-7/sessions/s-9");
  EXPECT_EQ(http::ResultStatus(AuditMiddleware(*log_, true, nullptr).Handle(read, ok)), 200) << "audit.fail_open_reads";

  http::RequestContext write = Context("PATCH", "/api/users/u-7/sessions/s-9");
  EXPECT_EQ(http::ResultStatus(AuditMiddleware(*log_, false, nullptr).Handle(write, ok)), 200)
      << "a change that committed (with its event) keeps its answer";
  http::RequestContext missing = Context("GET", "/api/users/u-7/sessions/s-9");
  auto not_found = AuditMiddleware(*log_, false, nullptr).Handle(
      missing, [](http::RequestContext&) -> absl::StatusOr<http::Response> { return absl::NotFoundError("no such session"); });
  EXPECT_EQ(http::ResultStatus(not_found), 404) << "an error keeps its own cause";
  EXPECT_TRUE(Records().empty());
}

TEST(AuditMiddlewareRulesTest, ActionsOutcomesAndResourceTypes) {
  EXPECT_EQ(ActionOf("GET"), "READ");
  EXPECT_EQ(ActionOf("POST"), "CREATE");
  EXPECT_EQ(ActionOf("PATCH"), "UPDATE");
  EXPECT_EQ(ActionOf("PUT"), "UPDATE");
  EXPECT_EQ(ActionOf("DELETE"), "DELETE");
  EXPECT_EQ(OutcomeOf(201), "success");
  EXPECT_EQ(OutcomeOf(401), "denied");
  EXPECT_EQ(OutcomeOf(403), "denied");
  EXPECT_EQ(OutcomeOf(422), "failure");
  EXPECT_EQ(OutcomeOf(503), "error");
  EXPECT_EQ(ResourceTypeOf("/api/auth/mfa/totp/enroll"), "auth.mfa.totp.enroll");
  EXPECT_EQ(ResourceTypeOf("/api/tenants/{id}/security-policy"), "tenants.security-policy");
  EXPECT_EQ(ResourceTypeOf("/api/users/{id}"), "users");
}

TF_INSTANTIATE_BACKENDS(AuditMiddlewareTest);

}  // namespace
}  // namespace tf::audit
