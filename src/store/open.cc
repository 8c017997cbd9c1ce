#include "store/open.h"
#include "core/strings.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/redact.h"
#include "core/status.h"
#include "store/migrator.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"

namespace tf::store {

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const DatabaseConfig& config, const std::string& data_dir,
                                                       const StoreSpec& spec) {
  const std::string& url = config.url;
  if (tf::IsPostgresUrl(url)) {
    PostgresOptions options;
    options.url = url;
    options.pool_size = config.pool_size;
    options.replica_url = config.replica_url;
    options.replica_max_lag = std::chrono::milliseconds(config.replica_max_lag_ms);
    TF_ASSIGN_OR_RETURN(auto db, PostgresDatabase::Open(options));
    return std::unique_ptr<Database>(std::move(db));
  }
  std::string path;
  if (url.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return absl::UnavailableError(StrCat("cannot create the data directory ", data_dir, ": ", ec.message()));
    path = (std::filesystem::path(data_dir) / spec.file_name).string();
  } else if (absl::StartsWith(url, "sqlite:")) {
    path = url.substr(7);
  } else {
    return absl::InvalidArgumentError(StrCat(spec.url_key, ": unsupported database URL '", RedactString(url),
                                             "' (expected empty, sqlite:PATH or postgresql://...)"));
  }
  TF_ASSIGN_OR_RETURN(auto db, SqliteDatabase::Open({.path = path, .secure_delete = spec.secure_delete}));
  return std::unique_ptr<Database>(std::move(db));
}

absl::StatusOr<std::vector<int>> MigrateSchema(Database& db, const DatabaseConfig& config, const Clock& clock,
                                               const StoreSpec& spec) {
  if (db.dialect() == Dialect::kSqlite) return ApplyMigrations(db, clock, spec.migrations);
  if (config.migration_url.empty()) return std::vector<int>{};
  auto owner = PostgresDatabase::Open({config.migration_url, 1});
  if (!owner.ok()) {
    return absl::Status(owner.status().code(), StrCat(spec.migration_url_key, ": ", owner.status().message()));
  }
  TF_ASSIGN_OR_RETURN(std::vector<int> applied, ApplyMigrations(**owner, clock, spec.migrations));
  TF_ASSIGN_OR_RETURN(std::string serving_role, CurrentRole(db));
  TF_RETURN_IF_ERROR(SecureSchema(**owner, serving_role));
  return applied;
}

absl::Status CheckReadyToServe(Database& db, const StoreSpec& spec) {
  TF_ASSIGN_OR_RETURN(MigrationStatus status, GetMigrationStatus(db, spec.migrations));
  if (status.current_version > status.latest_version) {
    return absl::FailedPreconditionError(StrCat(
        "the schema of ", spec.url_key, " is at version ", status.current_version, " but this binary knows only up to version ",
        status.latest_version, "; run a newer trustd or restore a matching backup"));
  }
  if (!status.pending.empty()) {
    return absl::FailedPreconditionError(StrCat(
        "the schema of ", spec.url_key, " is at version ", status.current_version, " and this trustd needs version ",
        status.latest_version, ": run `trustctl db migrate` with ", spec.migration_url_key,
        " set to the tables' owner, or set ", spec.migration_url_key, " for trustd"));
  }
  return CheckServingRole(db);
}

}  // namespace tf::store
