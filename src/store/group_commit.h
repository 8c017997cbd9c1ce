#pragma once
// GroupCommit: many callers' small writes shared out into few transactions. Callers queue items;
// one writer thread takes everything queued (up to max_batch items), writes it in one
// transaction and one commit (one fsync), tells each item's caller the outcome, and takes the
// next batch. While a batch is being written the next one gathers, so batches grow with the
// rate of submissions and an item waits at most about two commits; alone, an item is written
// at once.
//  - Submit waits for its item's commit;
//  - SubmitAsync returns at once and calls back on the writer thread, so callers that cannot
//    park a thread (an I/O thread, a load generator) keep many items in flight.
// Each item's time from its submission to its outcome goes to an optional histogram.
// Destruction writes what is queued, then stops the writer.
// Thread-safety: Submit and SubmitAsync are safe from any thread; `write`, `on_batch` and the
// callbacks run on the writer thread, one batch at a time.

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/metrics.h"
#include "store/database.h"

namespace tf::store {

template <typename T>
class GroupCommit {
 public:
  //! Writes a batch in its transaction; may change the items (e.g. give them ids), must be
  //! safe to run again with the same items when a serialisation failure retries it.
  using WriteFn = std::function<absl::Status(Transaction&, std::vector<T>&)>;
  //! Told each batch's size and outcome (metrics). May be empty.
  //! Told each batch's outcome, with its items as `write` left them (ids it assigned, say).
  using BatchFn = std::function<void(const std::vector<T>& items, const absl::Status& status)>;
  //! Told one item's outcome: OK once its batch committed, else the batch's error. Runs on the
  //! writer thread, so it must be quick and never wait.
  using DoneFn = absl::AnyInvocable<void(const absl::Status&)>;

  //! `max_queued` bounds the items SubmitAsync lets wait (memory under overload); `waited`
  //! (optional) is told each item's seconds from its submission to its outcome.
  GroupCommit(Database& db, WriteFn write, size_t max_batch, BatchFn on_batch = {}, size_t max_queued = 65536,
              metrics::Histogram* waited = nullptr)
      : db_(db),
        write_(std::move(write)),
        max_batch_(max_batch),
        max_queued_(max_queued),
        on_batch_(std::move(on_batch)),
        waited_(waited),
        writer_([this] { Run(); }) {}

  ~GroupCommit() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    queued_.notify_one();
    writer_.join();
  }

  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  //! Returns once `item` committed (or its batch failed: then every item of it gets the error).
  [[nodiscard]] absl::Status Submit(T item) {
    struct Wait {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      absl::Status status;
    } wait;
    // Callers that wait are few (one per thread), so they are not bounded.
    Enqueue(std::move(item), [&wait](const absl::Status& status) {
      // `wait` may go as soon as `mu` is released: nothing after it.
      std::lock_guard lock(wait.mu);
      wait.status = status;
      wait.done = true;
      wait.cv.notify_one();
    });
    std::unique_lock lock(wait.mu);
    wait.cv.wait(lock, [&] { return wait.done; });
    return wait.status;
  }

  //! Queues `item`; `done` is called once its batch committed or failed. Unavailable at once
  //! (and `done` never called) when `max_queued` items are already waiting.
  [[nodiscard]] absl::Status SubmitAsync(T item, DoneFn done) {
    if (!Enqueue(std::move(item), std::move(done), max_queued_)) {
      return absl::UnavailableError("too many writes are waiting for their commit");
    }
    return absl::OkStatus();
  }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  struct Entry {
    T item;
    DoneFn done;
    SteadyTime queued;
  };

  //! False (nothing queued) when `bound` items are already waiting.
  bool Enqueue(T item, DoneFn done, size_t bound = SIZE_MAX) {
    {
      std::lock_guard lock(mu_);
      if (queue_.size() >= bound) return false;
      queue_.push_back({std::move(item), std::move(done), std::chrono::steady_clock::now()});
    }
    queued_.notify_one();
    return true;
  }

  void Run() {
    pthread_setname_np(pthread_self(), "group-commit");
    std::vector<T> items;
    std::vector<DoneFn> dones;
    std::vector<SteadyTime> queued;
    while (true) {
      {
        std::unique_lock lock(mu_);
        queued_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) return;  // stopping, and everything queued is written
        while (!queue_.empty() && items.size() < max_batch_) {
          items.push_back(std::move(queue_.front().item));
          dones.push_back(std::move(queue_.front().done));
          queued.push_back(queue_.front().queued);
          queue_.pop_front();
        }
      }
      absl::Status status =
          db_.InTx(WriteTx().Retryable(), [&](Transaction& tx) -> absl::Status { return write_(tx, items); });
      if (on_batch_) on_batch_(items, status);
      if (waited_) {
        SteadyTime now = std::chrono::steady_clock::now();
        for (SteadyTime t : queued) waited_->Observe(std::chrono::duration<double>(now - t).count());
      }
      for (DoneFn& done : dones) done(status);
      items.clear();
      dones.clear();
      queued.clear();
    }
  }

  Database& db_;
  WriteFn write_;
  size_t max_batch_;
  size_t max_queued_;
  BatchFn on_batch_;
  metrics::Histogram* waited_;
  std::mutex mu_;
  std::condition_variable queued_;
  std::deque<Entry> queue_;  // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
  std::thread writer_;       // last: it starts once the rest is built
};

}  // namespace tf::store
