#pragma once
// GroupCommit: many threads' small writes shared out into few transactions, as LevelDB's writer
// queue does. Each Submit queues its item; the first caller to find no batch being written takes
// the whole queue (up to max_batch items), writes it in one transaction and one commit (one
// fsync), and wakes the others, whose items were in it. Under load, batches grow with the
// number of waiting callers; alone, a caller writes its item at once.
// Thread-safety: Submit is safe from any thread; `write` runs on one caller's thread at a time.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "store/database.h"

namespace tf::store {

template <typename T>
class GroupCommit {
 public:
  //! Writes a batch in its transaction; may change the items (e.g. give them ids), must be
  //! safe to run again with the same items when a serialisation failure retries it.
  using WriteFn = std::function<absl::Status(Transaction&, std::vector<T>&)>;
  //! Told each batch's size and outcome (metrics). May be empty.
  using BatchFn = std::function<void(size_t items, const absl::Status& status)>;

  GroupCommit(Database& db, WriteFn write, size_t max_batch, BatchFn on_batch = {})
      : db_(db), write_(std::move(write)), max_batch_(max_batch), on_batch_(std::move(on_batch)) {}

  //! Returns once `item` committed (or its batch failed: then every item of it gets the error).
  [[nodiscard]] absl::Status Submit(T item) {
    Waiter self{&item, absl::OkStatus(), false};
    std::unique_lock lock(mu_);
    queue_.push_back(&self);
    cv_.wait(lock, [&] { return self.done || !writing_; });
    if (self.done) return self.status;
    writing_ = true;
    std::vector<Waiter*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    std::vector<T> items;
    items.reserve(batch.size());
    for (Waiter* w : batch) items.push_back(std::move(*w->item));
    absl::Status status =
        db_.InTx(WriteTx().Retryable(), [&](Transaction& tx) -> absl::Status { return write_(tx, items); });
    if (on_batch_) on_batch_(batch.size(), status);
    lock.lock();
    for (Waiter* w : batch) {
      w->status = status;
      w->done = true;
    }
    writing_ = false;
    cv_.notify_all();
    return self.status;
  }

 private:
  struct Waiter {
    T* item;
    absl::Status status;
    bool done = false;
  };

  Database& db_;
  WriteFn write_;
  size_t max_batch_;
  BatchFn on_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Waiter*> queue_;  // guarded by mu_
  bool writing_ = false;       // guarded by mu_: a caller is writing a batch
};

}  // namespace tf::store
