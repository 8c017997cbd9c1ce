#pragma once
// SQLite implementation of store::Database: WAL mode, busy timeout, foreign keys on, one
// writer connection (write transactions are serialised and start with BEGIN IMMEDIATE) plus a
// small pool of reader connections. Statements are prepared once per connection and cached.
// Thread-safety: safe from any thread; each Transaction holds its connection exclusively.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/database.h"

namespace tf::store {

class SqliteConnection;

struct SqliteOptions {
  std::string path;          //!< database file
  int readers = 4;           //!< reader connections
  int busy_timeout_ms = 5000;
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
  SqliteConnection* AcquireReader();
  void ReleaseReader(SqliteConnection* conn);

  SqliteOptions options_;
  QueryObserver observer_;
  std::unique_ptr<SqliteConnection> writer_;
  std::mutex writer_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<SqliteConnection*> free_readers_;
};

}  // namespace tf::store
