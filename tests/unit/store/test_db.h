#pragma once
// Test support for tests/unit/store and tests/unit/identity: a real SQLite database in a fresh
// temporary directory (removed on destruction), opened through store::SqliteDatabase::Open and
// migrated with the binary's BuiltinMigrations(), plus a global test environment that calls
// crypto::InitCrypto() once.
// Thread-safety: a TempDb is used from the test's threads like any store::Database.

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "store/migrator.h"
#include "store/sqlite/sqlite_database.h"

namespace tf::store::testing {

//! 2026-01-01T00:00:00Z: where the fake clocks of these tests start.
inline SysTime TestEpoch() { return SysTime(std::chrono::microseconds(int64_t{1767225600} * 1'000'000)); }

//! A temporary directory holding one SQLite database file.
class TempDb {
 public:
  TempDb() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tf-store-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~TempDb() {
    db_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  std::string path() const { return dir_ + "/trust.db"; }

  //! Opens a new SqliteDatabase on the file (the caller owns it).
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> OpenNew(int readers = 4) const {
    if (dir_.empty()) return absl::UnavailableError("could not create a temporary directory");
    SqliteOptions options;
    options.path = path();
    options.readers = readers;
    return SqliteDatabase::Open(options);
  }

  //! Opens the database held by this TempDb (not migrated); db() is then usable.
  absl::Status Open() {
    auto db = OpenNew();
    if (!db.ok()) return db.status();
    db_ = std::move(*db);
    return absl::OkStatus();
  }

  //! Opens the database and applies BuiltinMigrations().
  absl::Status OpenMigrated(const Clock& clock) {
    if (absl::Status s = Open(); !s.ok()) return s;
    auto applied = ApplyMigrations(*db_, clock, BuiltinMigrations());
    return applied.status();
  }

  SqliteDatabase& db() { return *db_; }

 private:
  std::string dir_;
  std::unique_ptr<SqliteDatabase> db_;
};

//! Calls crypto::InitCrypto() before any test runs.
class CryptoEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }
};

//! Registers CryptoEnvironment; use as `static const bool kCrypto = RegisterCryptoEnvironment();`.
inline bool RegisterCryptoEnvironment() {
  static const bool registered = [] {
    ::testing::AddGlobalTestEnvironment(new CryptoEnvironment());
    return true;
  }();
  return registered;
}

}  // namespace tf::store::testing
