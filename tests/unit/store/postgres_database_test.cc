// PostgreSQL-only behaviour of the store, against the test run's real server: row-level
// security as a second wall behind the repos' tenant filters, the serving-role check, the
// bounded pool, serialization failures, and outages (a server of the test's own, stopped and
// started again). Plus the pure SQL helpers.

#include "store/postgres/postgres_database.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "core/status.h"
#include "core/strings.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_sql.h"
#include "support/test_database.h"
#include "support/wait.h"

namespace tf::store {
namespace {

using tf::testing::Backend;
using tf::testing::TestDatabase;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// SQL helpers

TEST(PgSqlTest, PlaceholdersAreNumberedOutsideLiteralsIdentifiersAndComments) {
  int n = 0;
  EXPECT_EQ(RewritePlaceholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)", &n),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(RewritePlaceholders("SELECT '?', 'it''s ?', \"odd?col\" FROM t WHERE x = ?", &n),
            "SELECT '?', 'it''s ?', \"odd?col\" FROM t WHERE x = $1");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(RewritePlaceholders("SELECT 1 -- why?\nFROM t /* a ? b */ WHERE y = ?", &n),
            "SELECT 1 -- why?\nFROM t /* a ? b */ WHERE y = $1");
  EXPECT_EQ(n, 1);
  EXPECT_EQ(RewritePlaceholders("SELECT 1", &n), "SELECT 1");
  EXPECT_EQ(n, 0);
  // Unterminated literals and comments are copied as they are (PostgreSQL then refuses them).
  EXPECT_EQ(RewritePlaceholders("SELECT 'open ?", &n), "SELECT 'open ?");
  EXPECT_EQ(RewritePlaceholders("SELECT 1 /* open ?", &n), "SELECT 1 /* open ?");
}

TEST(PgSqlTest, BeginStatementSetsIsolationModeAndScope) {
  auto quote = [](std::string_view s) { return StrCat("'", s, "'"); };
  EXPECT_EQ(BeginStatement(ReadTx(), quote),
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL app.scope = 'platform'; "
            "SET LOCAL app.tenant_id = ''");
  EXPECT_EQ(BeginStatement(WriteTx("t-1"), quote),
            "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE; SET LOCAL app.scope = 'tenant'; "
            "SET LOCAL app.tenant_id = 't-1'");
  TxOptions rc = WriteTx("t-2");
  rc.isolation = Isolation::kReadCommitted;
  EXPECT_EQ(BeginStatement(rc, quote),
            "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SET LOCAL app.scope = 'tenant'; "
            "SET LOCAL app.tenant_id = 't-2'");
  EXPECT_EQ(BeginStatement(WriteTx().LazyCommit(), quote),
            "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE; SET LOCAL synchronous_commit = off; "
            "SET LOCAL app.scope = 'platform'; SET LOCAL app.tenant_id = ''");
}

TEST(PgSqlTest, DescriptionsNeverCarryThePassword) {
  EXPECT_EQ(DescribePostgresUrl("postgresql://app:s3cret-pw@db.internal:5433/trust?sslmode=require"),
            "postgresql://app@db.internal:5433/trust");
  EXPECT_EQ(DescribePostgresUrl("host=10.0.0.5 user=app password=s3cret-pw dbname=trust"),
            "postgresql://app@10.0.0.5/trust");
  EXPECT_EQ(DescribePostgresUrl("postgresql://%zz"), "postgresql://(unparsable URL)");
}

// ---------------------------------------------------------------------------------------------
// Against the test run's server

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TestDatabase::Create(Backend::kPostgres, SystemClock::Instance());
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = std::move(*temp);
    // Two tenants with a user each, written at platform scope.
    ASSERT_TRUE(temp_->db()
                    .InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
                      for (const char* t : {"ta", "tb"}) {
                        TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO tenants (id, slug, name, data_region, status, "
                                                   "created_at, updated_at) VALUES (?, ?, ?, 'us', 'active', 0, 0)",
                                                   {std::string(t), std::string(t), std::string(t)})
                                               .status());
                        TF_RETURN_IF_ERROR(InsertUser(tx, StrCat("u-", t), t));
                      }
                      return absl::OkStatus();
                    })
                    .ok());
  }

  static absl::Status InsertUser(Transaction& tx, const std::string& id, const std::string& tenant) {
    return tx.Exec("INSERT INTO users (id, tenant_id, email, display_name, password_hash, roles, status, "
                   "must_change_password, password_changed_at, created_at, updated_at) "
                   "VALUES (?, ?, ?, '', 'x', 'VIEWER', 'active', 0, 0, 0, 0)",
                   {id, tenant, StrCat(id, "@example.test")})
        .status();
  }

  //! Every user id the transaction can see, with no tenant filter in the SQL.
  std::vector<std::string> VisibleUsers(const TxOptions& options) {
    std::vector<std::string> ids;
    auto rows = temp_->db().InTx(options, [](Transaction& tx) { return tx.Query("SELECT id FROM users ORDER BY id"); });
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (rows.ok()) {
      for (const Row& r : *rows) ids.push_back(r.Text(0));
    }
    return ids;
  }

  std::unique_ptr<TestDatabase> temp_;
};

TEST_F(PostgresTest, UnfilteredQueriesSeeOnlyTheTransactionsTenant) {
  // A repo that forgot `WHERE tenant_id = ?` still reads only its caller's rows.
  EXPECT_EQ(VisibleUsers(ReadTx("ta")), std::vector<std::string>{"u-ta"});
  EXPECT_EQ(VisibleUsers(ReadTx("tb")), std::vector<std::string>{"u-tb"});
  EXPECT_EQ(VisibleUsers(ReadTx("no-such-tenant")), std::vector<std::string>{});
  // Platform-wide work sees every tenant.
  EXPECT_EQ(VisibleUsers(ReadTx()), (std::vector<std::string>{"u-ta", "u-tb"}));
}

TEST_F(PostgresTest, UnfilteredWritesTouchOnlyTheTransactionsTenant) {
  auto changed = temp_->db().InTx(WriteTx("ta"), [](Transaction& tx) {
    return tx.Exec("UPDATE users SET display_name = 'renamed'");
  });
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, 1);
  auto deleted = temp_->db().InTx(WriteTx("ta"), [](Transaction& tx) { return tx.Exec("DELETE FROM sessions"); });
  ASSERT_TRUE(deleted.ok());
  auto names = temp_->db().InTx(ReadTx(), [](Transaction& tx) {
    return tx.Query("SELECT id, display_name FROM users ORDER BY id");
  });
  ASSERT_TRUE(names.ok());
  EXPECT_EQ((*names)[0].Text(1), "renamed");
  EXPECT_EQ((*names)[1].Text(1), "") << "tenant tb's row was not touched";
}

TEST_F(PostgresTest, RowsForAnotherTenantCannotBeWrittenFromATenantTransaction) {
  absl::Status s = temp_->db().InTx(WriteTx("ta"), [](Transaction& tx) { return InsertUser(tx, "u-x", "tb"); });
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  absl::Status moved = temp_->db().InTx(WriteTx("ta"), [](Transaction& tx) {
    return tx.Exec("UPDATE users SET tenant_id = 'tb' WHERE id = 'u-ta'").status();
  });
  EXPECT_EQ(moved.code(), absl::StatusCode::kPermissionDenied) << moved;
  EXPECT_EQ(VisibleUsers(ReadTx("tb")), std::vector<std::string>{"u-tb"});
}

TEST_F(PostgresTest, EveryTenantOwnedTableHasThePolicy) {
  auto rows = temp_->owner_db().InTx(ReadTx(), [](Transaction& tx) {
    return tx.Query(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "(SELECT COUNT(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
        "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attname = 'tenant_id' ORDER BY c.relname");
  });
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_GE(rows->size(), 4u);  // users, sessions, api_tokens, jobs, ...
  for (const Row& r : *rows) {
    EXPECT_EQ(r.Int(1), 1) << r.Text(0);
    EXPECT_EQ(r.Int(2), 1) << r.Text(0) << ": forced, so even the owner is subject to it";
    EXPECT_EQ(r.Int(3), 1) << r.Text(0);
  }
}

TEST_F(PostgresTest, AConnectionThatSetsNoScopeSeesNothing) {
  // Any client of the serving role (psql, a reporting tool) that does not say whose rows it
  // wants gets none.
  PGconn* conn = PQconnectdb(temp_->url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, "SELECT COUNT(*) FROM users");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "0");
  PQclear(r);
  PQfinish(conn);
}

TEST_F(PostgresTest, ServingRoleMayNotBypassRowLevelSecurity) {
  EXPECT_TRUE(CheckServingRole(temp_->db()).ok());
  absl::Status owner = CheckServingRole(temp_->owner_db());
  EXPECT_EQ(owner.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(owner.message().find("owns table"), std::string::npos) << owner;
  auto server = tf::testing::TestPgServer();
  ASSERT_TRUE(server.ok());
  auto admin = PostgresDatabase::Open({StrCat(server->admin_url, "/", temp_->name()), 1});
  ASSERT_TRUE(admin.ok()) << admin.status();
  absl::Status super = CheckServingRole(**admin);
  EXPECT_EQ(super.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(super.message().find("superuser"), std::string::npos) << super;
  EXPECT_EQ(super.message().find(server->admin_url), std::string::npos) << "no credentials in the message";
}

TEST_F(PostgresTest, SecureSchemaRefusesARoleNameThatIsNotAPlainIdentifier) {
  absl::Status s = SecureSchema(temp_->owner_db(), "app; DROP TABLE users");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VisibleUsers(ReadTx()).size(), 2u);
}

TEST_F(PostgresTest, PoolIsBoundedAndABusyPoolAnswersUnavailable) {
  PostgresOptions options{temp_->url(), 2};
  options.acquire_timeout = std::chrono::milliseconds(200);
  auto db = PostgresDatabase::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  auto a = (*db)->Begin(ReadTx());
  auto b = (*db)->Begin(ReadTx());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*db)->Stats().pool_in_use, 2);
  auto start = std::chrono::steady_clock::now();
  auto c = (*db)->Begin(ReadTx());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  a->reset();
  auto d = (*db)->Begin(ReadTx());
  EXPECT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*db)->Stats().pool_open, 2);
}

TEST_F(PostgresTest, ConflictingSerializableWritesGiveARetryableFailure) {
  auto t1 = temp_->db().Begin(WriteTx());
  auto t2 = temp_->db().Begin(WriteTx());
  ASSERT_TRUE(t1.ok() && t2.ok());
  // Each reads what the other writes: no serial order explains both.
  ASSERT_TRUE((*t1)->Query("SELECT COUNT(*) FROM users WHERE display_name = 'b'").ok());
  ASSERT_TRUE((*t2)->Query("SELECT COUNT(*) FROM users WHERE display_name = 'a'").ok());
  ASSERT_TRUE((*t1)->Exec("UPDATE users SET display_name = 'a' WHERE id = 'u-ta'").ok());
  ASSERT_TRUE((*t2)->Exec("UPDATE users SET display_name = 'b' WHERE id = 'u-tb'").ok());
  absl::Status c1 = (*t1)->Commit();
  absl::Status c2 = (*t2)->Commit();
  EXPECT_TRUE(c1.ok()) << c1;
  EXPECT_TRUE(IsSerializationFailure(c2)) << c2;
  EXPECT_EQ(c2.code(), absl::StatusCode::kAborted);
}

TEST(PostgresOpenTest, UnreachableServerIsUnavailable) {
  // A loopback port nobody listens on.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  std::string url = StrCat("postgresql://app:pw-never-shown@127.0.0.1:", ntohs(addr.sin_port), "/trust");
  auto db = PostgresDatabase::Open({url, 1});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
  EXPECT_EQ(db.status().message().find("pw-never-shown"), std::string::npos);
}

//! A PostgreSQL server of the test's own, so stopping it disturbs no other test.
class PostgresOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = (std::filesystem::temp_directory_path() / StrCat("tf-pg-outage-", getpid())).string();
    ASSERT_EQ(Script("start"), 0);
    setenv("TF_TEST_PG_STATE", state_.c_str(), 1);
    auto temp = TestDatabase::Create(Backend::kPostgres, SystemClock::Instance());
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = std::move(*temp);
  }
  void TearDown() override {
    temp_.reset();
    Script("stop");
    std::filesystem::remove_all(state_);
    if (saved_state_) setenv("TF_TEST_PG_STATE", saved_state_->c_str(), 1);
  }

  int Script(const std::string& command) {
    std::string cmd = StrCat(TF_SOURCE_DIR, "/scripts/pg-test-server.sh ", command, " ", state_, " >/dev/null");
    return std::system(cmd.c_str());
  }

  std::string state_;
  std::optional<std::string> saved_state_ = [] {
    const char* s = std::getenv("TF_TEST_PG_STATE");
    return s ? std::optional<std::string>(s) : std::nullopt;
  }();
  std::unique_ptr<TestDatabase> temp_;
};

TEST_F(PostgresOutageTest, ServerDownIsUnavailableAndServiceResumesWhenItReturns) {
  Database& db = temp_->db();
  ASSERT_TRUE(db.Ping().ok());  // the pool now holds a live connection
  ASSERT_EQ(Script("pause"), 0);
  absl::Status down = db.Ping();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  ASSERT_EQ(Script("resume"), 0);
  // The same Database object, no reopening: broken connections were dropped, new ones made.
  absl::Status up = db.Ping();
  EXPECT_TRUE(up.ok()) << up;
  auto users = db.InTx(ReadTx(), [](Transaction& tx) { return tx.Query("SELECT COUNT(*) FROM tenants"); });
  EXPECT_TRUE(users.ok()) << users.status();
}

//! A primary and a streaming replica of the test's own.
class PostgresReplicaTest : public PostgresOutageTest {
 protected:
  void SetUp() override {
    PostgresOutageTest::SetUp();
    if (HasFatalFailure()) return;
    replica_state_ = state_ + "-replica";
    ASSERT_EQ(ReplicaScript("replica " + replica_state_ + " " + state_), 0);
    auto replica = ReplicaServer();
    ASSERT_TRUE(replica.ok()) << replica.status();
    replica_app_url_ = StrCat(replica->app_url, "/", temp_->name());
    replica_admin_url_ = StrCat(replica->admin_url, "/", temp_->name());
  }
  void TearDown() override {
    ReplicaScript("stop " + replica_state_);
    std::filesystem::remove_all(replica_state_);
    PostgresOutageTest::TearDown();
  }
  int ReplicaScript(const std::string& args) {
    return std::system(StrCat(TF_SOURCE_DIR, "/scripts/pg-test-server.sh ", args, " >/dev/null").c_str());
  }
  absl::StatusOr<tf::testing::PgServer> ReplicaServer() {
    std::string saved = std::getenv("TF_TEST_PG_STATE");
    setenv("TF_TEST_PG_STATE", replica_state_.c_str(), 1);
    auto server = tf::testing::TestPgServer();
    setenv("TF_TEST_PG_STATE", saved.c_str(), 1);
    return server;
  }

  //! Whether a read marked ReplicaOk was served by a server in recovery (the replica).
  bool ReadOnReplica(Database& db) {
    auto rows = db.InTx(ReadTx().ReplicaOk(), [](Transaction& tx) { return tx.Query("SELECT pg_is_in_recovery()"); });
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() && rows->at(0).Int(0) == 1;
  }

  std::string replica_state_, replica_app_url_, replica_admin_url_;
};

TEST_F(PostgresReplicaTest, ReplicaServesTolerantReadsWhileFreshAndThePrimaryOtherwise) {
  PostgresOptions options{temp_->url(), 4};
  options.replica_url = replica_app_url_;
  options.replica_max_lag = milliseconds(300);
  options.replica_check_every = milliseconds(50);
  auto db = PostgresDatabase::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(tf::testing::WaitFor([&] { return ReadOnReplica(**db); }));
  // Plain reads and writes stay on the primary.
  auto plain = (*db)->InTx(ReadTx(), [](Transaction& tx) { return tx.Query("SELECT pg_is_in_recovery()"); });
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->at(0).Int(0), 0);
  // Row-level security holds on the replica too.
  auto seen = (*db)->InTx(ReadTx("no-such-tenant").ReplicaOk(), [](Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM tenants t JOIN users u ON u.tenant_id = t.id");
  });
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->at(0).Int(0), 0);

  // Replay paused while the primary keeps writing: the lag passes the bound, reads move to
  // the primary, and come back once the replica catches up.
  ASSERT_TRUE(tf::testing::PgExec(replica_admin_url_, "SELECT pg_wal_replay_pause()").ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*db)->InTx(WriteTx(), [&](Transaction& tx) {
                      return tx.Exec("INSERT INTO leases (name, holder, acquired_at, renewed_at, expires_at) "
                                     "VALUES (?, 'x', 0, 0, 0)", {StrCat("lag-", i)}).status();
                    }).ok());
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(tf::testing::WaitFor([&] { return !ReadOnReplica(**db); }));
  DatabaseStats lagging = (*db)->Stats();
  EXPECT_TRUE(lagging.replica_configured);
  EXPECT_FALSE(lagging.replica_in_use);
  EXPECT_NE(lagging.replica_problem.find("lags"), std::string::npos) << lagging.replica_problem;
  ASSERT_TRUE(tf::testing::PgExec(replica_admin_url_, "SELECT pg_wal_replay_resume()").ok());
  EXPECT_TRUE(tf::testing::WaitFor([&] { return ReadOnReplica(**db); }));

  // The replica stopped: its reads are served by the primary, without an error.
  ASSERT_EQ(ReplicaScript("pause " + replica_state_), 0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(ReadOnReplica(**db));
  EXPECT_FALSE(ReadOnReplica(**db));
  EXPECT_NE((*db)->Stats().replica_problem, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << "a down replica costs little";
}

}  // namespace
}  // namespace tf::store
