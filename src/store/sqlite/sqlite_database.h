#pragma once
// SQLite implementation of store::Database: WAL mode, busy timeout, foreign keys on, one
// writer connection (write transactions are serialised and start with BEGIN IMMEDIATE) plus a
// small pool of reader connections. Statements are prepared once per connection and cached.
// WAL checkpoints (copying committed pages into the database file) run on a thread and
// connection of their own, so a commit does not wait for one: the writer's WAL hook asks for a
// checkpoint every wal_checkpoint_pages pages; a commit copies only the last few pages the
// checkpointer left (so the WAL can restart from its beginning), or, once the WAL reaches four
// times that, waits for the checkpointer's pass and copies everything itself.
// Thread-safety: safe from any thread; each Transaction holds its connection exclusively.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/database.h"

struct sqlite3;

namespace tf::store {

class SqliteConnection;

struct SqliteOptions {
  std::string path;          //!< database file
  int readers = 4;           //!< reader connections
  int busy_timeout_ms = 5000;
  int wal_checkpoint_pages = 1000;  //!< WAL pages between checkpoints (4 KiB pages: 4 MiB)
  bool secure_delete = false;       //!< overwrite deleted and replaced content with zeros
};

class SqliteDatabase final : public Database {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(const SqliteOptions& options);
  ~SqliteDatabase() override;

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(const TxOptions& options) override;
  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string Describe() const override;
  absl::Status Ping() override;
  void SetQueryObserver(QueryObserver observer) override;

 private:
  friend class SqliteTransaction;
  explicit SqliteDatabase(SqliteOptions options);
  static int OnWalCommit(void* self, sqlite3* handle, const char* name, int pages);
  void RunCheckpointer();

  static constexpr int kCheckpointFinishPages = 256;
  static constexpr int kCheckpointBackstopFactor = 4;
  static constexpr std::chrono::milliseconds kCheckpointRetry{5};
  static constexpr int64_t kPageBytes = 4096;  //!< SQLite's default page size, which the store keeps

  SqliteConnection* AcquireReader();
  void ReleaseReader(SqliteConnection* conn);

  SqliteOptions options_;
  QueryObserver observer_;
  std::unique_ptr<SqliteConnection> writer_;
  std::mutex writer_mu_;
  // Lazy transactions are background work: they let writers waiting for writer_mu_ go first
  // (for up to kLazyMaxWait).
  std::atomic<int> writers_waiting_{0};
  std::condition_variable lazy_turn_;  // with writer_mu_: writers_waiting_ fell to 0
  std::vector<std::unique_ptr<SqliteConnection>> readers_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<SqliteConnection*> free_readers_;

  std::unique_ptr<SqliteConnection> checkpoint_conn_;
  std::mutex checkpoint_mu_;
  std::mutex checkpoint_run_mu_;  // held through each checkpoint call, by either thread
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // guarded by checkpoint_mu_
  bool stopping_ = false;           // guarded by checkpoint_mu_
  int wal_pages_at_request_ = 0;    // guarded by writer_mu_: the WAL's size at the last request
  std::atomic<bool> checkpoint_nearly_done_{false};  // the next commit copies what is left
  std::thread checkpointer_;
};

}  // namespace tf::store
