#pragma once
// Numbered schema migrations, applied at start-up. Each runs in its own transaction and is
// recorded in `schema_migrations`; a database whose schema is newer than this binary knows is
// refused (FailedPrecondition) rather than touched.
// Thread-safety: call from one thread at start-up.

#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/database.h"

namespace tf::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

//! The part of a migration's SQL that `dialect` runs. A line `-- dialect: sqlite` or
//! `-- dialect: postgres` starts a section only that engine runs (triggers, functions);
//! `-- dialect: all` ends it. Everything outside such sections runs on both.
std::string SqlForDialect(std::string_view sql, Dialect dialect);

//! The migrations compiled into this binary, in version order (from src/store/migrations/).
std::span<const Migration> BuiltinMigrations();

struct MigrationStatus {
  int current_version = 0;  //!< highest applied
  int latest_version = 0;   //!< highest this binary knows
  std::vector<int> pending;
};

[[nodiscard]] absl::StatusOr<MigrationStatus> GetMigrationStatus(Database& db,
                                                                 std::span<const Migration> migrations);
//! Applies every pending migration; returns the versions applied.
[[nodiscard]] absl::StatusOr<std::vector<int>> ApplyMigrations(Database& db, const Clock& clock,
                                                                std::span<const Migration> migrations);

}  // namespace tf::store
