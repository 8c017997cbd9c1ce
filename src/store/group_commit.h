#pragma once
// GroupCommit: many threads' small writes shared out into few transactions, as LevelDB's writer
// queue does. Each Submit queues its item; the caller that finds no batch being written leads:
// it takes the queue (up to max_batch items), writes it in one transaction and one commit (one
// fsync), hands the lead to the first caller still queued and wakes those whose items were in
// the batch, each alone (waking every waiter at once cost more than the writes under load).
// Under load, batches grow with the number of waiting callers; alone, a caller writes its item
// at once.
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
    Waiter self;
    self.item = &item;
    {
      std::lock_guard lock(mu_);
      queue_.push_back(&self);
      if (!writing_) {
        writing_ = true;
        self.state = State::kLead;
      }
    }
    {
      std::unique_lock lock(self.mu);
      self.cv.wait(lock, [&] { return self.state != State::kQueued; });
      if (self.state == State::kDone) return self.status;
    }
    // The leader: it is at the queue's front, so its own item is in the batch it writes.
    std::vector<Waiter*> batch;
    {
      std::lock_guard lock(mu_);
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    std::vector<T> items;
    items.reserve(batch.size());
    for (Waiter* w : batch) items.push_back(std::move(*w->item));
    absl::Status status =
        db_.InTx(WriteTx().Retryable(), [&](Transaction& tx) -> absl::Status { return write_(tx, items); });
    if (on_batch_) on_batch_(batch.size(), status);
    // Hands the lead to the next waiter, if any, before waking this batch's.
    Waiter* next = nullptr;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) {
        writing_ = false;
      } else {
        next = queue_.front();
      }
    }
    if (next) Wake(next, State::kLead, {});
    for (Waiter* w : batch) {
      if (w != &self) Wake(w, State::kDone, status);
    }
    return status;
  }

 private:
  enum class State { kQueued, kLead, kDone };
  //! One caller: woken alone (never all at once), when its batch is written or it is to lead.
  struct Waiter {
    T* item = nullptr;
    absl::Status status;
    State state = State::kQueued;  // guarded by mu
    std::mutex mu;
    std::condition_variable cv;
  };

  //! The waiter may return (and its Waiter go) as soon as `mu` is released: nothing after it.
  static void Wake(Waiter* w, State state, const absl::Status& status) {
    std::lock_guard lock(w->mu);
    w->status = status;
    w->state = state;
    w->cv.notify_one();
  }

  Database& db_;
  WriteFn write_;
  size_t max_batch_;
  BatchFn on_batch_;
  std::mutex mu_;
  std::deque<Waiter*> queue_;  // guarded by mu_
  bool writing_ = false;       // guarded by mu_: a leader is writing a batch or about to
};

}  // namespace tf::store
