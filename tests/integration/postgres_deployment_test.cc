// trustd on PostgreSQL as a firm runs it: two instances on one database (no write lost, the
// scheduler lease fails over when its holder is killed), the database stopped mid-run (503
// problem+json, unready, and service back without restarting trustd), and start-up refusals
// for roles that could bypass row-level security or a schema that is not current.
// Run by ctest's integration_postgres only (each test makes PostgreSQL databases of its own).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/strings.h"
#include "support/test_database.h"
#include "support/trustd_process.h"
#include "support/wait.h"

namespace tf::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using tf::StrCat;

std::unique_ptr<TestDatabase> FreshDatabase() {
  auto db = TestDatabase::Create(Backend::kPostgres, SystemClock::Instance(), {});
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

//! A trustd on `db` and the personal-data key store `keys`, with a short scheduler lease, so
//! failover fits in a test.
std::unique_ptr<TrustdProcess> Instance(const TestDatabase& db, const TestDatabase& keys) {
  TrustdProcess::Options o;
  o.database = &db;
  o.key_store = &keys;
  // Instances sharing a database share the KEK too.
  o.env = {{"TRUST_DATABASE_LEASE_TTL_MS", "2000"},
           {"TRUST_LOG_ACCESS_LOG", "false"},
           {"TRUST_SECRETS_KEK", "c2hhcmVkLWtlay1vZi10aGUtdHdvLWluc3RhbmNlcyE="}};
  return std::make_unique<TrustdProcess>(o);
}

//! The scheduler lease as /health/detailed of `p` reports it (null when there is none).
json SchedulerLease(const TrustdProcess& p, const std::string& token) {
  HttpResult r = p.client().Get("/health/detailed", token);
  if (r.status != 200) return nullptr;
  json body = r.Json();
  for (const json& l : body["leases"]) {
    if (l["name"] == "scheduler" && !l["expired"].get<bool>()) return l;
  }
  return nullptr;
}

TEST(PostgresDeploymentTest, TwoInstancesShareOneDatabaseAndTheLeaseFailsOver) {
  auto db = FreshDatabase();
  auto keys = FreshDatabase();
  ASSERT_NE(db, nullptr);
  ASSERT_NE(keys, nullptr);
  auto a = Instance(*db, *keys);
  auto b = Instance(*db, *keys);
  std::string error;
  ASSERT_TRUE(a->Start(&error)) << error;  // migrates the empty database as the owner
  ASSERT_TRUE(b->Start(&error)) << error;
  ASSERT_EQ(a->Bootstrap(kRootEmail, kPassword).exit_code, 0);
  std::string token_a = a->Login(kRootEmail, kPassword);
  std::string token_b = b->Login(kRootEmail, kPassword);  // a session made through a works on b
  ASSERT_FALSE(token_a.empty());
  ASSERT_FALSE(token_b.empty()) << b->Log();
  EXPECT_EQ(b->client().Get("/api/auth/me", token_a).status, 200);

  // Concurrent writes through both instances: every one lands, none twice.
  HttpResult tenant = a->client().PostJson("/api/tenants", {{"slug", "northwind"}, {"name", "Northwind LLP"}}, token_a);
  ASSERT_EQ(tenant.status, 201) << tenant.body;
  std::string tenant_id = tenant.Json()["id"];
  constexpr int kPerInstance = 12;
  std::atomic<int> failures{0};
  auto create = [&](const TrustdProcess& p, const std::string& token, const std::string& tag) {
    for (int i = 0; i < kPerInstance; ++i) {
      HttpResult r = p.client().PostJson("/api/users",
                                         {{"email", StrCat(tag, "-", i, "@northwind.example")},
                                          {"password", kPassword},
                                          {"roles", {"VIEWER"}},
                                          {"tenant_id", tenant_id}},
                                         token);
      if (r.status != 201) {
        ADD_FAILURE() << tag << " " << i << ": " << r.status << " " << r.body;
        failures++;
      }
    }
  };
  std::thread ta([&] { create(*a, token_a, "a"); });
  std::thread tb([&] { create(*b, token_b, "b"); });
  ta.join();
  tb.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> emails;
  for (const TrustdProcess* p : {a.get(), b.get()}) {
    HttpResult list = p->client().Get(StrCat("/api/users?tenant_id=", tenant_id, "&limit=500"),
                                      p == a.get() ? token_a : token_b);
    ASSERT_EQ(list.status, 200) << list.body;
    json items = list.Json()["items"];
    EXPECT_EQ(items.size(), 2u * kPerInstance);
    for (const json& u : items) emails.insert(u["email"].get<std::string>());
  }
  EXPECT_EQ(emails.size(), 2u * kPerInstance);

  // Exactly one instance holds the scheduler lease; both report the same holder.
  json lease;
  ASSERT_TRUE(WaitFor([&] { return !(lease = SchedulerLease(*a, token_a)).is_null(); }, seconds(10)))
      << a->client().Get("/health/detailed", token_a).body;
  json seen_by_b = SchedulerLease(*b, token_b);
  ASSERT_FALSE(seen_by_b.is_null());
  EXPECT_EQ(lease["holder"], seen_by_b["holder"]);
  EXPECT_NE(lease["held_by_this_instance"], seen_by_b["held_by_this_instance"]);

  // Kill the holder outright (no graceful release): the survivor takes over within the
  // lease's 2 s plus a poll.
  bool a_holds = lease["held_by_this_instance"].get<bool>();
  TrustdProcess& holder = a_holds ? *a : *b;
  TrustdProcess& survivor = a_holds ? *b : *a;
  const std::string& survivor_token = a_holds ? token_b : token_a;
  std::string old_holder = lease["holder"];
  auto killed_at = std::chrono::steady_clock::now();
  holder.Kill();
  ASSERT_TRUE(WaitFor(
      [&] {
        json l = SchedulerLease(survivor, survivor_token);
        return !l.is_null() && l["held_by_this_instance"].get<bool>();
      },
      seconds(15)))
      << "the survivor never took the scheduler lease";
  auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed_at);
  EXPECT_LT(took, milliseconds(2000 + 1000 + 1500)) << took.count() << " ms";
  json now_held = SchedulerLease(survivor, survivor_token);
  EXPECT_NE(now_held["holder"], old_holder);
  EXPECT_EQ(survivor.client().Get("/api/auth/me", survivor_token).status, 200);
}

// The data keys in a shared database unwrap only under the KEK that made them: an instance
// given another KEK refuses to start, saying so, rather than failing requests.
TEST(PostgresDeploymentTest, AnInstanceWithAnotherKekRefusesToStart) {
  auto db = FreshDatabase();
  auto keys = FreshDatabase();
  ASSERT_NE(db, nullptr);
  ASSERT_NE(keys, nullptr);
  auto first = Instance(*db, *keys);
  std::string error;
  ASSERT_TRUE(first->Start(&error)) << error;
  TrustdProcess::Options o;
  o.database = db.get();
  o.key_store = keys.get();
  o.env = {{"TRUST_SECRETS_KEK", "YW5vdGhlci1rZWstYWx0b2dldGhlci1kaWZmZXJlbnQ="}};
  TrustdProcess other(o);
  EXPECT_FALSE(other.Start(&error));
  EXPECT_TRUE(absl::StrContains(error, "every trustd sharing a database needs the same KEK")) << error;
}

//! A PostgreSQL server of this test's own, so stopping it disturbs no other test.
class PostgresOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* shared = std::getenv("TF_TEST_PG_STATE");
    if (shared) shared_state_ = shared;
    state_ = (std::filesystem::temp_directory_path() / StrCat("tf-pg-outage-it-", getpid())).string();
    ASSERT_EQ(Script("start"), 0);
    setenv("TF_TEST_PG_STATE", state_.c_str(), 1);
    db_ = FreshDatabase();
    keys_ = FreshDatabase();
  }
  void TearDown() override {
    trustd_.reset();
    db_.reset();
    keys_.reset();
    Script("stop");
    std::filesystem::remove_all(state_);
    if (!shared_state_.empty()) setenv("TF_TEST_PG_STATE", shared_state_.c_str(), 1);
  }
  int Script(const std::string& command) {
    return std::system(StrCat(TF_SOURCE_DIR, "/scripts/pg-test-server.sh ", command, " ", state_, " >/dev/null").c_str());
  }

  std::string state_, shared_state_;
  std::unique_ptr<TestDatabase> db_, keys_;
  std::unique_ptr<TrustdProcess> trustd_;
};

TEST_F(PostgresOutageTest, DatabaseDownAnswers503AndServiceResumesWithoutARestart) {
  ASSERT_NE(db_, nullptr);
  trustd_ = Instance(*db_, *keys_);
  std::string error;
  ASSERT_TRUE(trustd_->Start(&error)) << error;
  ASSERT_EQ(trustd_->Bootstrap(kRootEmail, kPassword).exit_code, 0);
  std::string token = trustd_->Login(kRootEmail, kPassword);
  ASSERT_FALSE(token.empty());
  HttpClient c = trustd_->client();
  ASSERT_EQ(c.Get("/health/ready").status, 200);

  ASSERT_EQ(Script("pause"), 0);
  HttpResult me = c.Get("/api/auth/me", token);
  EXPECT_EQ(me.status, 503) << me.body;
  EXPECT_TRUE(absl::StrContains(me.Header("Content-Type"), "application/problem+json")) << me.Header("Content-Type");
  EXPECT_EQ(me.Json()["status"], 503);
  EXPECT_EQ(me.Json()["detail"], "the database is unavailable; try again shortly") << me.body;
  EXPECT_FALSE(absl::StrContains(me.body, "127.0.0.1")) << "no connection details in the answer";
  HttpResult login = c.PostJson("/api/auth/login", {{"email", kRootEmail}, {"password", kPassword}});
  EXPECT_EQ(login.status, 503) << login.body;
  HttpResult ready = c.Get("/health/ready");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(ready.Json()["checks"]["database"]["status"], "failing");
  EXPECT_EQ(c.Get("/health").status, 200) << "liveness does not depend on the database";

  ASSERT_EQ(Script("resume"), 0);
  EXPECT_TRUE(WaitFor([&] { return c.Get("/health/ready").status == 200; }, seconds(10)));
  EXPECT_EQ(c.Get("/api/auth/me", token).status, 200);
  EXPECT_FALSE(trustd_->Login(kRootEmail, kPassword).empty());
}

TEST(PostgresStartupTest, RolesThatCouldBypassRowLevelSecurityAreRefused) {
  auto db = TestDatabase::Create(Backend::kPostgres, SystemClock::Instance());  // migrated, secured
  ASSERT_TRUE(db.ok()) << db.status();
  auto server = TestPgServer();
  ASSERT_TRUE(server.ok());
  auto keys = FreshDatabase();
  ASSERT_NE(keys, nullptr);
  struct Case {
    std::string url;
    std::string expected;
  };
  for (const Case& c : {Case{(*db)->migration_url(), "owns table"},
                        Case{StrCat(server->admin_url, "/", (*db)->name()), "superuser"}}) {
    TempDir dir;
    CommandResult r = RunCommand({TF_TRUSTD_PATH, "--listen", "127.0.0.1:0", "--data-dir", dir.path()}, "",
                                 {{"TRUST_DATABASE_URL", c.url},
                                  {"TRUST_SECRETS_SUBJECT_KEYS_URL", keys->url()},
                                  {"TRUST_SECRETS_SUBJECT_KEYS_MIGRATION_URL", keys->migration_url()}});
    EXPECT_NE(r.exit_code, 0) << c.expected;
    EXPECT_TRUE(absl::StrContains(r.err, c.expected)) << r.err;
    EXPECT_FALSE(absl::StrContains(r.err + r.out, c.url)) << "the URL, with its password, is not echoed";
  }
}

TEST(PostgresStartupTest, WithoutAMigrationUrlTheSchemaMustBeCurrentAndTrustctlMigratesIt) {
  auto db = FreshDatabase();
  auto keys = FreshDatabase();
  ASSERT_NE(db, nullptr);
  ASSERT_NE(keys, nullptr);
  TempDir dir;
  std::vector<std::pair<std::string, std::string>> serving = {{"TRUST_DATABASE_URL", db->url()},
                                                              {"TRUST_SECRETS_SUBJECT_KEYS_URL", keys->url()}};
  CommandResult refused = RunCommand({TF_TRUSTD_PATH, "--listen", "127.0.0.1:0", "--data-dir", dir.path()}, "", serving);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(refused.err, "trustctl db migrate")) << refused.err;

  auto both = serving;
  both.emplace_back("TRUST_DATABASE_MIGRATION_URL", db->migration_url());
  both.emplace_back("TRUST_SECRETS_SUBJECT_KEYS_MIGRATION_URL", keys->migration_url());
  CommandResult migrate = RunCommand({TF_TRUSTCTL_PATH, "--data-dir", dir.path(), "db", "migrate"}, "", both);
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  EXPECT_TRUE(absl::StrContains(migrate.out, "applied ")) << migrate.out;
  CommandResult status = RunCommand({TF_TRUSTCTL_PATH, "--data-dir", dir.path(), "db", "status"}, "", serving);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(absl::StrContains(status.out, "pending: 0")) << status.out;
  EXPECT_TRUE(absl::StrContains(status.out, "ready to serve: yes")) << status.out;
  EXPECT_TRUE(absl::StrContains(status.out, "postgresql://tf_app@127.0.0.1:")) << status.out;

  TrustdProcess::Options o;
  o.database = db.get();
  o.key_store = keys.get();
  o.env = {{"TRUST_DATABASE_MIGRATION_URL", ""}, {"TRUST_SECRETS_SUBJECT_KEYS_MIGRATION_URL", ""}};
  TrustdProcess trustd(o);
  std::string error;
  EXPECT_TRUE(trustd.Start(&error)) << error;
}

}  // namespace
}  // namespace tf::testing
