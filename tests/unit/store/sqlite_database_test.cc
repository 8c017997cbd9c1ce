// Tests of store::SqliteDatabase against a real SQLite file in a temporary directory:
// transactions, parameter binding, Row accessors, error mapping and concurrency.

#include "store/sqlite/sqlite_database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "unit/store/test_db.h"

namespace tf::store {
namespace {

using testing::TempDb;

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(temp_.Open().ok());
    ASSERT_TRUE(Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n BIGINT, x REAL, "
                     "note TEXT NOT NULL DEFAULT '')")
                    .ok());
  }

  Database& db() { return temp_.db(); }

  absl::Status Exec(std::string_view sql, const Params& params = {}) {
    return db().InTx(WriteTx(), [&](Transaction& tx) { return tx.Exec(sql, params); }).status();
  }

  int64_t Count(std::string_view table = "t") {
    auto rows = db().InTx(ReadTx(), [&](Transaction& tx) {
      return tx.Query(std::string("SELECT COUNT(*) FROM ") + std::string(table));
    });
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->at(0).Int(0) : -1;
  }

  TempDb temp_;
};

// ---------------------------------------------------------------------------------------------
// Transactions

TEST_F(SqliteDatabaseTest, CommittedWriteIsVisibleToLaterReaders) {
  auto tx = db().Begin(WriteTx());
  ASSERT_TRUE(tx.ok()) << tx.status();
  auto changed = (*tx)->Exec("INSERT INTO t (name) VALUES (?)", {std::string("a")});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, 1);
  ASSERT_TRUE((*tx)->Commit().ok());
  tx->reset();
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteDatabaseTest, DestructorWithoutCommitRollsBack) {
  {
    auto tx = db().Begin(WriteTx());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Exec("INSERT INTO t (name) VALUES ('gone')").ok());
    // Inside the transaction the row is visible.
    auto rows = (*tx)->Query("SELECT COUNT(*) FROM t");
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(rows->at(0).Int(0), 1);
  }  // destroyed without Commit
  EXPECT_EQ(Count(), 0);
  // The writer connection is usable again afterwards (the lock and the transaction are gone).
  ASSERT_TRUE(Exec("INSERT INTO t (name) VALUES ('kept')").ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteDatabaseTest, InTxRollsBackWhenTheFunctionFails) {
  absl::Status s = db().InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO t (name) VALUES ('a')").status());
    return absl::AbortedError("changed my mind");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Count(), 0);
}

TEST_F(SqliteDatabaseTest, InTxRollsBackEverythingWhenALaterStatementFails) {
  ASSERT_TRUE(Exec("INSERT INTO t (name) VALUES ('dup')").ok());
  absl::Status s = db().InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO t (name) VALUES ('first')").status());
    return tx.Exec("INSERT INTO t (name) VALUES ('dup')").status();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteDatabaseTest, CommitTwiceIsFailedPrecondition) {
  auto tx = db().Begin(WriteTx());
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ((*tx)->Commit().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SqliteDatabaseTest, ReadTransactionCannotWrite) {
  absl::Status s = db().InTx(ReadTx(), [&](Transaction& tx) {
    return tx.Exec("INSERT INTO t (name) VALUES ('x')").status();
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Count(), 0);
}

TEST_F(SqliteDatabaseTest, ReadersDoNotSeeUncommittedWrites) {
  auto writer = db().Begin(WriteTx());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Exec("INSERT INTO t (name) VALUES ('pending')").ok());
  EXPECT_EQ(Count(), 0);  // a reader connection, while the write is open
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteDatabaseTest, ReadTransactionKeepsItsSnapshot) {
  auto reader = db().Begin(ReadTx());
  ASSERT_TRUE(reader.ok());
  auto before = (*reader)->Query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->at(0).Int(0), 0);
  // A writer commits while the reader is open (WAL: readers never block the writer).
  ASSERT_TRUE(Exec("INSERT INTO t (name) VALUES ('new')").ok());
  auto during = (*reader)->Query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->at(0).Int(0), 0) << "a read transaction sees one snapshot";
  reader->reset();
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteDatabaseTest, WriterSeesItsOwnWritesBeforeCommit) {
  absl::Status s = db().InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO t (name, n) VALUES ('a', 5)").status());
    TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT n FROM t WHERE name = ?", {std::string("a")}, "row"));
    EXPECT_EQ(row.Int(0), 5);
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(SqliteDatabaseTest, ExecReturnsTheNumberOfChangedRows) {
  ASSERT_TRUE(Exec("INSERT INTO t (name, n) VALUES ('a', 1), ('b', 1), ('c', 2)").ok());
  auto changed = db().InTx(WriteTx(), [&](Transaction& tx) {
    return tx.Exec("UPDATE t SET note = 'x' WHERE n = ?", {int64_t{1}});
  });
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 2);
  auto none = db().InTx(WriteTx(), [&](Transaction& tx) {
    return tx.Exec("DELETE FROM t WHERE n = ?", {int64_t{99}});
  });
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
}

TEST_F(SqliteDatabaseTest, ExecScriptRunsSeveralStatements) {
  absl::Status s = db().InTx(WriteTx(), [&](Transaction& tx) {
    return tx.ExecScript("CREATE TABLE u (v TEXT); INSERT INTO u VALUES ('1'); INSERT INTO u VALUES ('2');");
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Count("u"), 2);
}

TEST_F(SqliteDatabaseTest, PingAndDescribe) {
  EXPECT_TRUE(db().Ping().ok());
  EXPECT_EQ(db().dialect(), Dialect::kSqlite);
  EXPECT_EQ(db().Describe(), "sqlite:" + temp_.path());
}

TEST_F(SqliteDatabaseTest, QueryObserverSeesEveryStatement) {
  std::atomic<int> calls{0};
  db().SetQueryObserver([&](double seconds) {
    EXPECT_GE(seconds, 0.0);
    calls++;
  });
  ASSERT_TRUE(Exec("INSERT INTO t (name) VALUES ('a')").ok());
  EXPECT_EQ(Count(), 1);
  EXPECT_EQ(calls.load(), 2);
  db().SetQueryObserver(nullptr);
}

// ---------------------------------------------------------------------------------------------
// Parameter binding and Row accessors

TEST_F(SqliteDatabaseTest, BindsEveryValueTypeAndReadsItBack) {
  const int64_t big = std::numeric_limits<int64_t>::max();
  const int64_t small = std::numeric_limits<int64_t>::min();
  ASSERT_TRUE(Exec("INSERT INTO t (id, name, n, x) VALUES (?, ?, ?, ?)",
                   {int64_t{1}, std::string("max"), big, 0.1})
                  .ok());
  ASSERT_TRUE(Exec("INSERT INTO t (id, name, n, x) VALUES (?, ?, ?, ?)",
                   {int64_t{2}, std::string("min"), small, -1.5e300})
                  .ok());
  ASSERT_TRUE(Exec("INSERT INTO t (id, name, n, x) VALUES (?, ?, ?, ?)",
                   {int64_t{3}, nullptr, nullptr, nullptr})
                  .ok());
  auto rows = db().InTx(ReadTx(), [&](Transaction& tx) { return tx.Query("SELECT id, name, n, x FROM t ORDER BY id"); });
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  const Row& a = (*rows)[0];
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a.Int(0), 1);
  EXPECT_EQ(a.Text(1), "max");
  EXPECT_EQ(a.Int(2), big);
  EXPECT_TRUE(std::holds_alternative<int64_t>(a.at(2)));
  EXPECT_DOUBLE_EQ(a.Double(3), 0.1);
  EXPECT_TRUE(std::holds_alternative<double>(a.at(3)));
  const Row& b = (*rows)[1];
  EXPECT_EQ(b.Int(2), small);
  EXPECT_DOUBLE_EQ(b.Double(3), -1.5e300);
  const Row& c = (*rows)[2];
  EXPECT_FALSE(c.IsNull(0));
  EXPECT_TRUE(c.IsNull(1));
  EXPECT_TRUE(c.IsNull(2));
  EXPECT_TRUE(c.IsNull(3));
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(c.at(1)));
}

TEST_F(SqliteDatabaseTest, NullBindsAsSqlNullNotAsText) {
  ASSERT_TRUE(Exec("INSERT INTO t (name, n) VALUES (?, ?)", {std::string("a"), nullptr}).ok());
  auto rows = db().InTx(ReadTx(), [&](Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM t WHERE n IS NULL AND typeof(n) = 'null'");
  });
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->at(0).Int(0), 1);
  // OptText / OptInt helpers map nullopt to NULL.
  ASSERT_TRUE(Exec("INSERT INTO t (name, n) VALUES (?, ?)", {OptText(std::nullopt), OptInt(std::nullopt)}).ok());
  ASSERT_TRUE(Exec("INSERT INTO t (name, n) VALUES (?, ?)", {OptText(std::string("b")), OptInt(7)}).ok());
  auto check = db().InTx(ReadTx(), [&](Transaction& tx) {
    return tx.Query("SELECT name, n FROM t ORDER BY id");
  });
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->size(), 3u);
  EXPECT_TRUE((*check)[1].IsNull(0));
  EXPECT_TRUE((*check)[1].IsNull(1));
  EXPECT_EQ((*check)[2].OptText(0), std::optional<std::string>("b"));
  EXPECT_EQ((*check)[2].OptInt(1), std::optional<int64_t>(7));
}

TEST_F(SqliteDatabaseTest, StringsWithSqlMetacharactersAreDataNotSql) {
  const std::vector<std::string> nasty = {
      "Robert'); DROP TABLE t; --",
      "' OR '1'='1",
      "\"; DELETE FROM t; \"",
      "a;b;c",
      "100% _match_ \\ escape",
      "?",
      "?1 ?2 :name @name $name",
      "/* comment */ -- line",
      "tab\tnewline\nreturn\r",
      "",
      "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",  // été € 🔑
      std::string(10000, 'q'),
  };
  for (size_t i = 0; i < nasty.size(); ++i) {
    ASSERT_TRUE(Exec("INSERT INTO t (id, name, note) VALUES (?, ?, ?)",
                     {static_cast<int64_t>(i + 1), std::to_string(i), nasty[i]})
                    .ok())
        << i;
  }
  // The table survived and holds every value byte for byte.
  EXPECT_EQ(Count(), static_cast<int64_t>(nasty.size()));
  for (size_t i = 0; i < nasty.size(); ++i) {
    auto row = db().InTx(ReadTx(), [&](Transaction& tx) {
      return tx.QueryOne("SELECT note, length(note) FROM t WHERE note = ?", {nasty[i]}, "row");
    });
    ASSERT_TRUE(row.ok()) << i << ": " << row.status();
    EXPECT_EQ(row->Text(0), nasty[i]);
  }
  // A value bound into a WHERE clause matches only itself.
  auto rows = db().InTx(ReadTx(), [&](Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM t WHERE name = ?", {std::string("' OR '1'='1")});
  });
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->at(0).Int(0), 0);
  // And in LIKE the parameter is a pattern only where the SQL says so.
  auto like = db().InTx(ReadTx(), [&](Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM t WHERE note = ?", {std::string("%")});
  });
  ASSERT_TRUE(like.ok());
  EXPECT_EQ(like->at(0).Int(0), 0);
}

TEST_F(SqliteDatabaseTest, ExecRunsOnlyOneStatement) {
  // Query/Exec prepare a single statement: text after the first ';' never runs.
  ASSERT_TRUE(Exec("INSERT INTO t (name) VALUES ('a'); DROP TABLE t").ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteDatabaseTest, StringsWithEmbeddedNulRoundTrip) {
  std::string with_nul("a\0b", 3);
  ASSERT_TRUE(Exec("INSERT INTO t (name, note) VALUES ('nul', ?)", {with_nul}).ok());
  auto row = db().InTx(ReadTx(), [&](Transaction& tx) {
    return tx.QueryOne("SELECT note FROM t WHERE name = 'nul'", {}, "row");
  });
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->Text(0), with_nul);
}

TEST_F(SqliteDatabaseTest, RowAccessorsConvertBetweenRepresentations) {
  Row row({Value(int64_t{42}), Value(std::string("17")), Value(2.75), Value(nullptr), Value(std::string("abc"))});
  EXPECT_EQ(row.size(), 5u);
  // Int
  EXPECT_EQ(row.Int(0), 42);
  EXPECT_EQ(row.Int(1), 17);
  EXPECT_EQ(row.Int(2), 2);
  EXPECT_EQ(row.Int(3), 0);
  EXPECT_EQ(row.Int(4), 0);
  // Double
  EXPECT_DOUBLE_EQ(row.Double(0), 42.0);
  EXPECT_DOUBLE_EQ(row.Double(1), 17.0);
  EXPECT_DOUBLE_EQ(row.Double(2), 2.75);
  EXPECT_DOUBLE_EQ(row.Double(3), 0.0);
  // Text
  EXPECT_EQ(row.Text(0), "42");
  EXPECT_EQ(row.Text(1), "17");
  EXPECT_EQ(row.Text(2), "2.75");
  EXPECT_EQ(row.Text(3), "");
  // Optional accessors are strict on NULL only.
  EXPECT_EQ(row.OptInt(0), std::optional<int64_t>(42));
  EXPECT_EQ(row.OptInt(3), std::nullopt);
  EXPECT_EQ(row.OptText(1), std::optional<std::string>("17"));
  EXPECT_EQ(row.OptText(3), std::nullopt);
  EXPECT_TRUE(row.IsNull(3));
  EXPECT_FALSE(row.IsNull(4));
  EXPECT_THROW((void)row.at(5), std::out_of_range);
}

TEST_F(SqliteDatabaseTest, TextColumnHoldingDigitsReadsAsInt) {
  ASSERT_TRUE(Exec("CREATE TABLE s (v TEXT)").ok());
  ASSERT_TRUE(Exec("INSERT INTO s VALUES (?)", {std::string("12345")}).ok());
  auto row = db().InTx(ReadTx(), [&](Transaction& tx) { return tx.QueryOne("SELECT v FROM s", {}, "row"); });
  ASSERT_TRUE(row.ok());
  EXPECT_TRUE(std::holds_alternative<std::string>(row->at(0)));
  EXPECT_EQ(row->Int(0), 12345);
}

TEST_F(SqliteDatabaseTest, QueryOneNotFoundNamesWhat) {
  auto row = db().InTx(ReadTx(), [&](Transaction& tx) {
    return tx.QueryOne("SELECT id FROM t WHERE name = ?", {std::string("nobody")}, "widget");
  });
  EXPECT_EQ(row.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(row.status().message(), "widget not found");
}

TEST_F(SqliteDatabaseTest, PreparedStatementsAreReusedWithFreshBindings) {
  // The same SQL text with different parameters must not leak the previous binding.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Exec("INSERT INTO t (name, n) VALUES (?, ?)", {std::to_string(i), int64_t{i}}).ok());
  }
  for (int i = 0; i < 5; ++i) {
    auto row = db().InTx(ReadTx(), [&](Transaction& tx) {
      return tx.QueryOne("SELECT n FROM t WHERE name = ?", {std::to_string(i)}, "row");
    });
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(row->Int(0), i);
  }
}

// ---------------------------------------------------------------------------------------------
// Error mapping

TEST_F(SqliteDatabaseTest, UniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(Exec("INSERT INTO t (name) VALUES ('same')").ok());
  absl::Status s = Exec("INSERT INTO t (name) VALUES (?)", {std::string("same")});
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
}

TEST_F(SqliteDatabaseTest, PrimaryKeyViolationIsAlreadyExists) {
  ASSERT_TRUE(Exec("INSERT INTO t (id, name) VALUES (1, 'a')").ok());
  absl::Status s = Exec("INSERT INTO t (id, name) VALUES (1, 'b')");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
}

TEST_F(SqliteDatabaseTest, OtherConstraintViolationsAreFailedPrecondition) {
  absl::Status s = Exec("INSERT INTO t (name, note) VALUES ('a', NULL)");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // Foreign keys are enforced (PRAGMA foreign_keys = ON).
  ASSERT_TRUE(Exec("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES t (id))").ok());
  absl::Status fk = Exec("INSERT INTO child (parent) VALUES (999)");
  EXPECT_EQ(fk.code(), absl::StatusCode::kFailedPrecondition) << fk;
}

TEST_F(SqliteDatabaseTest, BadSqlIsInternal) {
  absl::Status s = Exec("SELEC nothing FROM nowhere");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  absl::Status missing = Exec("INSERT INTO no_such_table VALUES (1)");
  EXPECT_EQ(missing.code(), absl::StatusCode::kInternal) << missing;
  absl::Status script = db().InTx(WriteTx(), [&](Transaction& tx) { return tx.ExecScript("CREATE TABL x (y)"); });
  EXPECT_EQ(script.code(), absl::StatusCode::kInternal) << script;
}

TEST_F(SqliteDatabaseTest, WrongParameterCountIsInternal) {
  absl::Status few = Exec("INSERT INTO t (name, n) VALUES (?, ?)", {std::string("a")});
  EXPECT_EQ(few.code(), absl::StatusCode::kInternal) << few;
  absl::Status many = Exec("INSERT INTO t (name) VALUES (?)", {std::string("a"), int64_t{1}});
  EXPECT_EQ(many.code(), absl::StatusCode::kInternal) << many;
  EXPECT_EQ(Count(), 0);
}

TEST_F(SqliteDatabaseTest, EmptySqlIsAnError) {
  absl::Status s = Exec("   ");
  EXPECT_FALSE(s.ok());
}

// ---------------------------------------------------------------------------------------------
// Concurrency

TEST_F(SqliteDatabaseTest, ConcurrentWritersLoseNothing) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 50;
  ASSERT_TRUE(Exec("CREATE TABLE counter (id INTEGER PRIMARY KEY, v BIGINT NOT NULL)").ok());
  ASSERT_TRUE(Exec("INSERT INTO counter VALUES (1, 0)").ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::Status s = db().InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
          TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO t (name, n) VALUES (?, ?)",
                                     {std::to_string(t) + "-" + std::to_string(i), int64_t{t}})
                                 .status());
          // Read-modify-write: only correct when write transactions are serialised.
          TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT v FROM counter WHERE id = 1", {}, "counter"));
          return tx.Exec("UPDATE counter SET v = ? WHERE id = 1", {row.Int(0) + 1}).status();
        });
        if (!s.ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count(), kThreads * kPerThread);
  auto v = db().InTx(ReadTx(), [&](Transaction& tx) { return tx.QueryOne("SELECT v FROM counter", {}, "counter"); });
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Int(0), kThreads * kPerThread);
}

TEST_F(SqliteDatabaseTest, ConcurrentReadersSeeOnlyCommittedDataAndNeverGoBackwards) {
  constexpr int kWrites = 200;
  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 6; ++r) {  // more readers than pooled connections: they wait their turn
    readers.emplace_back([&] {
      int64_t last = 0;
      while (!done.load()) {
        auto rows = db().InTx(ReadTx(), [&](Transaction& tx) {
          return tx.Query("SELECT COUNT(*), COALESCE(SUM(n), 0) FROM t");
        });
        if (!rows.ok()) {
          reader_errors++;
          continue;
        }
        int64_t count = rows->at(0).Int(0);
        // Each transaction inserts a pair (n = 1, n = -1): a reader never sees half of one.
        if (rows->at(0).Int(1) != 0 || count % 2 != 0 || count < last) reader_errors++;
        last = count;
      }
    });
  }
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(db().InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
                  TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO t (n) VALUES (1)").status());
                  return tx.Exec("INSERT INTO t (n) VALUES (-1)").status();
                }).ok());
  }
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_EQ(Count(), 2 * kWrites);
}

TEST_F(SqliteDatabaseTest, SecondDatabaseOnTheSameFileSeesCommittedData) {
  ASSERT_TRUE(Exec("INSERT INTO t (name) VALUES ('shared')").ok());
  auto other = temp_.OpenNew(1);
  ASSERT_TRUE(other.ok()) << other.status();
  auto row = (*other)->InTx(ReadTx(), [&](Transaction& tx) {
    return tx.QueryOne("SELECT name FROM t", {}, "row");
  });
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->Text(0), "shared");
}

TEST(SqliteDatabaseOpenTest, MissingDirectoryIsAnError) {
  SqliteOptions options;
  options.path = "/nonexistent-dir-for-tf-tests/sub/trust.db";
  auto db = SqliteDatabase::Open(options);
  EXPECT_FALSE(db.ok());
}

}  // namespace
}  // namespace tf::store
