#include "store/postgres/pg_schema.h"
#include "core/strings.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace tf::store {

namespace {

//! Role names this store will write into DDL: plain lower-case identifiers only.
bool IsPlainIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '_'; });
}

constexpr std::string_view kTenantTables =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attname = 'tenant_id' "
    "AND NOT a.attisdropped ORDER BY c.relname";

}  // namespace

absl::StatusOr<std::string> CurrentRole(Database& db) {
  return db.InTx(ReadTx(), [](Transaction& tx) -> absl::StatusOr<std::string> {
    TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne("SELECT current_user", {}, "current role"));
    return row.Text(0);
  });
}

absl::Status SecureSchema(Database& owner_db, std::string_view serving_role) {
  if (owner_db.dialect() != Dialect::kPostgres) return absl::OkStatus();
  if (!serving_role.empty() && !IsPlainIdentifier(serving_role)) {
    return absl::InvalidArgumentError(StrCat("the serving role '", serving_role.substr(0, 63),
                                             "' must be a lower-case identifier (a-z, 0-9, _)"));
  }
  return owner_db.InTx(WriteTx(), [&](Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(Rows tables, tx.Query(kTenantTables));
    std::string ddl;
    for (const Row& t : tables) {
      // Table names come from the catalogue of our own migrations; quote them all the same.
      std::string name = StrCat("\"", t.Text(0), "\"");
      StrAppend(&ddl, "ALTER TABLE ", name, " ENABLE ROW LEVEL SECURITY;\n",
                "ALTER TABLE ", name, " FORCE ROW LEVEL SECURITY;\n",
                "DROP POLICY IF EXISTS tenant_isolation ON ", name, ";\n",
                "CREATE POLICY tenant_isolation ON ", name, " USING (", kTenantPolicy, ") WITH CHECK (",
                kTenantPolicy, ");\n");
    }
    if (!serving_role.empty()) {
      StrAppend(&ddl, "GRANT USAGE ON SCHEMA public TO ", serving_role, ";\n",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ", serving_role, ";\n",
                "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ", serving_role, ";\n");
    }
    return tx.ExecScript(ddl);
  });
}

absl::Status CheckServingRole(Database& db) {
  if (db.dialect() != Dialect::kPostgres) return absl::OkStatus();
  return db.InTx(ReadTx(), [](Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(Row role, tx.QueryOne("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles "
                                              "WHERE rolname = current_user",
                                              {}, "current role"));
    std::string name = role.Text(0);
    if (role.Int(1) != 0 || role.Int(2) != 0) {
      return absl::FailedPreconditionError(StrCat(
          "database.url: the role '", name, "' is a superuser or has BYPASSRLS, so row-level security "
          "would not hold; connect as a role without them (see docs/operations.md, PostgreSQL roles)"));
    }
    TF_ASSIGN_OR_RETURN(Rows owned, tx.Query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                             "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                                             "AND pg_get_userbyid(c.relowner) = current_user"));
    if (!owned.empty()) {
      return absl::FailedPreconditionError(StrCat(
          "database.url: the role '", name, "' owns table ", owned.front().Text(0),
          ", and a table's owner can switch its row-level security off; serve as a role that owns no "
          "tables and set database.migration_url to the owner (see docs/operations.md, PostgreSQL roles)"));
    }
    TF_ASSIGN_OR_RETURN(Row access, tx.QueryOne("SELECT has_table_privilege(current_user, 'schema_migrations', 'SELECT')",
                                                {}, "privilege check"));
    if (access.Int(0) == 0) {
      return absl::FailedPreconditionError(StrCat("database.url: the role '", name,
                                                  "' cannot read the schema; run `trustctl db migrate`, which "
                                                  "grants it access"));
    }
    return absl::OkStatus();
  });
}

}  // namespace tf::store
