#pragma once
// Test support: a fresh, migrated database on either backend, for tests that run against both
// (TEST_P over kBackends).
//   SQLite: a file in a new temporary directory, removed afterwards.
//   PostgreSQL: a new database on the server that scripts/pg-test-server.sh started for the
//   test run (ctest's `postgres` fixture; its state folder is TF_TEST_PG_STATE), owned by
//   tf_owner, migrated and secured (row-level security) as the owner, and served as tf_app,
//   the role trustd uses; dropped afterwards.
// A missing PostgreSQL server is an error, never a skip.
// Thread-safety: a TestDatabase is used from the test's threads like any store::Database.

#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "store/database.h"
#include "store/migrator.h"

namespace tf::testing {

enum class Backend { kSqlite, kPostgres };

inline constexpr Backend kBackends[] = {Backend::kSqlite, Backend::kPostgres};

//! Runs a TEST_P suite over Backend once per backend, named .../sqlite and .../postgres.
#define TF_INSTANTIATE_BACKENDS(suite)                                           \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::ValuesIn(::tf::testing::kBackends), \
                           [](const auto& info) { return ::tf::testing::BackendName(info.param); })

//! "sqlite" or "postgres", for parameterised test names.
std::string BackendName(Backend backend);
//! For GoogleTest's messages.
inline void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }

//! Where the test run's PostgreSQL server is (from TF_TEST_PG_STATE/env).
struct PgServer {
  int port = 0;
  std::string admin_url;  //!< superuser, without a database name
  std::string owner_url;  //!< tf_owner
  std::string app_url;    //!< tf_app
};
[[nodiscard]] absl::StatusOr<PgServer> TestPgServer();

//! Runs parameterless SQL on PostgreSQL outside any transaction (CREATE/DROP DATABASE).
[[nodiscard]] absl::Status PgExec(const std::string& url, const std::string& sql);

class TestDatabase {
 public:
  //! A new empty database; `migrations` (default: the binary's) are applied unless empty.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      Backend backend, const Clock& clock, std::span<const store::Migration> migrations = store::BuiltinMigrations());
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Backend backend() const { return backend_; }
  //! The store as trustd serves it (PostgreSQL: as tf_app, under row-level security).
  store::Database& db() { return *db_; }
  //! The tables' owner (PostgreSQL: tf_owner; SQLite: the same store as db()).
  store::Database& owner_db() { return owner_ ? *owner_ : *db_; }
  //! Another, independent handle on the same database (a second trustd instance).
  [[nodiscard]] absl::StatusOr<std::unique_ptr<store::Database>> OpenAnother(int pool_size = 4) const;

  //! For trustd: `--database` (serving role) and database.migration_url (owner; empty for
  //! SQLite). SQLite's is a sqlite:PATH URL.
  std::string url() const { return url_; }
  std::string migration_url() const { return migration_url_; }
  //! PostgreSQL: the database's name.
  std::string name() const { return name_; }

 private:
  TestDatabase() = default;

  Backend backend_ = Backend::kSqlite;
  std::string dir_;   // SQLite: the temporary directory
  std::string name_;  // PostgreSQL: the database
  std::string admin_url_;
  std::string url_;
  std::string migration_url_;
  std::unique_ptr<store::Database> owner_;
  std::unique_ptr<store::Database> db_;
};

}  // namespace tf::testing
