#pragma once
// LeafFeed: the leaf hashes of the records this instance's group commit has committed, handed
// to the tree builder in memory, so the builder does not read them back from the store. It is
// only a shortcut: the builder reads the store for every index the feed does not hold (records
// written in callers' transactions, by other instances, or before a restart), and the feed
// keeps at most `capacity` hashes (on an instance that does not hold the builder's lease, the
// oldest are dropped).
// Thread-safety: safe from any thread.

#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <vector>

#include "modules/audit/audit_repo.h"
#include "modules/audit/audit_types.h"

namespace tf::audit {

class LeafFeed {
 public:
  explicit LeafFeed(size_t capacity = 1 << 17) : capacity_(capacity) {}

  //! Records just committed (with their leaf indexes and hashes), in index order.
  void Add(const std::vector<AuditRecord>& records);
  //! Appends to `out` the held leaves at consecutive indexes from `from`, at most `limit`, and
  //! forgets them and every index below `from`. Returns the lowest index it still holds after
  //! them (the end of the run, where the store must be read), or the largest int64 if none.
  int64_t Take(int64_t from, size_t limit, std::vector<LeafHashAt>& out);

  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::deque<LeafHashAt> leaves_;  // ascending leaf indexes
};

}  // namespace tf::audit
