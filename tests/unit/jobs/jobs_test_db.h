#pragma once
// Test support for tests/unit/jobs: a real, migrated SQLite database in a fresh temporary
// directory. The migrations are read at test time from TF_SOURCE_DIR/src/store/migrations
// (NNNN_name.sql), so the tests do not depend on the CMake-generated BuiltinMigrations().
// Thread-safety: a TempSqlite is used from the test's threads like any store::Database.

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "store/migrator.h"
#include "store/sqlite/sqlite_database.h"

#ifndef TF_SOURCE_DIR
#error "compile the jobs tests with -DTF_SOURCE_DIR='\"/path/to/source/root\"'"
#endif

namespace tf::jobs::testing {

//! The migrations in TF_SOURCE_DIR/src/store/migrations, in version order.
inline absl::StatusOr<std::vector<store::Migration>> LoadMigrations() {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(TF_SOURCE_DIR) / "src" / "store" / "migrations";
  std::error_code ec;
  std::vector<store::Migration> out;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::string file = entry.path().filename().string();
    if (entry.path().extension() != ".sql") continue;
    size_t underscore = file.find('_');
    if (underscore == 0 || underscore == std::string::npos ||
        !std::all_of(file.begin(), file.begin() + underscore,
                     [](unsigned char c) { return std::isdigit(c); })) {
      return absl::InvalidArgumentError("migration file " + file + " is not named NNNN_name.sql");
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream sql;
    sql << in.rdbuf();
    out.push_back(store::Migration{std::stoi(file.substr(0, underscore)),
                                   file.substr(underscore + 1, file.size() - underscore - 5),
                                   sql.str()});
  }
  if (ec) return absl::UnavailableError("cannot list " + dir.string() + ": " + ec.message());
  if (out.empty()) return absl::NotFoundError("no migrations in " + dir.string());
  std::sort(out.begin(), out.end(),
            [](const store::Migration& a, const store::Migration& b) { return a.version < b.version; });
  return out;
}

//! A temporary directory holding one SQLite database file; removed on destruction.
class TempSqlite {
 public:
  TempSqlite() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tf-jobs-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~TempSqlite() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  TempSqlite(const TempSqlite&) = delete;
  TempSqlite& operator=(const TempSqlite&) = delete;

  std::string path() const { return dir_ + "/trust.db"; }

  //! Opens (another connection set to) the database file.
  absl::StatusOr<std::unique_ptr<store::SqliteDatabase>> Open() const {
    if (dir_.empty()) return absl::UnavailableError("could not create a temporary directory");
    store::SqliteOptions options;
    options.path = path();
    return store::SqliteDatabase::Open(options);
  }

  //! Opens the database and applies every migration.
  absl::StatusOr<std::unique_ptr<store::SqliteDatabase>> OpenMigrated(const Clock& clock) const {
    auto db = Open();
    if (!db.ok()) return db.status();
    auto migrations = LoadMigrations();
    if (!migrations.ok()) return migrations.status();
    auto applied = store::ApplyMigrations(**db, clock, *migrations);
    if (!applied.ok()) return applied.status();
    return db;
  }

 private:
  std::string dir_;
};

//! Polls `done` in real time until it holds or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace tf::jobs::testing
