#include "store/postgres/postgres_database.h"
#include "core/strings.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/status.h"
#include "store/postgres/pg_sql.h"

namespace tf::store {

namespace {

// Type OIDs from PostgreSQL's pg_type.dat (stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

//! What callers (and API clients, as 503) are told; the server's details go to the log.
absl::Status Unreachable() { return absl::UnavailableError("the database is unavailable; try again shortly"); }

bool IsConnectionState(std::string_view sqlstate) {
  // Class 08 (connection exception), admin/crash shutdown, cannot connect now.
  return absl::StartsWith(Sv(sqlstate), "08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

}  // namespace

//! One libpq connection with its prepared-statement cache.
class PgConnection {
 public:
  ~PgConnection() {
    if (conn_) PQfinish(conn_);
  }

  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const PostgresOptions& options) {
    std::string timeout = StrCat(options.connect_timeout_s);
    const char* keys[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
    const char* values[] = {options.url.c_str(), timeout.c_str(), "trustd", nullptr};
    auto conn = std::unique_ptr<PgConnection>(new PgConnection(PQconnectdbParams(keys, values, 1)));
    if (conn->conn_ == nullptr) return absl::ResourceExhaustedError("libpq could not allocate a connection");
    if (PQstatus(conn->conn_) != CONNECTION_OK) {
      log::Warn("cannot connect to PostgreSQL", {{"database", DescribePostgresUrl(options.url)},
                                                 {"error", conn->LastError()}});
      return Unreachable();
    }
    // Notices ("already exists, skipping") are expected chatter, not for stderr.
    PQsetNoticeProcessor(conn->conn_, [](void*, const char*) {}, nullptr);
    return conn;
  }

  //! True once the connection is known to be unusable.
  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

  //! Runs parameterless SQL (one or several statements) with the simple protocol.
  absl::Status ExecScript(std::string_view sql, std::string_view context) {
    std::string z(sql);
    Result r(PQexec(conn_, z.c_str()));
    return Check(r.get(), context);
  }

  //! Prepares (or reuses) `sql`, binds `params` and returns every row.
  absl::StatusOr<Rows> Run(std::string_view sql, const Params& params, int64_t* changes) {
    TF_ASSIGN_OR_RETURN(const Prepared* prepared, Prepare(sql));
    if (static_cast<size_t>(prepared->params) != params.size()) {
      return absl::InternalError(StrCat("statement expects ", prepared->params, " parameters, got ", params.size()));
    }
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0), formats(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return;
            } else if constexpr (std::is_same_v<T, int64_t>) {
              text[i] = StrCat(v);
            } else if constexpr (std::is_same_v<T, double>) {
              char buf[32];
              std::snprintf(buf, sizeof buf, "%.17g", v);
              text[i] = buf;
            } else if constexpr (std::is_same_v<T, Bytes>) {
              formats[i] = 1;  // bytea's binary form is the bytes themselves
              values[i] = v.data.data();
              lengths[i] = static_cast<int>(v.data.size());
              return;
            } else {
              text[i] = v;
            }
            values[i] = text[i].c_str();
          },
          params[i]);
      // libpq passes text parameters as C strings: a NUL would silently cut the value.
      if (values[i] != nullptr && formats[i] == 0 && text[i].find('\0') != std::string::npos) {
        return absl::InvalidArgumentError("text values cannot contain NUL characters");
      }
    }
    Result r(PQexecPrepared(conn_, prepared->name.c_str(), static_cast<int>(params.size()), values.data(),
                            lengths.data(), formats.data(), /*resultFormat=*/0));
    TF_RETURN_IF_ERROR(Check(r.get(), "running a statement"));
    Rows rows;
    int nrows = PQntuples(r.get());
    int ncols = PQnfields(r.get());
    rows.reserve(nrows);
    for (int row = 0; row < nrows; ++row) {
      std::vector<Value> out;
      out.reserve(ncols);
      for (int c = 0; c < ncols; ++c) out.push_back(Convert(r.get(), row, c));
      rows.emplace_back(std::move(out));
    }
    if (changes) {
      const char* n = PQcmdTuples(r.get());
      *changes = 0;
      if (n && *n) std::from_chars(n, n + std::char_traits<char>::length(n), *changes);
    }
    return rows;
  }

  //! Escapes a string literal for SQL built by this store (never for caller input in queries).
  std::string Literal(std::string_view s) {
    char* lit = PQescapeLiteral(conn_, s.data(), s.size());
    if (lit == nullptr) return "''";
    std::string out(lit);
    PQfreemem(lit);
    return out;
  }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  std::string LastError() const {
    std::string msg = conn_ ? PQerrorMessage(conn_) : "";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return msg;
  }

  struct Prepared {
    std::string name;
    int params = 0;
  };

  absl::StatusOr<const Prepared*> Prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return &it->second;
    if (absl::StripAsciiWhitespace(Sv(sql)).empty()) return absl::InternalError("empty SQL statement");
    Prepared prepared{StrCat("tf", cache_.size() + 1), 0};
    std::string converted = RewritePlaceholders(sql, &prepared.params);
    Result r(PQprepare(conn_, prepared.name.c_str(), converted.c_str(), 0, nullptr));
    TF_RETURN_IF_ERROR(Check(r.get(), "preparing a statement"));
    return &cache_.emplace(std::string(sql), std::move(prepared)).first->second;
  }

  //! OK for a successful result; otherwise the canonical code for its SQLSTATE.
  absl::Status Check(PGresult* r, std::string_view context) {
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return absl::OkStatus();
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string sqlstate = state ? state : "";
    std::string msg = StrCat(context, ": ", primary ? std::string(primary) : LastError());
    if (sqlstate.empty() || IsConnectionState(sqlstate) || PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
      log::Warn("PostgreSQL connection lost", {{"error", msg}});
      return Unreachable();
    }
    if (sqlstate == "40001" || sqlstate == "40P01") {
      return SerializationFailure("the change conflicted with a concurrent change; try again");
    }
    if (sqlstate == "23505") return absl::AlreadyExistsError(msg);
    if (absl::StartsWith(sqlstate, "23")) return absl::FailedPreconditionError(msg);
    if (absl::StartsWith(sqlstate, "53") || sqlstate == "57014") return absl::UnavailableError(msg);
    if (sqlstate == "42501") return absl::PermissionDeniedError(StrCat(msg, " (SQLSTATE 42501)"));
    return absl::InternalError(StrCat(msg, " (SQLSTATE ", sqlstate, ")"));
  }

  static Value Convert(PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col)) return nullptr;
    const char* v = PQgetvalue(r, row, col);
    int len = PQgetlength(r, row, col);
    switch (PQftype(r, col)) {
      case kBoolOid:
        return int64_t{v[0] == 't' ? 1 : 0};
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid:
      case kOidOid: {
        int64_t out = 0;
        std::from_chars(v, v + len, out);
        return out;
      }
      case kFloat4Oid:
      case kFloat8Oid:
      case kNumericOid:
        return std::strtod(v, nullptr);
      case kByteaOid: {  // text form: \x and two hex digits a byte
        std::string hex(v, len);
        return Bytes{absl::HexStringToBytes(hex.size() >= 2 ? hex.substr(2) : "")};
      }
      default:
        return std::string(v, len);
    }
  }

  PGconn* conn_;
  bool broken_ = false;
  std::unordered_map<std::string, Prepared> cache_;
};

class PgTransaction final : public Transaction {
 public:
  PgTransaction(PostgresDatabase* owner, std::unique_ptr<PgConnection> conn)
      : owner_(owner), conn_(std::move(conn)) {}

  ~PgTransaction() override {
    if (!done_ && !conn_->broken()) (void)conn_->ExecScript("ROLLBACK", "rolling back");
    owner_->Release(std::move(conn_));
  }

  absl::StatusOr<Rows> Query(std::string_view sql, const Params& params) override {
    return Observed(owner_->observer_, [&] { return conn_->Run(sql, params, nullptr); });
  }

  absl::StatusOr<int64_t> Exec(std::string_view sql, const Params& params) override {
    int64_t changes = 0;
    auto rows = Observed(owner_->observer_, [&] { return conn_->Run(sql, params, &changes); });
    if (!rows.ok()) return rows.status();
    return changes;
  }

  absl::Status ExecScript(std::string_view sql) override { return conn_->ExecScript(sql, "executing SQL script"); }

  absl::StatusOr<std::vector<int64_t>> NextValues(const Sequence& sequence, int count) override {
    TF_ASSIGN_OR_RETURN(Rows rows,
                        Query("SELECT nextval(CAST(? AS regclass)) FROM generate_series(1, CAST(? AS integer))",
                              {std::string(sequence.name), int64_t{count}}));
    std::vector<int64_t> out;
    for (const Row& r : rows) out.push_back(r.Int(0));
    return out;
  }

  absl::Status Commit() override {
    if (done_) return absl::FailedPreconditionError("transaction already finished");
    absl::Status s = conn_->ExecScript("COMMIT", "committing");
    done_ = true;  // a failed COMMIT has rolled back
    return s;
  }

 private:
  PostgresDatabase* owner_;
  std::unique_ptr<PgConnection> conn_;
  bool done_ = false;
};

PostgresDatabase::PostgresDatabase(PostgresOptions options)
    : options_(std::move(options)), description_(DescribePostgresUrl(options_.url)) {}

PostgresDatabase::~PostgresDatabase() = default;

absl::StatusOr<std::unique_ptr<PostgresDatabase>> PostgresDatabase::Open(const PostgresOptions& options) {
  if (options.pool_size < 1) return absl::InvalidArgumentError("database pool size must be at least 1");
  auto db = std::unique_ptr<PostgresDatabase>(new PostgresDatabase(options));
  TF_RETURN_IF_ERROR(db->Ping());
  if (!options.replica_url.empty()) {
    // The replica is optional: one that is down at start-up is used once it answers.
    PostgresOptions replica = options;
    replica.url = options.replica_url;
    replica.replica_url.clear();
    replica.pool_size = std::max(1, options.pool_size / 2);
    replica.connect_timeout_s = 2;
    replica.acquire_timeout = std::chrono::milliseconds(500);
    db->replica_ = std::unique_ptr<PostgresDatabase>(new PostgresDatabase(replica));
  }
  return db;
}

bool PostgresDatabase::ReplicaUsable() {
  std::lock_guard lock(replica_mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - replica_checked_ < options_.replica_check_every) return replica_usable_;
  replica_checked_ = now;
  auto lag = replica_->InTx(ReadTx(), [](Transaction& tx) -> absl::StatusOr<double> {
    TF_ASSIGN_OR_RETURN(Row row, tx.QueryOne(
        // WAL received but not replayed: behind by the age of the last replayed transaction, or
        // by an unknown amount (taken as too much) when none was replayed since start-up.
        "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
        "THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000, 1e9) END",
        {}, "replica lag"));
    return row.Double(0);
  });
  if (!lag.ok()) {
    replica_usable_ = false;
    replica_lag_ms_ = -1;
    replica_problem_ = StrCat("the replica does not answer (", lag.status().message(), ")");
    return false;
  }
  replica_lag_ms_ = *lag;
  replica_usable_ = *lag <= static_cast<double>(options_.replica_max_lag.count());
  replica_problem_ = replica_usable_ ? "" : StrCat("the replica lags by ", static_cast<int64_t>(*lag), " ms");
  return replica_usable_;
}

void PostgresDatabase::ReplicaFailed(const absl::Status& status) {
  std::lock_guard lock(replica_mu_);
  replica_usable_ = false;
  replica_checked_ = std::chrono::steady_clock::now();
  replica_problem_ = StrCat("the replica failed (", status.message(), ")");
}

absl::StatusOr<std::unique_ptr<PgConnection>> PostgresDatabase::Acquire(bool* reused) {
  std::unique_lock lock(mu_);
  if (!available_.wait_for(lock, options_.acquire_timeout,
                           [&] { return !idle_.empty() || open_ < options_.pool_size; })) {
    return absl::UnavailableError(StrCat("all ", options_.pool_size,
                                         " PostgreSQL connections stayed busy for ",
                                         options_.acquire_timeout.count(), " ms"));
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    *reused = true;
    return conn;
  }
  ++open_;
  lock.unlock();
  *reused = false;
  auto conn = PgConnection::Connect(options_);
  if (!conn.ok()) {
    lock.lock();
    --open_;
    lock.unlock();
    available_.notify_one();
  }
  return conn;
}

void PostgresDatabase::Release(std::unique_ptr<PgConnection> conn) {
  std::vector<std::unique_ptr<PgConnection>> dropped;
  {
    std::lock_guard lock(mu_);
    if (conn->broken()) {
      // The server went away or restarted: the idle connections are most likely dead too.
      dropped = std::move(idle_);
      idle_.clear();
      open_ -= static_cast<int>(dropped.size()) + 1;
      dropped.push_back(std::move(conn));
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  available_.notify_all();
}

absl::StatusOr<std::unique_ptr<Transaction>> PostgresDatabase::Begin(const TxOptions& options) {
  if (replica_ && options.mode == TxMode::kRead && options.replica_ok && ReplicaUsable()) {
    auto tx = replica_->Begin(options);
    if (tx.ok()) return tx;
    ReplicaFailed(tx.status());  // and serve this read from the primary
  }
  for (;;) {
    bool reused = false;
    TF_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire(&reused));
    std::string begin = BeginStatement(options, [&](std::string_view s) { return conn->Literal(s); });
    absl::Status s = conn->ExecScript(begin, "beginning a transaction");
    if (s.ok()) return std::unique_ptr<Transaction>(new PgTransaction(this, std::move(conn)));
    bool stale = reused && conn->broken();
    Release(std::move(conn));
    // A pooled connection that died while idle (server restart) is replaced; a fresh one
    // that fails means the server is down.
    if (!stale) return s;
  }
}

std::string PostgresDatabase::Describe() const { return description_; }

absl::Status PostgresDatabase::Ping() {
  TF_ASSIGN_OR_RETURN(auto tx, Begin(ReadTx()));
  TF_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT 1"));
  return rows.size() == 1 ? absl::OkStatus() : absl::InternalError("SELECT 1 returned nothing");
}

void PostgresDatabase::SetQueryObserver(QueryObserver observer) {
  if (replica_) replica_->SetQueryObserver(observer);
  observer_ = std::move(observer);
}

DatabaseStats PostgresDatabase::Stats() const {
  DatabaseStats stats;
  {
    std::lock_guard lock(mu_);
    stats.pool_open = open_;
    stats.pool_in_use = open_ - static_cast<int>(idle_.size());
    stats.pool_max = options_.pool_size;
  }
  if (replica_) {
    std::lock_guard lock(replica_mu_);
    stats.replica_configured = true;
    stats.replica_in_use = replica_usable_;
    stats.replica_lag_ms = replica_lag_ms_;
    stats.replica_problem = replica_problem_;
  }
  return stats;
}

}  // namespace tf::store
