#pragma once
// PostgreSQL implementation of store::Database (libpq): a bounded pool of connections,
// statements prepared once per connection (`?` placeholders rewritten to `$n`), text-format
// parameters, transactions at the isolation each caller asks for, and the caller's tenant set
// per transaction for row-level security (`app.scope`, `app.tenant_id`; see rls.h).
//
// Failure model: a server that cannot be reached, or a connection that breaks, gives
// Unavailable; broken connections are dropped from the pool and replaced on demand, so service
// resumes by itself when the server comes back. A connection found broken when a transaction
// begins on it is replaced, transparently. Serialization failures and deadlocks are Aborted
// with IsSerializationFailure() so InTx can retry transactions marked retryable.
//
// Read replica (optional): read transactions marked ReplicaOk() go to the replica while it
// answers and lags the primary by at most replica_max_lag (checked at most every
// replica_check_every, on the request path); otherwise, and whenever the replica fails, they
// go to the primary. Lag is zero when the replica has replayed all it received, else the age
// of its last replayed transaction.
// Thread-safety: safe from any thread; each Transaction holds its connection exclusively.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/database.h"

namespace tf::store {

class PgConnection;

struct PostgresOptions {
  std::string url{};  //!< libpq connection URI or key=value string
  int pool_size = 8;
  //! How long Begin waits for a free connection before answering Unavailable.
  std::chrono::milliseconds acquire_timeout{5000};
  int connect_timeout_s = 5;
  std::string replica_url{};  //!< empty = no replica
  std::chrono::milliseconds replica_max_lag{5000};
  std::chrono::milliseconds replica_check_every{1000};
};

class PostgresDatabase final : public Database {
 public:
  //! Connects once to check the URL and the server; Unavailable when the server is down.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PostgresDatabase>> Open(const PostgresOptions& options);
  ~PostgresDatabase() override;

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(const TxOptions& options) override;
  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string Describe() const override;
  absl::Status Ping() override;
  void SetQueryObserver(QueryObserver observer) override;
  DatabaseStats Stats() const override;

 private:
  friend class PgTransaction;
  explicit PostgresDatabase(PostgresOptions options);
  absl::StatusOr<std::unique_ptr<PgConnection>> Acquire(bool* reused);
  void Release(std::unique_ptr<PgConnection> conn);
  //! Whether replica-tolerant reads may go to the replica now (re-checked when stale).
  bool ReplicaUsable();
  void ReplicaFailed(const absl::Status& status);

  PostgresOptions options_;
  std::string description_;
  QueryObserver observer_;
  mutable std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  //!< idle + in use

  std::unique_ptr<PostgresDatabase> replica_;
  mutable std::mutex replica_mu_;  // guards the replica_* state below
  std::chrono::steady_clock::time_point replica_checked_{};
  bool replica_usable_ = false;
  double replica_lag_ms_ = -1;
  std::string replica_problem_ = "not checked yet";
};

}  // namespace tf::store
