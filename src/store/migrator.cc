#include "store/migrator.h"
#include "core/strings.h"

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace tf::store {

namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

absl::StatusOr<int> CurrentVersion(Transaction& tx) {
  TF_ASSIGN_OR_RETURN(Rows rows, tx.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return static_cast<int>(rows.at(0).Int(0));
}

//! The version, or 0 before the first migration created the table (readable by a role that
//! may not create tables).
absl::StatusOr<int> CurrentVersionIfAny(Database& db, Transaction& tx) {
  std::string_view exists = db.dialect() == Dialect::kPostgres
                                ? "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() "
                                  "AND tablename = 'schema_migrations'"
                                : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
  TF_ASSIGN_OR_RETURN(Rows rows, tx.Query(exists));
  if (rows.empty()) return 0;
  return CurrentVersion(tx);
}

//! Several instances may start at once: on PostgreSQL their migrations take turns.
absl::Status SerialiseMigrations(Database& db, Transaction& tx) {
  if (db.dialect() != Dialect::kPostgres) return absl::OkStatus();
  return tx.Query("SELECT pg_advisory_xact_lock(7345001)").status();
}

}  // namespace

std::string SqlForDialect(std::string_view sql, Dialect dialect) {
  constexpr std::string_view kMarker = "-- dialect: ";
  std::string out;
  bool included = true;
  while (!sql.empty()) {
    size_t end = sql.find('\n');
    std::string_view line = sql.substr(0, end == std::string_view::npos ? sql.size() : end + 1);
    sql.remove_prefix(line.size());
    if (line.substr(0, kMarker.size()) == kMarker) {
      std::string_view which = line.substr(kMarker.size());
      while (!which.empty() && (which.back() == '\n' || which.back() == '\r' || which.back() == ' ')) {
        which.remove_suffix(1);
      }
      included = which == "all" || (which == "sqlite" && dialect == Dialect::kSqlite) ||
                 (which == "postgres" && dialect == Dialect::kPostgres);
      continue;
    }
    if (included) out += line;
  }
  return out;
}

absl::StatusOr<MigrationStatus> GetMigrationStatus(Database& db,
                                                   std::span<const Migration> migrations) {
  return db.InTx(ReadTx(), [&](Transaction& tx) -> absl::StatusOr<MigrationStatus> {
    MigrationStatus status;
    TF_ASSIGN_OR_RETURN(status.current_version, CurrentVersionIfAny(db, tx));
    for (const Migration& m : migrations) {
      status.latest_version = std::max(status.latest_version, m.version);
      if (m.version > status.current_version) status.pending.push_back(m.version);
    }
    return status;
  });
}

absl::StatusOr<std::vector<int>> ApplyMigrations(Database& db, const Clock& clock,
                                                 std::span<const Migration> migrations) {
  TF_RETURN_IF_ERROR(db.InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(SerialiseMigrations(db, tx));
    return tx.Exec(kCreateTable).status();
  }));
  TF_ASSIGN_OR_RETURN(MigrationStatus status, GetMigrationStatus(db, migrations));
  if (status.current_version > status.latest_version) {
    return absl::FailedPreconditionError(StrCat(
        "the database schema is at version ", status.current_version,
        " but this binary knows only up to version ", status.latest_version,
        "; run a newer trustd or restore a matching backup"));
  }
  std::vector<int> applied;
  for (const Migration& m : migrations) {
    if (m.version <= status.current_version) continue;
    absl::Status s = db.InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
      TF_RETURN_IF_ERROR(SerialiseMigrations(db, tx));
      TF_ASSIGN_OR_RETURN(int current, CurrentVersion(tx));
      if (current >= m.version) return absl::OkStatus();  // applied by a concurrent instance
      TF_RETURN_IF_ERROR(tx.ExecScript(SqlForDialect(m.sql, db.dialect())));
      return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     {int64_t{m.version}, m.name, clock.NowMicros()})
          .status();
    });
    if (!s.ok()) {
      return absl::Status(s.code(), StrCat("migration ", m.version, " (", m.name, ") failed: ",
                                                 s.message()));
    }
    applied.push_back(m.version);
  }
  return applied;
}

}  // namespace tf::store
