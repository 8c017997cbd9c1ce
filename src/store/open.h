#pragma once
// Opens the configured store and makes its schema ready to serve.
//   SQLite (the default): `data_dir/trust.db`, or a `sqlite:PATH` URL; the data directory is
//   created when missing; migrations are applied by the one role there is.
//   PostgreSQL (`postgresql://` or `postgres://`): a pool of database.pool_size connections as
//   the serving role. Migrations run as the tables' owner (database.migration_url), who then
//   secures the schema (row-level security, grants) for the serving role; without a
//   migration URL the schema must already be current. Either way trustd then refuses a
//   serving role that could bypass row-level security.
// Thread-safety: call at start-up.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/config.h"
#include "store/database.h"
#include "store/migrator.h"

namespace tf::store {

//! Which store: the database (database.*) by default, or another one trustd keeps apart from
//! it (the personal-data key store) with its own configuration keys, file and migrations.
struct StoreSpec {
  std::string_view url_key = "database.url";                      //!< named in messages
  std::string_view migration_url_key = "database.migration_url";  //!< named in messages
  std::string_view file_name = "trust.db";                        //!< SQLite, in data_dir, for an empty URL
  std::span<const Migration> migrations = BuiltinMigrations();
  bool secure_delete = false;  //!< SQLite: overwrite deleted content (a store of keys destroyed on request)
};

[[nodiscard]] absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const DatabaseConfig& config,
                                                                     const std::string& data_dir,
                                                                     const StoreSpec& spec = {});

//! Applies pending migrations where this configuration may (see above); returns the versions
//! applied.
[[nodiscard]] absl::StatusOr<std::vector<int>> MigrateSchema(Database& db, const DatabaseConfig& config,
                                                              const Clock& clock, const StoreSpec& spec = {});

//! FailedPrecondition, naming the fix, unless the schema is exactly what this binary knows
//! and (PostgreSQL) the serving role cannot bypass row-level security.
[[nodiscard]] absl::Status CheckReadyToServe(Database& db, const StoreSpec& spec = {});

}  // namespace tf::store
