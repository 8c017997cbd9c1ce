// The audit trail against a real trustd: every /api request leaves a record (failed
// authentication and refused permission included, reading the trail too), secrets never reach
// it, tenants see only their own records, and what the API serves verifies the way an
// independent auditor would check it: the leaf recomputed from the served JSON (RFC 8785), its
// RFC 9162 inclusion proof, the checkpoint's Ed25519 signed note opened with the published key.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/merkle.h"
#include "core/signed_note.h"
#include "support/trustd_process.h"
#include "support/wait.h"

namespace tf::testing {
namespace {

using nlohmann::json;

std::vector<merkle::Hash> Hashes(const json& list) {
  std::vector<merkle::Hash> out;
  for (const auto& h : list) out.push_back(merkle::HashFromHex(h.get<std::string>()).value());
  return out;
}

class AuditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    server_ = new TrustdProcess(TrustdProcess::Options{
        {}, {{"TRUST_AUDIT_CHECKPOINT_INTERVAL_MS", "1000"}, {"TRUST_AUDIT_ORIGIN", "audit.test.example/log"}}});
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_EQ(server_->Bootstrap(kRootEmail, kPassword).exit_code, 0);
    root_ = server_->Login(kRootEmail, kPassword);
    ASSERT_FALSE(root_.empty());
    auto c = server_->client();
    HttpResult t = c.PostJson("/api/tenants", {{"slug", "acme"}, {"name", "Acme"}}, root_);
    ASSERT_EQ(t.status, 201) << t.body;
    tenant_ = t.Json()["id"];
    for (const auto& [email, role] : {std::pair{"admin@acme.example", "ADMIN"}, {"viewer@acme.example", "VIEWER"}}) {
      HttpResult u = c.PostJson(
          "/api/users", {{"email", email}, {"password", kPassword}, {"roles", {role}}, {"tenant_id", tenant_}}, root_);
      ASSERT_EQ(u.status, 201) << u.body;
    }
    admin_ = server_->Login("admin@acme.example", kPassword);
    viewer_ = server_->Login("viewer@acme.example", kPassword);
    ASSERT_FALSE(admin_.empty());
    ASSERT_FALSE(viewer_.empty());
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  //! Sends a request with a request id of our own and returns that id.
  static std::string Traced(const std::string& method, const std::string& path, const std::string& token,
                            const std::string& body = "", int* status = nullptr) {
    static int n = 0;
    std::string id = "audit-test-" + std::to_string(++n);
    std::map<std::string, std::string> headers{{"X-Request-Id", id}, {"User-Agent", "audit-test/1.0"},
                                               {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    if (!body.empty()) headers["Content-Type"] = "application/json";
    HttpResult r = server_->client().Send(method, path, body, headers);
    if (status) *status = r.status;
    return id;
  }

  //! The one record of `request_id`, as `token` sees it (null when there is none).
  static json RecordOf(const std::string& request_id, const std::string& token = root_) {
    HttpResult r = server_->client().Get("/api/audit/logs?kind=request&request_id=" + request_id, token);
    EXPECT_EQ(r.status, 200) << r.body;
    json items = r.Json()["items"];
    return items.size() == 1 ? items[0] : json();
  }

  static TrustdProcess* server_;
  static std::string root_, admin_, viewer_, tenant_;
};

TrustdProcess* AuditTest::server_ = nullptr;
std::string AuditTest::root_, AuditTest::admin_, AuditTest::viewer_, AuditTest::tenant_;

TEST_F(AuditTest, ARequestLeavesARecordOfWhoDidWhatWhereAndHow) {
  int status = 0;
  std::string id = Traced("GET", "/api/users?limit=5", admin_, "", &status);
  ASSERT_EQ(status, 200);
  json r = RecordOf(id);
  ASSERT_TRUE(r.is_object()) << "no record of " << id;
  EXPECT_EQ(r["kind"], "request");
  EXPECT_EQ(r["tenant_id"], tenant_);
  EXPECT_EQ(r["actor_type"], "user");
  EXPECT_EQ(r["action"], "READ");
  EXPECT_EQ(r["resource_type"], "users");
  EXPECT_EQ(r["method"], "GET");
  EXPECT_EQ(r["route"], "/api/users");
  EXPECT_EQ(r["path"], "/api/users");
  EXPECT_EQ(r["status"], 200);
  EXPECT_EQ(r["outcome"], "success");
  EXPECT_EQ(r["source_ip"], "127.0.0.1");
  EXPECT_EQ(r["user_agent"], "audit-test/1.0");
  EXPECT_EQ(r["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(r["details"]["query"]["limit"], "5");
  EXPECT_TRUE(absl::EndsWith(r["time"].get<std::string>(), "Z"));
}

TEST_F(AuditTest, FailedAuthenticationAndRefusedPermissionAreRecorded) {
  int status = 0;
  std::string anonymous = Traced("GET", "/api/users", "", "", &status);
  EXPECT_EQ(status, 401);
  std::string bad_token = Traced("GET", "/api/users", "tfs_not-a-real-token", "", &status);
  EXPECT_EQ(status, 401);
  std::string refused = Traced("GET", "/api/users", viewer_, "", &status);
  EXPECT_EQ(status, 403);
  for (const std::string& id : {anonymous, bad_token}) {
    json r = RecordOf(id);
    ASSERT_TRUE(r.is_object()) << id;
    EXPECT_EQ(r["outcome"], "denied");
    EXPECT_EQ(r["status"], 401);
    EXPECT_EQ(r["actor_type"], "anonymous");
    EXPECT_TRUE(r["tenant_id"].is_null()) << "no tenant is known: a platform-level record";
  }
  json r = RecordOf(refused);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["outcome"], "denied");
  EXPECT_EQ(r["status"], 403);
  EXPECT_EQ(r["actor_type"], "user");
  EXPECT_EQ(r["tenant_id"], tenant_);
}

TEST_F(AuditTest, RequestsTheServerRefusesBeforeThePipelineAreRecorded) {
  // A body over the route's limit is refused before it is read, and before authentication.
  std::string body(64 * 1024, ' ');
  HttpResult big = server_->client().Send("POST", "/api/users", body,
                                          {{"Content-Type", "application/json"}, {"User-Agent", "audit-test/1.0"}});
  ASSERT_EQ(big.status, 413) << big.body;
  std::string id = big.Header("X-Request-Id");
  ASSERT_FALSE(id.empty());
  json r;
  ASSERT_TRUE(WaitFor([&] { return (r = RecordOf(id)).is_object(); }, std::chrono::seconds(10)))
      << "no record of " << id;
  EXPECT_EQ(r["status"], 413);
  EXPECT_EQ(r["outcome"], "failure");
  EXPECT_EQ(r["actor_type"], "anonymous");
  EXPECT_EQ(r["action"], "CREATE");
  EXPECT_EQ(r["method"], "POST");
  EXPECT_EQ(r["route"], "/api/users");
  EXPECT_EQ(r["resource_type"], "users");
  EXPECT_EQ(r["path"], "/api/users");
  EXPECT_EQ(r["source_ip"], "127.0.0.1");
  EXPECT_EQ(r["user_agent"], "audit-test/1.0");
  EXPECT_TRUE(absl::StrContains(r["details"]["refused"].get<std::string>(), "exceeds")) << r.dump();

  // A target that is not a valid path is recorded as sent.
  HttpResult bad =
      server_->client().SendRaw("GET /api/users/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(bad.status, 400) << bad.body;
  std::string bad_id = bad.Header("X-Request-Id");
  ASSERT_TRUE(WaitFor([&] { return (r = RecordOf(bad_id)).is_object(); }, std::chrono::seconds(10))) << bad_id;
  EXPECT_EQ(r["path"], "/api/users/%ZZ");
  EXPECT_EQ(r["status"], 400);
  EXPECT_EQ(r["outcome"], "failure");

  // Outside /api/ nothing is recorded.
  HttpResult outside = server_->client().Send("POST", "/not-api", std::string(2 * 1024 * 1024, ' '), {});
  ASSERT_EQ(outside.status, 413);
  std::string outside_id = outside.Header("X-Request-Id");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(RecordOf(outside_id).is_null());
}

TEST_F(AuditTest, SecretsInRequestsNeverReachTheTrail) {
  int status = 0;
  std::string id = Traced("POST", "/api/auth/login", "",
                          R"({"email":"admin@acme.example","password":"Hunter2-wrong-password"})", &status);
  EXPECT_EQ(status, 401);
  json r = RecordOf(id);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["action"], "LOGIN");
  // A refused sign-in names no person, so the address typed is not kept either (the
  // login_failed event names the account, by id, when there is one).
  EXPECT_EQ(r["details"]["body"]["email"], "[REDACTED]");
  EXPECT_EQ(r.dump().find("admin@acme.example"), std::string::npos) << r.dump();
  EXPECT_EQ(r.dump().find("Hunter2"), std::string::npos) << r.dump();
  EXPECT_EQ(r["details"]["body"]["password"], "[REDACTED]");
  // Nor the bearer token of any request.
  HttpResult all = server_->client().Get("/api/audit/logs?limit=500", root_);
  EXPECT_EQ(all.body.find(admin_), std::string::npos);
  EXPECT_EQ(all.body.find(root_), std::string::npos);
}

TEST_F(AuditTest, ReadingTheTrailIsItselfRecordedAndTenantsSeeOnlyTheirOwn) {
  std::string search = Traced("GET", "/api/audit/logs", admin_);
  json r = RecordOf(search, admin_);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["route"], "/api/audit/logs");

  HttpResult mine = server_->client().Get("/api/audit/logs?limit=500", admin_);
  ASSERT_EQ(mine.status, 200);
  json items = mine.Json()["items"];
  ASSERT_FALSE(items.empty());
  for (const json& item : items) EXPECT_EQ(item["tenant_id"], tenant_) << item.dump();
  // Another tenant's record (the root's own requests) is not found by id either.
  json roots = RecordOf(Traced("GET", "/api/auth/me", root_));
  ASSERT_TRUE(roots.is_object());
  EXPECT_EQ(server_->client().Get("/api/audit/logs/" + roots["id"].get<std::string>(), admin_).status, 404);
  EXPECT_EQ(server_->client().Get("/api/audit/logs?limit=5", viewer_).status, 403);
}

TEST_F(AuditTest, ARecordVerifiesAsAnIndependentAuditorChecksIt) {
  json record = RecordOf(Traced("GET", "/api/auth/me", admin_));
  ASSERT_TRUE(record.is_object());
  std::string path = "/api/audit/logs/" + record["id"].get<std::string>();
  json got;
  ASSERT_TRUE(WaitFor([&] {
    got = server_->client().Get(path, admin_).Json();
    return got.contains("proof") && !got["proof"].is_null();
  })) << got.dump();

  // 1. The leaf is the canonical JSON of the served record without the served-only members.
  json leaf_json = got;
  for (const char* member : {"leaf_index", "details", "pruned_at", "leaf", "leaf_hash", "proof", "checkpoint"}) {
    leaf_json.erase(member);
  }
  std::string leaf = CanonicalJson(leaf_json).value();
  EXPECT_EQ(crypto::Base64Encode(leaf), got["leaf"]);
  EXPECT_EQ(crypto::Sha256Hex(CanonicalJson(got["details"]).value()), got["details_sha256"]);
  merkle::Hash leaf_hash = merkle::LeafHash(leaf);
  EXPECT_EQ(merkle::ToHex(leaf_hash), got["leaf_hash"]);

  // 2. The checkpoint is signed by the published key, and its body names the root.
  json key = server_->client().Get("/api/audit/public-key").Json();
  EXPECT_EQ(key["algorithm"], "ed25519");
  EXPECT_EQ(key["key_name"], "audit.test.example/log");
  note::Verifier verifier = note::Verifier::FromKeyString(key["verifier_key"].get<std::string>()).value();
  EXPECT_EQ(crypto::Base64Encode(verifier.public_key()), key["public_key"]);
  json checkpoint = got["checkpoint"];
  absl::StatusOr<std::string> body = note::Open(checkpoint["note"].get<std::string>(), verifier);
  ASSERT_TRUE(body.ok()) << body.status();
  std::vector<std::string> lines = absl::StrSplit(*body, '\n');
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "audit.test.example/log");
  EXPECT_EQ(lines[1], std::to_string(checkpoint["tree_size"].get<int64_t>()));
  merkle::Hash root = merkle::HashFromHex(checkpoint["root_hash"].get<std::string>()).value();
  EXPECT_EQ(lines[2], crypto::Base64Encode(merkle::AsBytes(root)));

  // 3. The inclusion proof takes the leaf to that root.
  int64_t index = got["leaf_index"], size = got["proof"]["tree_size"];
  EXPECT_EQ(size, checkpoint["tree_size"]);
  EXPECT_TRUE(merkle::VerifyInclusion(index, size, leaf_hash, Hashes(got["proof"]["hashes"]), root));
  HttpResult inclusion = server_->client().Get(
      "/api/audit/proof/inclusion?leaf_index=" + std::to_string(index) + "&tree_size=" + std::to_string(size), admin_);
  ASSERT_EQ(inclusion.status, 200) << inclusion.body;
  EXPECT_EQ(inclusion.Json()["hashes"], got["proof"]["hashes"]);

  // 4. A later checkpoint extends this one.
  json later;
  ASSERT_TRUE(WaitFor([&] {
    Traced("GET", "/api/auth/me", admin_);
    later = server_->client().Get("/api/audit/checkpoints/latest", admin_).Json();
    return later.value("tree_size", int64_t{0}) > size;
  }, std::chrono::seconds(20)));
  HttpResult consistency = server_->client().Get("/api/audit/proof/consistency?first=" + std::to_string(size) +
                                                     "&second=" + std::to_string(later["tree_size"].get<int64_t>()),
                                                 admin_);
  ASSERT_EQ(consistency.status, 200) << consistency.body;
  EXPECT_TRUE(merkle::VerifyConsistency(size, later["tree_size"], root,
                                        merkle::HashFromHex(later["root_hash"].get<std::string>()).value(),
                                        Hashes(consistency.Json()["hashes"])));
}

TEST_F(AuditTest, AnExportVerifiesOfflineWithThePublicKeyAlone) {
  // A record whose details hold numbers and names that canonical JSON must print and sort with
  // care (RFC 8785 3.2.2.3 and 3.2.3), for the independent verifier below.
  int status = 0;
  std::string tricky = Traced("POST", "/api/users", admin_,
                              R"({"email":"jcs@acme.example","n":[1.5,1e-7,1e21,-0.0,0.1,123456789012345678],)"
                              R"("\ufb33":1,"\ud83d\ude00":2,"\u00e9":"\u00fcn\u00ef","\r":"\u0007"})",
                              &status);
  ASSERT_TRUE(status == 400 || status == 422) << status;
  json tricky_record = RecordOf(tricky);
  ASSERT_TRUE(tricky_record.is_object());
  ASSERT_TRUE(tricky_record["details"]["body"].contains("n")) << tricky_record.dump();
  int64_t tricky_index = tricky_record["leaf_index"];
  ASSERT_TRUE(WaitFor([&] {
    json latest = server_->client().Get("/api/audit/checkpoints/latest", admin_).Json();
    return latest.is_object() && latest.value("tree_size", int64_t{0}) > tricky_index;
  }, std::chrono::seconds(20)));
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + admin_}, {"X-Request-Id", "export-jsonl"}};
  HttpResult jsonl = server_->client().Send("GET", "/api/audit/export?format=jsonl", "", headers);
  ASSERT_EQ(jsonl.status, 200) << jsonl.body;
  EXPECT_EQ(jsonl.Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(jsonl.Header("Content-Type"), "application/jsonl");
  EXPECT_TRUE(absl::StartsWith(jsonl.Header("Content-Disposition"), "attachment; filename=\"audit-"));
  ASSERT_TRUE(jsonl.complete);
  std::vector<std::string> lines = absl::StrSplit(jsonl.body, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(json::parse(lines[0])["filter"], json({{"tenant_id", tenant_}})) << "scoped to the admin's tenant";
  for (size_t i = 1; i + 1 < lines.size(); ++i) EXPECT_EQ(json::parse(lines[i])["record"]["tenant_id"], tenant_);

  TempDir dir;
  std::string key_file = dir.Write("key.json", server_->client().Get("/api/audit/public-key").body);
  std::string bundle = dir.Write("acme.jsonl", jsonl.body);
  CommandResult ok = RunCommand({TF_TRUSTCTL_PATH, "audit", "verify", "--quiet", "--bundle", bundle, "--public-key", key_file});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_TRUE(absl::StartsWith(ok.out, "OK: " + std::to_string(lines.size() - 2) + " records verified")) << ok.out;
  // The reference verifier of docs/, which shares no code with trustd, agrees.
  std::string verifier_key = json::parse(server_->client().Get("/api/audit/public-key").body)["verifier_key"];
  const std::string reference = std::string(TF_SOURCE_DIR) + "/docs/verify_audit_bundle.py";
  CommandResult independent = RunCommand({"/usr/bin/python3", reference, "--public-key", verifier_key, bundle});
  EXPECT_EQ(independent.exit_code, 0) << independent.out << independent.err;
  EXPECT_TRUE(absl::StartsWith(independent.out, "OK: " + std::to_string(lines.size() - 2) + " records"))
      << independent.out;

  // An edited record is found, and named.
  json edited = json::parse(lines[1]);
  edited["record"]["status"] = 500;
  lines[1] = edited.dump();
  std::string tampered = dir.Write("tampered.jsonl", absl::StrJoin(lines, "\n") + "\n");
  CommandResult bad = RunCommand({TF_TRUSTCTL_PATH, "audit", "verify", "--quiet", "--bundle", tampered, "--public-key", key_file});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.out, "TAMPERED: modified at leaf index " +
                                             std::to_string(edited["record"]["leaf_index"].get<int64_t>())))
      << bad.out;
  CommandResult independent_bad = RunCommand({"/usr/bin/python3", reference, "--public-key", verifier_key, tampered});
  EXPECT_EQ(independent_bad.exit_code, 2) << independent_bad.out << independent_bad.err;
  EXPECT_TRUE(absl::StrContains(independent_bad.out, "TAMPERED: modified at leaf index")) << independent_bad.out;

  // The whole trail, as a platform operator exports it in one JSON document.
  HttpResult whole = server_->client().Get("/api/audit/export?format=json", root_);
  ASSERT_EQ(whole.status, 200);
  ASSERT_TRUE(whole.complete);
  EXPECT_TRUE(json::parse(whole.body)["filter"].empty());
  std::string whole_file = dir.Write("whole.json", whole.body);
  CommandResult all = RunCommand({TF_TRUSTCTL_PATH, "audit", "verify", "--quiet", "--bundle", whole_file, "--public-key", verifier_key});
  EXPECT_EQ(all.exit_code, 0) << all.out << all.err;

  // The export is recorded as one, with how many records left.
  json request = RecordOf("export-jsonl");
  ASSERT_TRUE(request.is_object());
  EXPECT_EQ(request["action"], "EXPORT");
  HttpResult events = server_->client().Get("/api/audit/logs?kind=event&action=EXPORT&request_id=export-jsonl", root_);
  ASSERT_EQ(events.Json()["items"].size(), 1u) << events.body;
  json event = events.Json()["items"][0];
  EXPECT_EQ(event["event_type"], "audit.exported");
  EXPECT_EQ(event["tenant_id"], tenant_);
  EXPECT_EQ(event["details"]["records"], static_cast<int64_t>(lines.size() - 2));
  EXPECT_EQ(event["details"]["complete"], true);
}

TEST_F(AuditTest, ACsvExportIsForSpreadsheetsAndExportsAreGuarded) {
  ASSERT_TRUE(WaitFor([&] { return server_->client().Get("/api/audit/checkpoints/latest", admin_).status == 200; },
                      std::chrono::seconds(20)));
  HttpResult csv = server_->client().Get("/api/audit/export?format=csv&action=READ", admin_);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  std::vector<std::string> rows = absl::StrSplit(csv.body, "\r\n", absl::SkipEmpty());
  ASSERT_GE(rows.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(rows[0], "leaf_index,id,time,tenant_id,"));
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_TRUE(absl::StrContains(rows[i], ",READ,")) << rows[i];

  auto c = server_->client();
  EXPECT_EQ(c.Get("/api/audit/export?format=xml", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/export?from=yesterday", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/export", viewer_).status, 403);
  EXPECT_EQ(c.Get("/api/audit/export").status, 401);
}

TEST_F(AuditTest, AnAdminSetsTheTenantsRetentionAndPrunesByIt) {
  auto c = server_->client();
  std::string path = "/api/tenants/" + tenant_ + "/audit-retention";
  HttpResult none = c.Get(path, admin_);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(none.Json()["retention_days"].is_null()) << "kept forever until a policy is set";
  EXPECT_EQ(c.Send("POST", path + "/prune", "", {{"Authorization", "Bearer " + admin_}}).status, 409);

  auto put = [&](const std::string& body, const std::string& token) {
    return c.Send("PUT", path, body, {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  };
  EXPECT_EQ(put(R"({"retention_days":29})", admin_).status, 422);
  EXPECT_EQ(put(R"({"retention_days":"a year"})", admin_).status, 400);
  EXPECT_EQ(put(R"({"retention_days":365,"extra":1})", admin_).status, 400);
  EXPECT_EQ(put("{}", admin_).status, 422);
  EXPECT_EQ(put(R"({"retention_days":365})", viewer_).status, 403);
  HttpResult set = put(R"({"retention_days":400})", admin_);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.Json()["retention_days"], 400);
  EXPECT_EQ(set.Json()["min_days"], 30);
  EXPECT_EQ(c.Get(path, admin_).Json()["retention_days"], 400);

  HttpResult pruned = c.Send("POST", path + "/prune", "", {{"Authorization", "Bearer " + admin_}});
  ASSERT_EQ(pruned.status, 200) << pruned.body;
  EXPECT_EQ(pruned.Json()["pruned"], 0) << "nothing is 400 days old yet";

  HttpResult events = c.Get("/api/audit/logs?kind=event&action=UPDATE&resource_type=tenant", admin_);
  ASSERT_EQ(events.status, 200);
  bool recorded = false;
  json items = events.Json()["items"];
  for (const json& e : items) {
    if (e.value("event_type", "") == "audit.retention_updated" && e["details"].value("after", 0) == 400) {
      recorded = true;
    }
  }
  EXPECT_TRUE(recorded) << events.body;

  // Another tenant's policy is out of the admin's reach, as if it did not exist.
  json me = c.Get("/api/auth/me", root_).Json();
  std::string other = "/api/tenants/" + me["tenant_id"].get<std::string>() + "/audit-retention";
  EXPECT_EQ(c.Get(other, admin_).status, 404);
  EXPECT_EQ(c.Send("DELETE", path, "", {{"Authorization", "Bearer " + admin_}}).status, 204);
  EXPECT_TRUE(c.Get(path, admin_).Json()["retention_days"].is_null());
}

TEST_F(AuditTest, BadQueriesAreRefusedClearly) {
  auto c = server_->client();
  EXPECT_EQ(c.Get("/api/audit/logs?status=99", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/logs?outcome=maybe", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/logs?from=yesterday", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/logs?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/logs?cursor=bm90LWEtY3Vyc29y", admin_).status, 400);
  EXPECT_EQ(c.Get("/api/audit/logs/not-a-uuid", admin_).status, 404);
  EXPECT_EQ(c.Get("/api/audit/proof/inclusion?leaf_index=abc&tree_size=1", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/proof/inclusion?leaf_index=5&tree_size=5", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/proof/inclusion?leaf_index=0&tree_size=900000000", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/proof/consistency?first=3&second=2", admin_).status, 422);
  EXPECT_EQ(c.Get("/api/audit/checkpoints?cursor=!!", admin_).status, 400);
  EXPECT_EQ(c.Get("/api/audit/stats?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", admin_).status, 422);
  HttpResult stats = c.Get("/api/audit/stats", admin_);
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_GT(stats.Json()["total"].get<int64_t>(), 0);
  EXPECT_FALSE(stats.Json()["by_day"].empty());
  HttpResult problem = c.Get("/api/audit/proof/consistency?first=1", admin_);
  EXPECT_EQ(problem.Header("Content-Type"), "application/problem+json");
}

}  // namespace
}  // namespace tf::testing
