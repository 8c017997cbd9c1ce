// Tests of store::ApplyMigrations / GetMigrationStatus against both backends (as the owner).

#include "store/migrator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/postgres/postgres_database.h"
#include "support/test_database.h"
#include "unit/store/test_db.h"

namespace tf::store {
namespace {

using testing::TestEpoch;
using tf::testing::Backend;

class MigratorTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto temp = tf::testing::TestDatabase::Create(GetParam(), clock_, {});
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = std::move(*temp);
  }

  Database& db() { return temp_->owner_db(); }

  //! A second, independent handle with the owner's rights (another instance migrating).
  absl::StatusOr<std::unique_ptr<Database>> OpenAgain() {
    if (GetParam() == Backend::kSqlite) return temp_->OpenAnother();
    auto db = PostgresDatabase::Open({temp_->migration_url(), 1});
    if (!db.ok()) return db.status();
    return std::unique_ptr<Database>(std::move(*db));
  }

  Rows Query(std::string_view sql, const Params& params = {}) {
    auto rows = db().InTx(ReadTx(), [&](Transaction& tx) { return tx.Query(sql, params); });
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : Rows{};
  }

  bool TableExists(std::string_view name) {
    Rows rows = Query(GetParam() == Backend::kSqlite
                          ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
                          : "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?",
                      {std::string(name)});
    return !rows.empty() && rows[0].Int(0) == 1;
  }

  std::vector<int> Recorded() {
    std::vector<int> out;
    for (const Row& r : Query("SELECT version FROM schema_migrations ORDER BY version")) {
      out.push_back(static_cast<int>(r.Int(0)));
    }
    return out;
  }

  static std::vector<int> BuiltinVersions() {
    std::vector<int> out;
    for (const Migration& m : BuiltinMigrations()) out.push_back(m.version);
    return out;
  }

  FakeClock clock_{TestEpoch()};
  std::unique_ptr<tf::testing::TestDatabase> temp_;
};

TEST_P(MigratorTest, BuiltinMigrationsAreNumberedInOrder) {
  auto migrations = BuiltinMigrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations.front().version, 1);
  std::set<int> seen;
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_GT(migrations[i].version, 0);
    EXPECT_FALSE(migrations[i].name.empty()) << migrations[i].version;
    EXPECT_FALSE(migrations[i].sql.empty()) << migrations[i].version;
    EXPECT_TRUE(seen.insert(migrations[i].version).second) << "duplicate version " << migrations[i].version;
    if (i > 0) {
      EXPECT_LT(migrations[i - 1].version, migrations[i].version);
    }
  }
  EXPECT_EQ(migrations.front().name, "identity");
}

TEST_P(MigratorTest, FreshDatabaseAppliesAndRecordsEveryBuiltinMigration) {
  auto applied = ApplyMigrations(db(), clock_, BuiltinMigrations());
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, BuiltinVersions());
  EXPECT_EQ(Recorded(), BuiltinVersions());

  Rows rows = Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  auto migrations = BuiltinMigrations();
  ASSERT_EQ(rows.size(), migrations.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].Text(1), migrations[i].name);
    EXPECT_EQ(rows[i].Int(2), clock_.NowMicros());
  }
  for (const char* table : {"tenants", "users", "sessions", "api_tokens", "login_throttle", "jobs"}) {
    EXPECT_TRUE(TableExists(table)) << table;
  }

  auto status = GetMigrationStatus(db(), BuiltinMigrations());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->current_version, BuiltinVersions().back());
  EXPECT_EQ(status->latest_version, BuiltinVersions().back());
  EXPECT_TRUE(status->pending.empty());
}

TEST_P(MigratorTest, RerunningAppliesNothing) {
  ASSERT_TRUE(ApplyMigrations(db(), clock_, BuiltinMigrations()).ok());
  clock_.Advance(std::chrono::hours(1));
  auto again = ApplyMigrations(db(), clock_, BuiltinMigrations());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(Recorded(), BuiltinVersions());
  // The original records are untouched.
  Rows rows = Query("SELECT COUNT(*) FROM schema_migrations WHERE applied_at = ?", {clock_.NowMicros()});
  EXPECT_EQ(rows.at(0).Int(0), 0);
}

TEST_P(MigratorTest, ReopenedDatabaseIsUpToDate) {
  ASSERT_TRUE(ApplyMigrations(db(), clock_, BuiltinMigrations()).ok());
  auto other = OpenAgain();
  ASSERT_TRUE(other.ok());
  auto again = ApplyMigrations(**other, clock_, BuiltinMigrations());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->empty());
}

TEST_P(MigratorTest, StatusOfAFreshDatabaseListsEveryMigrationAsPending) {
  auto status = GetMigrationStatus(db(), BuiltinMigrations());
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->current_version, 0);
  EXPECT_EQ(status->latest_version, BuiltinVersions().back());
  EXPECT_EQ(status->pending, BuiltinVersions());
}

TEST_P(MigratorTest, AppliesOnlyThePendingTail) {
  auto all = BuiltinMigrations();
  ASSERT_TRUE(ApplyMigrations(db(), clock_, all.first(1)).ok());
  EXPECT_EQ(Recorded(), std::vector<int>{all.front().version});
  auto rest = ApplyMigrations(db(), clock_, all);
  ASSERT_TRUE(rest.ok()) << rest.status();
  std::vector<int> expected = BuiltinVersions();
  expected.erase(expected.begin());
  EXPECT_EQ(*rest, expected);
  EXPECT_EQ(Recorded(), BuiltinVersions());
}

TEST_P(MigratorTest, NewerSchemaThanTheBinaryKnowsIsRefused) {
  ASSERT_TRUE(ApplyMigrations(db(), clock_, BuiltinMigrations()).ok());
  const int latest = BuiltinVersions().back();
  const int future = latest + 7;
  ASSERT_TRUE(db().InTx(WriteTx(), [&](Transaction& tx) {
                    return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                   {int64_t{future}, std::string("from_the_future"), int64_t{1}});
                  })
                  .ok());
  auto applied = ApplyMigrations(db(), clock_, BuiltinMigrations());
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kFailedPrecondition);
  std::string msg(applied.status().message());
  EXPECT_NE(msg.find("version " + std::to_string(future)), std::string::npos) << msg;
  EXPECT_NE(msg.find("version " + std::to_string(latest)), std::string::npos) << msg;
  // Nothing was touched.
  Rows rows = Query("SELECT COUNT(*) FROM schema_migrations");
  EXPECT_EQ(rows.at(0).Int(0), static_cast<int64_t>(BuiltinVersions().size()) + 1);
}

TEST_P(MigratorTest, FailingMigrationLeavesNothingAppliedAndIsNamed) {
  const std::vector<Migration> migrations = {
      {1, "half_broken", "CREATE TABLE created_first (x TEXT); INSERT INTO created_first VALUES ('a'); "
                         "CREATE TABL oops (y TEXT);"},
  };
  auto applied = ApplyMigrations(db(), clock_, migrations);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kInternal);
  std::string msg(applied.status().message());
  EXPECT_NE(msg.find("migration 1 (half_broken) failed"), std::string::npos) << msg;
  // The statements before the error were rolled back with the migration's transaction.
  EXPECT_FALSE(TableExists("created_first"));
  EXPECT_TRUE(Recorded().empty());
}

TEST_P(MigratorTest, FailureStopsAtTheBrokenMigrationAndAFixedOneApplies) {
  std::vector<Migration> migrations = {
      {1, "good", "CREATE TABLE good (x TEXT);"},
      {2, "bad", "CREATE TABLE bad (x TEXT); INSERT INTO missing_table VALUES (1);"},
      {3, "after", "CREATE TABLE after_bad (x TEXT);"},
  };
  auto applied = ApplyMigrations(db(), clock_, migrations);
  ASSERT_FALSE(applied.ok());
  std::string msg(applied.status().message());
  EXPECT_NE(msg.find("migration 2 (bad)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing_table"), std::string::npos) << msg;
  EXPECT_TRUE(TableExists("good"));
  EXPECT_FALSE(TableExists("bad"));
  EXPECT_FALSE(TableExists("after_bad"));
  EXPECT_EQ(Recorded(), std::vector<int>{1});

  migrations[1].sql = "CREATE TABLE bad (x TEXT);";
  auto fixed = ApplyMigrations(db(), clock_, migrations);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(*fixed, (std::vector<int>{2, 3}));
  EXPECT_EQ(Recorded(), (std::vector<int>{1, 2, 3}));
}

TEST_P(MigratorTest, EmptyMigrationListOnAFreshDatabaseIsANoOp) {
  auto applied = ApplyMigrations(db(), clock_, std::span<const Migration>());
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(applied->empty());
  EXPECT_TRUE(TableExists("schema_migrations"));
}

TF_INSTANTIATE_BACKENDS(MigratorTest);

}  // namespace
}  // namespace tf::store

namespace tf::store {
namespace {

TEST(SqlForDialectTest, SectionsRunOnlyOnTheirEngine) {
  constexpr std::string_view kSql =
      "CREATE TABLE a (x INTEGER);\n"
      "-- dialect: sqlite\n"
      "CREATE TRIGGER t BEFORE DELETE ON a BEGIN SELECT RAISE(ABORT, 'no'); END;\n"
      "-- dialect: postgres\n"
      "CREATE SEQUENCE s;\n"
      "-- dialect: all\n"
      "CREATE TABLE b (y INTEGER);\n";
  EXPECT_EQ(SqlForDialect(kSql, Dialect::kSqlite),
            "CREATE TABLE a (x INTEGER);\nCREATE TRIGGER t BEFORE DELETE ON a BEGIN SELECT RAISE(ABORT, 'no'); END;\n"
            "CREATE TABLE b (y INTEGER);\n");
  EXPECT_EQ(SqlForDialect(kSql, Dialect::kPostgres),
            "CREATE TABLE a (x INTEGER);\nCREATE SEQUENCE s;\nCREATE TABLE b (y INTEGER);\n");
  EXPECT_EQ(SqlForDialect("SELECT 1;", Dialect::kPostgres), "SELECT 1;") << "no final newline needed";
}

}  // namespace
}  // namespace tf::store
