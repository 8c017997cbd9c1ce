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
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/config.h"
#include "store/database.h"

namespace tf::store {

[[nodiscard]] absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const DatabaseConfig& config,
                                                                     const std::string& data_dir);

//! Applies pending migrations where this configuration may (see above); returns the versions
//! applied.
[[nodiscard]] absl::StatusOr<std::vector<int>> MigrateSchema(Database& db, const DatabaseConfig& config,
                                                              const Clock& clock);

//! FailedPrecondition, naming the fix, unless the schema is exactly what this binary knows
//! and (PostgreSQL) the serving role cannot bypass row-level security.
[[nodiscard]] absl::Status CheckReadyToServe(Database& db);

}  // namespace tf::store
