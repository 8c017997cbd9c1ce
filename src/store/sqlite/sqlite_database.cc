#include "store/sqlite/sqlite_database.h"
#include "core/strings.h"

#include <pthread.h>
#include <sqlite3.h>

#include <chrono>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/status.h"

namespace tf::store {

namespace {

//! The writer's setting: every commit flushed before it returns (lazy commits aside).
constexpr std::string_view kSynchronousFull = "PRAGMA synchronous = FULL";
//! Longest a lazy transaction lets waiting writers go first: under a steady queue of writers it
//! then takes its turn anyway, so the tree builder is delayed, never starved.
constexpr std::chrono::seconds kLazyMaxWait{1};

absl::Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  std::string msg = StrCat(context, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT:
      if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(msg);
      }
      return absl::FailedPreconditionError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(msg);
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace

//! One sqlite3 handle with its statement cache.
class SqliteConnection {
 public:
  ~SqliteConnection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const SqliteOptions& options,
                                                                bool writer) {
    auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection());
    int flags = SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                              : SQLITE_OPEN_READONLY);
    int rc = sqlite3_open_v2(options.path.c_str(), &conn->db_, flags, nullptr);
    if (rc != SQLITE_OK) return SqliteError(conn->db_, rc, "opening the SQLite database");
    sqlite3_extended_result_codes(conn->db_, 1);
    sqlite3_busy_timeout(conn->db_, options.busy_timeout_ms);
    std::string pragmas = "PRAGMA foreign_keys = ON;";
    if (writer) pragmas += StrCat("PRAGMA journal_mode = WAL; ", kSynchronousFull, ";");
    if (writer && options.secure_delete) pragmas += "PRAGMA secure_delete = ON;";
    TF_RETURN_IF_ERROR(conn->ExecScript(pragmas));
    return conn;
  }

  sqlite3* handle() const { return db_; }

  absl::Status ExecScript(std::string_view sql) {
    std::string z(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, z.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return SqliteError(db_, rc, StrCat("executing SQL script (", msg, ")"));
    }
    return absl::OkStatus();
  }

  //! Prepares (or reuses) `sql`, binds `params` and steps through all rows.
  absl::StatusOr<Rows> Run(std::string_view sql, const Params& params, int64_t* changes) {
    TF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    struct Resetter {
      sqlite3_stmt* s;
      ~Resetter() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } resetter{stmt};
    if (static_cast<size_t>(sqlite3_bind_parameter_count(stmt)) != params.size()) {
      return absl::InternalError(StrCat("statement expects ", sqlite3_bind_parameter_count(stmt),
                                              " parameters, got ", params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) return sqlite3_bind_null(stmt, idx);
            else if constexpr (std::is_same_v<T, int64_t>) return sqlite3_bind_int64(stmt, idx, v);
            else if constexpr (std::is_same_v<T, double>) return sqlite3_bind_double(stmt, idx, v);
            // `params` outlives the statement's use of it (the Resetter clears the bindings).
            else if constexpr (std::is_same_v<T, Bytes>) {
              return sqlite3_bind_blob(stmt, idx, v.data.data(), static_cast<int>(v.data.size()), SQLITE_STATIC);
            } else return sqlite3_bind_text(stmt, idx, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
          },
          params[i]);
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "binding a parameter");
    }
    Rows rows;
    int ncols = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqliteError(db_, rc, "running a statement");
      std::vector<Value> values;
      values.reserve(ncols);
      for (int c = 0; c < ncols; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL: values.emplace_back(nullptr); break;
          case SQLITE_INTEGER: values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c))); break;
          case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(stmt, c)); break;
          case SQLITE_BLOB: {
            const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, c));
            values.emplace_back(Bytes{std::string(blob ? blob : "", sqlite3_column_bytes(stmt, c))});
            break;
          }
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            values.emplace_back(std::string(text ? text : "", sqlite3_column_bytes(stmt, c)));
          }
        }
      }
      rows.emplace_back(std::move(values));
    }
    if (changes) *changes = sqlite3_changes64(db_);
    return rows;
  }

 private:
  SqliteConnection() = default;

  absl::StatusOr<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "preparing a statement");
    if (stmt == nullptr) return absl::InternalError("empty SQL statement");
    cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  sqlite3* db_ = nullptr;
  //! Looked up by the SQL's view, without copying it.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase* owner, SqliteConnection* conn, bool writer,
                    std::unique_lock<std::mutex> writer_lock, bool lazy_commit = false)
      : owner_(owner), conn_(conn), writer_(writer), lazy_commit_(lazy_commit), writer_lock_(std::move(writer_lock)) {}

  ~SqliteTransaction() override {
    if (!done_) (void)conn_->ExecScript("ROLLBACK");
    if (lazy_commit_) (void)conn_->ExecScript(kSynchronousFull);
    if (!writer_) owner_->ReleaseReader(conn_);
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

  absl::Status ExecScript(std::string_view sql) override { return conn_->ExecScript(sql); }

  absl::StatusOr<std::vector<int64_t>> NextValues(const Sequence& sequence, int count) override {
    // This transaction holds the one write lock, so nobody else takes the same values; reading
    // the largest is one step down the column's index, and no counter row costs a page a commit.
    if (!writer_) return absl::FailedPreconditionError("sequence values are taken in a write transaction");
    TF_ASSIGN_OR_RETURN(Row top, QueryOne(StrCat("SELECT coalesce(max(", sequence.column, ") + 1, 0) FROM ",
                                                 sequence.table),
                                          {}, StrCat("sequence ", sequence.name)));
    std::vector<int64_t> out;
    for (int64_t v = top.Int(0); v < top.Int(0) + count; ++v) out.push_back(v);
    return out;
  }

  absl::Status Commit() override {
    if (done_) return absl::FailedPreconditionError("transaction already finished");
    TF_RETURN_IF_ERROR(conn_->ExecScript("COMMIT"));
    done_ = true;
    return absl::OkStatus();
  }

 private:
  SqliteDatabase* owner_;
  SqliteConnection* conn_;
  bool writer_;
  bool lazy_commit_;  // synchronous=NORMAL for this transaction, FULL again at its end
  std::unique_lock<std::mutex> writer_lock_;
  bool done_ = false;
};

SqliteDatabase::SqliteDatabase(SqliteOptions options) : options_(std::move(options)) {}

SqliteDatabase::~SqliteDatabase() {
  if (!checkpointer_.joinable()) return;
  {
    std::lock_guard lock(checkpoint_mu_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_one();
  checkpointer_.join();
}

absl::StatusOr<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const SqliteOptions& options) {
  if (options.wal_checkpoint_pages < 1) {
    return absl::InvalidArgumentError("wal_checkpoint_pages must be at least 1");
  }
  auto db = std::unique_ptr<SqliteDatabase>(new SqliteDatabase(options));
  TF_ASSIGN_OR_RETURN(db->writer_, SqliteConnection::Open(options, /*writer=*/true));
  for (int i = 0; i < std::max(1, options.readers); ++i) {
    TF_ASSIGN_OR_RETURN(auto reader, SqliteConnection::Open(options, /*writer=*/false));
    db->free_readers_.push_back(reader.get());
    db->readers_.push_back(std::move(reader));
  }
  // A WAL reset after a checkpoint gives back what the file grew beyond the backstop (a reader's
  // snapshot can hold a checkpoint back that long).
  TF_RETURN_IF_ERROR(db->writer_->ExecScript(StrCat(
      "PRAGMA journal_size_limit = ", int64_t{options.wal_checkpoint_pages} * kCheckpointBackstopFactor * kPageBytes)));
  TF_ASSIGN_OR_RETURN(db->checkpoint_conn_, SqliteConnection::Open(options, /*writer=*/true));
  // The hook replaces SQLite's automatic checkpoint in the committing connection.
  sqlite3_wal_hook(db->writer_->handle(), &SqliteDatabase::OnWalCommit, db.get());
  db->checkpointer_ = std::thread([raw = db.get()] { raw->RunCheckpointer(); });
  return db;
}

int SqliteDatabase::OnWalCommit(void* self, sqlite3* handle, const char*, int pages) {
  auto* db = static_cast<SqliteDatabase*>(self);
  // Runs on the writing thread after each commit, under writer_mu_.
  if (pages < db->wal_pages_at_request_) db->wal_pages_at_request_ = 0;  // the WAL was reset
  // The WAL restarts from its beginning only when the next write finds every frame copied,
  // which a checkpoint racing the writes never gets to: once the checkpointer is within
  // kCheckpointFinishPages of the end, the commit copies the rest itself (a few pages). If the
  // checkpointer is not keeping up and the WAL reaches the backstop, the commit waits for the
  // pass in progress and copies everything: with the writer held, nothing escapes that pass.
  const int interval = db->options_.wal_checkpoint_pages;
  if (pages >= interval * kCheckpointBackstopFactor) {
    std::lock_guard run(db->checkpoint_run_mu_);
    sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    db->checkpoint_nearly_done_ = false;
  } else if (db->checkpoint_nearly_done_.exchange(false)) {
    sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= db->wal_pages_at_request_ + interval) {
    db->wal_pages_at_request_ = pages;
    {
      std::lock_guard lock(db->checkpoint_mu_);
      db->checkpoint_wanted_ = true;
    }
    db->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteDatabase::RunCheckpointer() {
  pthread_setname_np(pthread_self(), "sqlite-ckpt");
  std::unique_lock lock(checkpoint_mu_);
  while (true) {
    checkpoint_cv_.wait(lock, [&] { return checkpoint_wanted_ || stopping_; });
    if (stopping_) return;
    checkpoint_wanted_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, without blocking writers or readers; again
    // while the writes it raced left more than a few pages behind, pausing when a pass copied
    // nothing new (a reader's snapshot holds the rest back).
    for (int frames = 0, copied = 0, before = -1;; before = copied) {
      int rc;
      {
        std::lock_guard run(checkpoint_run_mu_);
        rc = sqlite3_wal_checkpoint_v2(checkpoint_conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                       &copied);
      }
      if (rc != SQLITE_OK) {
        if (rc != SQLITE_BUSY) {
          log::Warn("WAL checkpoint failed", {{"error", sqlite3_errmsg(checkpoint_conn_->handle())}});
        }
        break;
      }
      if (frames - copied < kCheckpointFinishPages) {
        // SQLite syncs the database file only when a checkpoint reaches the end of the WAL it
        // saw; otherwise sync what this pass copied now, so the commit that copies the last
        // pages (and syncs) has little to flush.
        if (copied < frames) {
          sqlite3_file* file = nullptr;
          if (sqlite3_file_control(checkpoint_conn_->handle(), "main", SQLITE_FCNTL_FILE_POINTER, &file) ==
                  SQLITE_OK &&
              file && file->pMethods) {
            file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
          }
        }
        checkpoint_nearly_done_ = true;
        break;
      }
      std::unique_lock stop(checkpoint_mu_);
      if (stopping_) break;
      if (copied == before) {  // a reader holds the rest back for now
        checkpoint_cv_.wait_for(stop, kCheckpointRetry, [&] { return stopping_; });
      }
    }
    lock.lock();
  }
}

absl::StatusOr<std::unique_ptr<Transaction>> SqliteDatabase::Begin(const TxOptions& options) {
  if (options.mode == TxMode::kWrite) {
    std::unique_lock lock(writer_mu_, std::defer_lock);
    if (options.lazy_commit) {
      lock.lock();
      lazy_turn_.wait_for(lock, kLazyMaxWait, [&] { return writers_waiting_ == 0; });
    } else {
      ++writers_waiting_;
      lock.lock();
      if (--writers_waiting_ == 0) lazy_turn_.notify_all();
    }
    // WAL with synchronous=NORMAL: the commit is not flushed, and the next FULL one flushes it.
    if (options.lazy_commit) TF_RETURN_IF_ERROR(writer_->ExecScript("PRAGMA synchronous = NORMAL"));
    absl::Status begun = writer_->ExecScript("BEGIN IMMEDIATE");
    if (!begun.ok()) {
      if (options.lazy_commit) (void)writer_->ExecScript(kSynchronousFull);
      return begun;
    }
    return std::make_unique<SqliteTransaction>(this, writer_.get(), true, std::move(lock), options.lazy_commit);
  }
  SqliteConnection* conn = AcquireReader();
  absl::Status begun = conn->ExecScript("BEGIN");
  if (!begun.ok()) {
    ReleaseReader(conn);
    return begun;
  }
  return std::make_unique<SqliteTransaction>(this, conn, false, std::unique_lock<std::mutex>());
}

SqliteConnection* SqliteDatabase::AcquireReader() {
  std::unique_lock lock(readers_mu_);
  readers_cv_.wait(lock, [&] { return !free_readers_.empty(); });
  SqliteConnection* conn = free_readers_.back();
  free_readers_.pop_back();
  return conn;
}

void SqliteDatabase::ReleaseReader(SqliteConnection* conn) {
  {
    std::lock_guard lock(readers_mu_);
    free_readers_.push_back(conn);
  }
  readers_cv_.notify_one();
}

std::string SqliteDatabase::Describe() const { return StrCat("sqlite:", options_.path); }

absl::Status SqliteDatabase::Ping() {
  TF_ASSIGN_OR_RETURN(auto tx, Begin(ReadTx()));
  TF_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT 1"));
  return rows.size() == 1 ? absl::OkStatus() : absl::InternalError("SELECT 1 returned nothing");
}

void SqliteDatabase::SetQueryObserver(QueryObserver observer) { observer_ = std::move(observer); }

}  // namespace tf::store
