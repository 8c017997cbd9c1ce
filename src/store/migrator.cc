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

}  // namespace

absl::StatusOr<MigrationStatus> GetMigrationStatus(Database& db,
                                                   std::span<const Migration> migrations) {
  return db.InTx(WriteTx(), [&](Transaction& tx) -> absl::StatusOr<MigrationStatus> {
    TF_RETURN_IF_ERROR(tx.Exec(kCreateTable).status());
    MigrationStatus status;
    TF_ASSIGN_OR_RETURN(status.current_version, CurrentVersion(tx));
    for (const Migration& m : migrations) {
      status.latest_version = std::max(status.latest_version, m.version);
      if (m.version > status.current_version) status.pending.push_back(m.version);
    }
    return status;
  });
}

absl::StatusOr<std::vector<int>> ApplyMigrations(Database& db, const Clock& clock,
                                                 std::span<const Migration> migrations) {
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
      TF_ASSIGN_OR_RETURN(int current, CurrentVersion(tx));
      if (current >= m.version) return absl::OkStatus();  // applied by a concurrent instance
      TF_RETURN_IF_ERROR(tx.ExecScript(m.sql));
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
