// The secret inventory against a real trustd: the contract scripts rely on (register, list,
// rotate, what is due), values served to API tokens only with caching headers, the previous
// value through the grace period, tenants walled off, bad input refused, and values never in a
// response but the fetch, the audit trail, the log or the store's bytes (the SQLite file or a
// pg_dump of PostgreSQL); and KEK and data key rotations (by trustctl, another process) while
// clients read and write without pause: no request fails, every value stays readable and is
// re-encrypted, and the old KEK and data key versions are retired.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <string>

#include "core/crypto.h"
#include "modules/secrets/data_keys.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

using nlohmann::json;

constexpr char kValue[] = "sup3r-Secret-partner-value-7f1c";
constexpr char kNextValue[] = "n3xt-Secret-partner-value-92ab";

class SecretsApiTest : public ::testing::Test {
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
    HttpResult u = c.PostJson("/api/users", {{"email", "admin@acme.example"}, {"password", kPassword},
                                             {"roles", {"ADMIN"}}, {"tenant_id", tenant_}},
                              root_);
    ASSERT_EQ(u.status, 201) << u.body;
    admin_ = server_->Login("admin@acme.example", kPassword);
    ASSERT_FALSE(admin_.empty());
    service_token_ = Token(admin_, {"secrets.fetch"});
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static std::string Token(const std::string& creator, const std::vector<std::string>& permissions) {
    HttpResult r = server_->client().PostJson("/api/auth/tokens", {{"name", "service"}, {"permissions", permissions}},
                                              creator);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.Json()["token"].get<std::string>() : "";
  }

  static HttpResult Fetch(const std::string& name, const std::string& token,
                          const std::map<std::string, std::string>& headers = {}) {
    std::map<std::string, std::string> h = headers;
    h["Authorization"] = "Bearer " + token;
    return server_->client().Send("GET", "/api/secrets/" + name, "", h);
  }

  //! The store's bytes: the SQLite file and its WAL, or a data-only pg_dump of every tenant's
  //! rows (as the platform scope, which row-level security lets see them all).
  static std::string StoreBytes() {
    std::string bytes;
    if (const TestDatabase* db = server_->Store()) {
      CommandResult dump = RunCommand({"/usr/bin/pg_dump", "--data-only", "--enable-row-security", db->migration_url()},
                                      "", {{"PGOPTIONS", "-c app.scope=platform"}});
      EXPECT_EQ(dump.exit_code, 0) << dump.err;
      bytes = dump.out;
    } else {
      std::string base = server_->data_dir() + "/data/trust.db";
      bytes = ReadFileBytes(base) + ReadFileBytes(base + "-wal");
    }
    EXPECT_NE(bytes.find("partner-api-key"), std::string::npos) << "the bytes hold the inventory";
    EXPECT_NE(bytes.find("tfenc:v1:"), std::string::npos) << "and the encrypted values";
    return bytes;
  }

  static TrustdProcess* server_;
  static std::string root_, admin_, tenant_, service_token_;
};

TrustdProcess* SecretsApiTest::server_ = nullptr;
std::string SecretsApiTest::root_, SecretsApiTest::admin_, SecretsApiTest::tenant_, SecretsApiTest::service_token_;

TEST_F(SecretsApiTest, TheContractScriptsRelyOn) {
  auto c = server_->client();
  HttpResult created = c.PostJson("/api/secrets",
                                  {{"name", "partner-api-key"},
                                   {"type", "API_KEY"},
                                   {"rotation_days", 5},
                                   {"grace_days", 2},
                                   {"managed", true},
                                   {"value", kValue},
                                   {"owner", "integrations-team"},
                                   {"tenant_id", tenant_}},
                                  root_);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body.find(kValue), std::string::npos) << "never echoed";
  json s = created.Json();
  EXPECT_EQ(s["name"], "partner-api-key");
  EXPECT_EQ(s["managed"], true);
  EXPECT_EQ(s["current_version"], 1);
  EXPECT_EQ(s["rotation_state"], "due") << "five days: inside the seven-day window";

  HttpResult list = c.Get("/api/secrets", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.Json()["items"].size(), 1u);
  EXPECT_TRUE(list.Json()["items"][0]["next_rotation_at"].is_string());
  EXPECT_EQ(list.body.find(kValue), std::string::npos);

  HttpResult due = c.Get("/api/security/secret-rotations/due?within=7d", admin_);
  ASSERT_EQ(due.status, 200) << due.body;
  ASSERT_EQ(due.Json()["items"].size(), 1u);
  EXPECT_EQ(due.Json()["items"][0]["name"], "partner-api-key");
  EXPECT_EQ(c.Get("/api/security/secret-rotations/due?within=2d", admin_).Json()["items"].size(), 0u);

  HttpResult fetched = Fetch("partner-api-key", service_token_);
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(fetched.Json()["value"], kValue);
  EXPECT_TRUE(fetched.Json()["previous"].is_null());
  std::string etag = fetched.Header("ETag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(fetched.Header("Cache-Control"), "private, max-age=60");
  HttpResult unchanged = Fetch("partner-api-key", service_token_, {{"If-None-Match", etag}});
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_EQ(unchanged.body.find(kValue), std::string::npos);

  HttpResult by_session = Fetch("partner-api-key", admin_);
  EXPECT_EQ(by_session.status, 403) << "values go to API tokens only: " << by_session.body;
  EXPECT_EQ(by_session.body.find(kValue), std::string::npos);

  HttpResult rotated = c.PostJson("/api/security/secret-rotations",
                                  {{"secret_name", "partner-api-key"},
                                   {"reason", "partner asked"},
                                   {"value", kNextValue},
                                   {"tenant_id", tenant_}},
                                  root_);
  ASSERT_EQ(rotated.status, 201) << rotated.body;
  json row = rotated.Json();
  EXPECT_EQ(row["status"], "ACTIVE");
  EXPECT_EQ(row["version"], 2);
  EXPECT_TRUE(row["previous_fingerprint"].get<std::string>().starts_with("hmac-sha256:"));
  EXPECT_EQ(rotated.body.find(kNextValue), std::string::npos);

  fetched = Fetch("partner-api-key", service_token_, {{"If-None-Match", etag}});
  ASSERT_EQ(fetched.status, 200) << "the ETag changed with the rotation";
  EXPECT_EQ(fetched.Json()["value"], kNextValue);
  EXPECT_EQ(fetched.Json()["previous"]["value"], kValue) << "valid through the grace period";

  HttpResult ledger = c.Get("/api/security/secret-rotations?secret_name=partner-api-key", admin_);
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  ASSERT_EQ(ledger.Json()["items"].size(), 2u);
  EXPECT_EQ(ledger.Json()["items"][0]["kind"], "manual");
  EXPECT_EQ(ledger.Json()["items"][1]["status"], "DEPRECATED");

  // An external secret: recorded, never held.
  HttpResult external = c.PostJson("/api/secrets",
                                   {{"name", "orders-db"},
                                    {"type", "DATABASE"},
                                    {"rotation_days", 90},
                                    {"managed", false},
                                    {"location", "vault:kv/orders"},
                                    {"tenant_id", tenant_}},
                                   root_);
  ASSERT_EQ(external.status, 201) << external.body;
  HttpResult recorded = c.PostJson("/api/security/secret-rotations",
                                   {{"secret_name", "orders-db"}, {"reason", "rotated in Vault"}, {"tenant_id", tenant_}},
                                   root_);
  ASSERT_EQ(recorded.status, 201) << recorded.body;
  EXPECT_EQ(recorded.Json()["kind"], "external");
  EXPECT_EQ(Fetch("orders-db", service_token_).status, 409);

  HttpResult status = c.Get("/api/security/encryption-status", admin_);
  ASSERT_EQ(status.status, 200) << status.body;
  json at_rest = status.Json()["at_rest"];
  bool found = false;
  for (const json& col : at_rest["columns"]) {
    if (col["table"] != "secret_versions") continue;
    found = true;
    EXPECT_EQ(col["values"], 2) << "both versions are valid during the grace period: " << col.dump();
    EXPECT_EQ(col["by_key_version"]["v1"], 2) << col.dump();
  }
  EXPECT_TRUE(found) << status.body;
  EXPECT_EQ(at_rest["data_keys"]["latest_version"], 1);
  EXPECT_EQ(status.Json()["in_transit"]["tls"], false);
  EXPECT_EQ(status.Json()["key_management"]["provider"], "local");
  EXPECT_EQ(status.Json()["key_management"]["rewrap"]["scope"], "tenant") << "tenants see their own keys only";
  EXPECT_EQ(status.Json()["key_management"]["rewrap"]["progress"], 1.0);
  EXPECT_EQ(c.Get("/api/security/encryption-status?tenant_id=" + std::string(36, 'f'), admin_).status, 404);

  // Everything here was recorded; no value was.
  HttpResult events = c.Get("/api/audit/logs?kind=event&resource_type=secret&limit=500", root_);
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_GE(events.Json()["items"].size(), 4u);
  HttpResult requests = c.Get("/api/audit/logs?q=/api/secre&limit=500", root_);
  ASSERT_EQ(requests.status, 200);
  EXPECT_GE(requests.Json()["items"].size(), 6u) << "reads of values are recorded too";
  for (const HttpResult* r : {&events, &requests}) {
    EXPECT_EQ(r->body.find(kValue), std::string::npos);
    EXPECT_EQ(r->body.find(kNextValue), std::string::npos);
  }
  std::string log = server_->Log();
  EXPECT_EQ(log.find(kValue), std::string::npos);
  EXPECT_EQ(log.find(kNextValue), std::string::npos);
  std::string bytes = StoreBytes();
  EXPECT_EQ(bytes.find(kValue), std::string::npos) << "values are stored encrypted";
  EXPECT_EQ(bytes.find(kNextValue), std::string::npos);
}

TEST_F(SecretsApiTest, TenantsAreWalledOffAndOnlyPlatformOperatorsChangeTheInventory) {
  auto c = server_->client();
  HttpResult other = c.PostJson("/api/tenants", {{"slug", "globex"}, {"name", "Globex"}}, root_);
  ASSERT_EQ(other.status, 201);
  std::string globex = other.Json()["id"];
  ASSERT_EQ(c.PostJson("/api/secrets",
                       {{"name", "globex-hook"}, {"type", "WEBHOOK_SECRET"}, {"rotation_days", 30}, {"managed", true},
                        {"tenant_id", globex}},
                       root_)
                .status,
            201);
  EXPECT_EQ(Fetch("globex-hook", service_token_).status, 404) << "another tenant's name does not exist for Acme";
  HttpResult list = c.Get("/api/secrets?tenant_id=" + globex, admin_);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.Json()["items"].empty());
  EXPECT_EQ(c.Get("/api/security/secret-rotations?secret_name=globex-hook", admin_).Json()["items"].size(), 0u);
  EXPECT_EQ(c.PostJson("/api/security/secret-rotations", {{"secret_name", "globex-hook"}, {"reason", "x"}}, admin_).status,
            403)
      << "ADMIN sees their tenant's, never rotates";
  HttpResult platform = c.Get("/api/secrets?tenant_id=" + globex, root_);
  ASSERT_EQ(platform.Json()["items"].size(), 1u);
  EXPECT_EQ(platform.Json()["items"][0]["generated"], true);
}

TEST_F(SecretsApiTest, BadInputIsRefusedClearlyAndChangesNothing) {
  auto c = server_->client();
  struct Case {
    std::string path;
    json body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"/api/secrets", {{"name", "x"}, {"type", "API_KEY"}}, 422, "rotation_days"},
      {"/api/secrets", {{"name", "bad name"}, {"type", "API_KEY"}, {"rotation_days", 30}}, 422, "name"},
      {"/api/secrets", {{"name", "x"}, {"type", "api_key"}, {"rotation_days", 30}}, 422, "type"},
      {"/api/secrets", {{"name", "x"}, {"type", "API_KEY"}, {"rotation_days", 30}, {"grace_days", 30}}, 422,
       "grace_days"},
      {"/api/secrets", {{"name", "x"}, {"type", "API_KEY"}, {"rotation_days", 30}, {"value", "v"}}, 422, "value"},
      {"/api/secrets", {{"name", "x"}, {"type", "API_KEY"}, {"rotation_days", "30"}}, 400, ""},
      {"/api/secrets", {{"name", "x"}, {"type", "API_KEY"}, {"rotation_days", 30}, {"colour", "red"}}, 400, ""},
      {"/api/security/secret-rotations", {{"secret_name", "nope"}}, 422, "reason"},
      {"/api/security/secret-rotations", {{"secret_name", "nope"}, {"reason", "r"}, {"result", "maybe"}}, 422, "result"},
      {"/api/security/secret-rotations", {{"secret_name", "nope"}, {"reason", "r"}, {"metadata", "x"}}, 400, ""},
  };
  for (const Case& k : cases) {
    HttpResult r = c.PostJson(k.path, k.body, root_);
    EXPECT_EQ(r.status, k.status) << k.body.dump() << ": " << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
    if (!k.field.empty()) {
      EXPECT_NE(r.body.find("\"field\":\"" + k.field + "\""), std::string::npos) << r.body;
    }
  }
  for (const char* q : {"within=7", "within=-1d", "within=400d", "within=d", "within=7w"}) {
    HttpResult r = c.Get(std::string("/api/security/secret-rotations/due?") + q, root_);
    EXPECT_EQ(r.status, 422) << q << ": " << r.body;
  }
  EXPECT_EQ(c.Get("/api/secrets?state=late", root_).status, 422);
  EXPECT_EQ(c.Get("/api/secrets?managed=yes", root_).status, 422);
  EXPECT_EQ(c.Get("/api/security/secret-rotations/due?cursor=" + std::string(20, 'A'), root_).status, 400);
  HttpResult list = c.Get("/api/secrets?q=x&limit=500", root_);
  ASSERT_EQ(list.status, 200);
  json items = list.Json()["items"];
  for (const json& s : items) EXPECT_NE(s["name"], "x") << "nothing was stored";
}

TEST_F(SecretsApiTest, KeysRotateUnderLoadWithoutAFailedRequest) {
  auto c = server_->client();
  HttpResult other = c.PostJson("/api/tenants", {{"slug", "initech"}, {"name", "Initech"}}, root_);
  ASSERT_EQ(other.status, 201);
  std::string tenant = other.Json()["id"];
  HttpResult u = c.PostJson("/api/users", {{"email", "admin@initech.example"}, {"password", kPassword},
                                           {"roles", {"ADMIN"}}, {"tenant_id", tenant}},
                            root_);
  ASSERT_EQ(u.status, 201);
  std::string token = Token(server_->Login("admin@initech.example", kPassword), {"secrets.fetch"});
  constexpr int kSecrets = 6;
  for (int i = 0; i < kSecrets; ++i) {
    ASSERT_EQ(c.PostJson("/api/secrets", {{"name", "load-" + std::to_string(i)}, {"type", "API_KEY"},
                                          {"rotation_days", 30}, {"grace_days", 1}, {"managed", true},
                                          {"tenant_id", tenant}},
                         root_)
                  .status,
              201);
  }

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, writes{0}, failures{0};
  std::string first_failure;
  std::mutex failure_mu;
  auto fail = [&](const HttpResult& r, const std::string& what) {
    ++failures;
    std::lock_guard lock(failure_mu);
    if (first_failure.empty()) first_failure = what + ": " + std::to_string(r.status) + " " + r.body;
  };
  std::vector<std::thread> clients;
  for (int t = 0; t < 2; ++t) {
    clients.emplace_back([&, t] {
      for (int i = t; !stop; ++i) {
        std::string name = "load-" + std::to_string(i % kSecrets);
        HttpResult r = Fetch(name, token);
        if (r.status != 200 || r.Json()["value"].get<std::string>().empty()) fail(r, "fetch " + name);
        ++reads;
      }
    });
  }
  clients.emplace_back([&] {
    for (int i = 0; !stop; ++i) {
      std::string name = "load-" + std::to_string(i % kSecrets);
      HttpResult r = server_->client().PostJson(
          "/api/security/secret-rotations", {{"secret_name", name}, {"reason", "load"}, {"tenant_id", tenant}}, root_);
      if (r.status != 201) fail(r, "rotate " + name);
      ++writes;
    }
  });

  auto trustctl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {TF_TRUSTCTL_PATH, "--data-dir", server_->data_dir() + "/data"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, "", server_->DatabaseEnv());
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CommandResult kek = trustctl({"keys", "rotate"});
  EXPECT_EQ(kek.exit_code, 0) << kek.err;
  CommandResult dek = trustctl({"keys", "rotate", "--tenant", tenant});
  EXPECT_EQ(dek.exit_code, 0) << dek.err;
  // The new version and its audit record committed together.
  json rotated = c.Get("/api/audit/logs?kind=event&resource_type=data_key&resource_id=" + tenant, root_).Json();
  ASSERT_EQ(rotated["items"].size(), 1u) << rotated.dump();
  EXPECT_EQ(rotated["items"][0]["event_type"], "key.rotated");
  EXPECT_EQ(rotated["items"][0]["details"]["version"], 2);
  // Long enough for every instance to write under the new data key version (trustd checks
  // every 5 s, and trustctl retires nothing sooner).
  std::this_thread::sleep_for(secrets::DataKeys::kSettleTime + std::chrono::seconds(1));
  CommandResult rewrap = trustctl({"keys", "rewrap", "--retire"});
  EXPECT_EQ(rewrap.exit_code, 0) << rewrap.err;
  CommandResult reencrypt = trustctl({"keys", "reencrypt", "--tenant", tenant, "--retire"});
  EXPECT_EQ(reencrypt.exit_code, 0) << reencrypt.err;
  EXPECT_NE(reencrypt.out.find("older versions retired"), std::string::npos) << reencrypt.out;
  // Long enough for trustd to notice the retirement, still under load.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  stop = true;
  for (std::thread& t : clients) t.join();

  EXPECT_EQ(failures, 0) << first_failure;
  EXPECT_GT(reads, 20);
  EXPECT_GT(writes, 5);
  for (int i = 0; i < kSecrets; ++i) {
    HttpResult r = Fetch("load-" + std::to_string(i), token);
    EXPECT_EQ(r.status, 200) << "every value is still readable: " << r.body;
  }
  HttpResult status = c.Get("/api/security/encryption-status?tenant_id=" + tenant, root_);
  ASSERT_EQ(status.status, 200);
  json km = status.Json()["key_management"];
  EXPECT_EQ(km["kek_latest_version"], 2);
  EXPECT_EQ(km["kek_min_decryption_version"], 2) << "the old KEK version is retired";
  EXPECT_EQ(km["rewrap"]["progress"], 1.0) << km.dump();
  json at_rest = status.Json()["at_rest"];
  EXPECT_EQ(at_rest["data_keys"]["latest_version"], 2);
  EXPECT_EQ(at_rest["data_keys"]["min_decryption_version"], 2) << "the old data key version is retired";
  for (const json& col : at_rest["columns"]) {
    if (col["table"] == "secret_versions") {
      EXPECT_EQ(col["by_key_version"], json({{"v2", col["values"]}})) << "every value is under v2: " << col.dump();
    }
  }
}

}  // namespace
}  // namespace tf::testing
