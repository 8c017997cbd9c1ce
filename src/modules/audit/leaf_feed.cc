#include "modules/audit/leaf_feed.h"

#include "core/merkle.h"

namespace tf::audit {

void LeafFeed::Add(const std::vector<AuditRecord>& records) {
  std::lock_guard lock(mu_);
  for (const AuditRecord& r : records) {
    // Out of order or without a hash: not held, so the builder reads the store for it.
    if (!r.leaf_hash || (!leaves_.empty() && r.leaf_index <= leaves_.back().leaf_index)) continue;
    leaves_.push_back({r.leaf_index, *r.leaf_hash});
  }
  while (leaves_.size() > capacity_) leaves_.pop_front();
}

int64_t LeafFeed::Take(int64_t from, size_t limit, std::vector<LeafHashAt>& out) {
  std::lock_guard lock(mu_);
  while (!leaves_.empty() && leaves_.front().leaf_index < from) leaves_.pop_front();
  for (size_t taken = 0; taken < limit && !leaves_.empty() && leaves_.front().leaf_index == from; ++taken, ++from) {
    out.push_back(leaves_.front());
    leaves_.pop_front();
  }
  return leaves_.empty() ? kNone : leaves_.front().leaf_index;
}

}  // namespace tf::audit
