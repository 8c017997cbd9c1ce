#include "support/test_database.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/crypto.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/strings.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"

namespace tf::testing {

std::string BackendName(Backend backend) { return backend == Backend::kSqlite ? "sqlite" : "postgres"; }

absl::StatusOr<PgServer> TestPgServer() {
  const char* state = std::getenv("TF_TEST_PG_STATE");
  if (state == nullptr || *state == '\0') {
    return absl::FailedPreconditionError(
        "TF_TEST_PG_STATE is not set: run the tests through ctest (which starts PostgreSQL), or run "
        "scripts/pg-test-server.sh start DIR and export TF_TEST_PG_STATE=DIR");
  }
  std::ifstream in(std::filesystem::path(state) / "env");
  if (!in) return absl::FailedPreconditionError(StrCat("no PostgreSQL test server recorded in ", state, "/env"));
  std::map<std::string, std::string> vars;
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  PgServer server;
  server.port = std::atoi(vars["TF_TEST_PG_PORT"].c_str());
  server.admin_url = vars["TF_TEST_PG_ADMIN_URL"];
  server.owner_url = vars["TF_TEST_PG_OWNER_URL"];
  server.app_url = vars["TF_TEST_PG_APP_URL"];
  if (server.port == 0 || server.admin_url.empty()) {
    return absl::FailedPreconditionError(StrCat(state, "/env does not describe a PostgreSQL server"));
  }
  return server;
}

absl::Status PgExec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(StrCat("cannot connect to the PostgreSQL test server: ", err));
  }
  PGresult* r = PQexec(conn, sql.c_str());
  absl::Status status = absl::OkStatus();
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    status = absl::InternalError(StrCat(sql, ": ", PQresultErrorMessage(r)));
  }
  PQclear(r);
  PQfinish(conn);
  return status;
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(Backend backend, const Clock& clock,
                                                                   std::span<const store::Migration> migrations) {
  auto t = std::unique_ptr<TestDatabase>(new TestDatabase());
  t->backend_ = backend;
  if (backend == Backend::kSqlite) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tf-test-db-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return absl::UnavailableError("cannot create a temporary directory");
    t->dir_ = pattern;
    std::string path = t->dir_ + "/trust.db";
    t->url_ = "sqlite:" + path;
    TF_ASSIGN_OR_RETURN(auto db, store::SqliteDatabase::Open({path}));
    t->db_ = std::move(db);
  } else {
    TF_ASSIGN_OR_RETURN(PgServer server, TestPgServer());
    t->name_ = StrCat("tf_test_", crypto::HexEncode(SystemRng::Instance().Bytes(6)));
    t->admin_url_ = server.admin_url + "/postgres";
    TF_RETURN_IF_ERROR(PgExec(t->admin_url_, StrCat("CREATE DATABASE ", t->name_, " OWNER tf_owner")));
    t->url_ = StrCat(server.app_url, "/", t->name_);
    t->migration_url_ = StrCat(server.owner_url, "/", t->name_);
    // PostgreSQL 15 lets only the owner create in schema public.
    TF_ASSIGN_OR_RETURN(auto owner, store::PostgresDatabase::Open({t->migration_url_, 2}));
    t->owner_ = std::move(owner);
    TF_ASSIGN_OR_RETURN(auto db, store::PostgresDatabase::Open({t->url_, 8}));
    t->db_ = std::move(db);
  }
  if (!migrations.empty()) {
    TF_RETURN_IF_ERROR(store::ApplyMigrations(t->owner_db(), clock, migrations).status());
    TF_RETURN_IF_ERROR(store::SecureSchema(t->owner_db(), "tf_app"));
  }
  return t;
}

absl::StatusOr<std::unique_ptr<store::Database>> TestDatabase::OpenAnother(int pool_size) const {
  if (backend_ == Backend::kSqlite) {
    store::SqliteOptions options;
    options.path = dir_ + "/trust.db";
    options.readers = pool_size;
    TF_ASSIGN_OR_RETURN(auto db, store::SqliteDatabase::Open(options));
    return std::unique_ptr<store::Database>(std::move(db));
  }
  TF_ASSIGN_OR_RETURN(auto db, store::PostgresDatabase::Open({url_, pool_size}));
  return std::unique_ptr<store::Database>(std::move(db));
}

TestDatabase::~TestDatabase() {
  db_.reset();
  owner_.reset();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  if (!name_.empty()) (void)PgExec(admin_url_, StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
}

}  // namespace tf::testing
