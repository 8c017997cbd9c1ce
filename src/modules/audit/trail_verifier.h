#pragma once
// TrailVerifier: checks the whole audit trail in the store. It reads every record in leaf order,
// recomputes its leaf (and the hash of its details), and compares it with the leaf hash the tree
// holds for that index; it recomputes the root at every stored checkpoint's size and checks the
// checkpoint's root and its signature with the trusted key it names; and it checks the tree
// head. The trusted keys are the caller's (the signing key's public half, keys given by hand),
// never the store's list of keys: whoever can edit the records can add a key there. The
// first problem is reported with its leaf index and what happened to the record there:
// modified, deleted, inserted or reordered (told apart by comparing neighbouring leaves with
// the tree's), or a checkpoint or head that the records no longer give.
// Memory stays O(log n): leaves are streamed in pages.
// Thread-safety: one Run at a time.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/signed_note.h"
#include "store/database.h"

namespace tf::audit {

struct TrailProblem {
  enum class Kind { kModified, kDeleted, kInserted, kReordered, kCheckpoint, kHead, kMalformed };
  Kind kind = Kind::kModified;
  int64_t leaf_index = -1;
  std::string record_id;  //!< the record found at leaf_index, when there is one
  std::string message;
};
std::string_view KindName(TrailProblem::Kind kind);

struct TrailReport {
  int64_t records = 0;      //!< records checked (the tree's size)
  int64_t pending = 0;      //!< records written but not yet in the tree
  int64_t checkpoints = 0;  //!< checkpoints whose root and signature were checked
  std::optional<TrailProblem> problem;
  bool ok() const { return !problem.has_value(); }
};

class TrailVerifier {
 public:
  //! `trusted`: the keys whose signatures on checkpoints count.
  TrailVerifier(store::Database& db, std::vector<note::Verifier> trusted);
  //! `progress(done, total)` after each page of records.
  absl::StatusOr<TrailReport> Run(const std::function<void(int64_t, int64_t)>& progress = {});

  static constexpr int kPage = 4096;

 private:
  store::Database& db_;
  std::map<std::string, note::Verifier> trusted_;  // by key id (8 hex digits)
};

}  // namespace tf::audit
