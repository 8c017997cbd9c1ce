#pragma once
// store::Database: the one way modules reach persistent state. Prepared statements with bound
// parameters only (`?` placeholders in every dialect), typed rows, and transactions that carry
// the caller's tenant (PostgreSQL sets it for row-level security; SQLite ignores it).
// SQL given to Query/Exec is the common subset of SQLite and PostgreSQL; dialect differences
// stay inside store/.
// Thread-safety: Database is safe from any thread; a Transaction belongs to one thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tf::store {

//! A byte string (SQLite BLOB, PostgreSQL bytea), as opposed to text.
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Bytes>;
using Params = std::vector<Value>;

//! A nullable text parameter.
inline Value OptText(const std::optional<std::string>& s) {
  return s ? Value(*s) : Value(nullptr);
}
inline Value OptInt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(nullptr); }

//! One result row. Accessors are lenient on the representation the engine chose (an integer
//! column read as text is converted; Text of a byte string gives its bytes), strict on NULL:
//! Int/Text of NULL give 0/"".
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const;
  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  std::string Text(size_t i) const;
  std::optional<int64_t> OptInt(size_t i) const;
  std::optional<std::string> OptText(size_t i) const;
  const Value& at(size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;

enum class TxMode { kRead, kWrite };

//! PostgreSQL's isolation levels. SQLite runs every transaction serialisably (one writer,
//! snapshot readers) whatever is asked.
enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

struct TxOptions {
  TxMode mode = TxMode::kWrite;
  //! The caller's tenant, for row-level security; empty for platform-wide work.
  std::string tenant_id;
  //! Writes default to serializable, so a module written against SQLite's single writer keeps
  //! its guarantees on PostgreSQL; reads see one snapshot.
  Isolation isolation = Isolation::kSerializable;
  //! InTx may run the function again after a serialization failure: set only when the function
  //! has no effect outside the transaction and does not depend on state a failed run left.
  bool retryable = false;
  //! A read that may be served by a read replica (lists and reports that tolerate a bounded lag).
  bool replica_ok = false;
  //! The commit returns without waiting for the disk (SQLite: synchronous=NORMAL for it;
  //! PostgreSQL: synchronous_commit off). Such a commit is never half-applied or reordered: it
  //! is durable once a later ordinary commit is, and a crash before that may lose it. Only for
  //! data derived again from what is durable (the audit tree's tiles), so that its many small
  //! writes do not each cost a flush in front of the writers that need one. On SQLite a lazy
  //! transaction is also background work: it lets writers that wait go first, for up to 1 s.
  bool lazy_commit = false;

  TxOptions& Retryable() {
    retryable = true;
    return *this;
  }
  TxOptions& At(Isolation level) {
    isolation = level;
    return *this;
  }
  TxOptions& ReplicaOk() {
    replica_ok = true;
    return *this;
  }
  TxOptions& LazyCommit() {
    lazy_commit = true;
    return *this;
  }
};

inline TxOptions ReadTx(std::string tenant_id = {}) {
  return {TxMode::kRead, std::move(tenant_id), Isolation::kRepeatableRead};
}
inline TxOptions WriteTx(std::string tenant_id = {}) {
  return {TxMode::kWrite, std::move(tenant_id), Isolation::kSerializable};
}

//! Marks `status` (Aborted) as a serialization failure or deadlock that a retry may cure.
absl::Status SerializationFailure(std::string_view message);
bool IsSerializationFailure(const absl::Status& status);
//! How often InTx runs a retryable transaction at most.
inline constexpr int kMaxTxAttempts = 16;
//! Sleeps a little before attempt `attempt` (1-based) of a retried transaction.
void BackoffBeforeRetry(int attempt);

//! Integers numbering the rows of `table` by its `column`: see Transaction::NextValues.
struct Sequence {
  std::string_view name;  //!< PostgreSQL's sequence
  std::string_view table;
  std::string_view column;
};

class Transaction {
 public:
  //! Rolls back unless Commit() succeeded.
  virtual ~Transaction() = default;
  [[nodiscard]] virtual absl::StatusOr<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  //! Runs a statement; returns the number of rows changed.
  [[nodiscard]] virtual absl::StatusOr<int64_t> Exec(std::string_view sql, const Params& params = {}) = 0;
  //! Runs several `;`-separated statements without parameters (migrations).
  [[nodiscard]] virtual absl::Status ExecScript(std::string_view sql) = 0;
  //! `count` new values of `sequence`, ascending and never handed out twice. PostgreSQL takes
  //! them from the named sequence (created by a migration); its nextval does not wait for
  //! concurrent transactions, so values of a rolled-back transaction are skipped and commit
  //! order may differ from value order. SQLite, whose write transactions run one at a time,
  //! continues from the largest value in the numbered column, in this transaction (so values are
  //! gap-free and in commit order): rows must never be removed from the top of that column.
  [[nodiscard]] virtual absl::StatusOr<std::vector<int64_t>> NextValues(const Sequence& sequence, int count) = 0;
  [[nodiscard]] virtual absl::Status Commit() = 0;

  //! First row of a query, or NotFound with `what` in the message.
  [[nodiscard]] absl::StatusOr<Row> QueryOne(std::string_view sql, const Params& params,
                                             std::string_view what);
};

enum class Dialect { kSqlite, kPostgres };

//! Called after every statement with its duration in seconds (for metrics).
using QueryObserver = std::function<void(double seconds)>;

//! Runs one statement and reports its duration to `observer` when set (backends' helper).
template <typename F>
auto Observed(const QueryObserver& observer, F&& statement) {
  auto start = std::chrono::steady_clock::now();
  auto result = statement();
  if (observer) observer(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

//! What a backend can tell an operator about itself (for /health/detailed); -1 = not known.
struct DatabaseStats {
  int pool_open = -1;     //!< connections held (idle + in use)
  int pool_in_use = -1;
  int pool_max = -1;
  bool replica_configured = false;
  bool replica_in_use = false;  //!< replica-tolerant reads go to the replica now
  double replica_lag_ms = -1;
  std::string replica_problem;  //!< why reads are on the primary, when they are
};

class Database {
 public:
  virtual ~Database() = default;
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<Transaction>> Begin(const TxOptions& options) = 0;
  virtual Dialect dialect() const = 0;
  //! A short description for health output, without credentials.
  virtual std::string Describe() const = 0;
  //! Cheap round trip to prove the store answers.
  [[nodiscard]] virtual absl::Status Ping() = 0;
  //! Call once at start-up, before any transaction begins (not synchronised with queries).
  virtual void SetQueryObserver(QueryObserver observer) = 0;
  virtual DatabaseStats Stats() const { return {}; }

  //! Runs `fn` in a transaction and commits when it returns OK. A retryable transaction that
  //! fails to serialise is run again, up to kMaxTxAttempts times.
  template <typename Fn>
  [[nodiscard]] auto InTx(const TxOptions& options, Fn&& fn) -> decltype(fn(std::declval<Transaction&>()));
};

template <typename Fn>
auto Database::InTx(const TxOptions& options, Fn&& fn)
    -> decltype(fn(std::declval<Transaction&>())) {
  for (int attempt = 1;; ++attempt) {
    auto once = [&]() -> decltype(fn(std::declval<Transaction&>())) {
      auto tx = Begin(options);
      if (!tx.ok()) return tx.status();
      auto result = fn(**tx);
      if (!result.ok()) return result;
      absl::Status committed = (*tx)->Commit();
      if (!committed.ok()) return committed;
      return result;
    };
    auto result = once();
    if (result.ok() || !options.retryable || attempt >= kMaxTxAttempts) return result;
    absl::Status status = [&] {
      if constexpr (std::is_same_v<std::decay_t<decltype(result)>, absl::Status>) return result;
      else return result.status();
    }();
    if (!IsSerializationFailure(status)) return result;
    BackoffBeforeRetry(attempt);
  }
}

}  // namespace tf::store
