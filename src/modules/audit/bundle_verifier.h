#pragma once
// VerifyBundle: checks an exported audit bundle (json or jsonl, see audit_export.h) offline,
// with nothing but the log's public key, streaming it so memory stays constant:
//  - the checkpoint's signature, and that its note gives the tree size and root hash stated;
//  - each record: its leaf is recomputed from its fields exactly as served (and its details
//    from their hash), and its inclusion proof must lead to the checkpoint's root;
//  - leaf indexes ascend (a repeat is an inserted record, a step back a reordered one), and in
//    an export of the whole trail they run 0, 1, 2, ... up to the checkpoint's size;
//  - the signed manifest names as many records as the bundle holds, the same filter and tree,
//    and the digest of exactly these leaves: a record left out or added is found even when the
//    export holds only some records; a bundle without its manifest was cut short.
// The first problem is reported, with the leaf index and record id where one is known.
// Thread-safety: stateless function.

#include <functional>
#include <istream>

#include "absl/status/statusor.h"
#include "core/signed_note.h"
#include "modules/audit/trail_verifier.h"

namespace tf::audit {

enum class BundleFormat { kJson, kJsonl };

struct BundleReport {
  int64_t records = 0;    //!< records checked
  int64_t tree_size = 0;  //!< the checkpoint's
  std::string filter;     //!< the filter the export was made with (RFC 8785 JSON)
  std::optional<TrailProblem> problem;
  bool ok() const { return !problem.has_value(); }
};

//! `progress(records)` every few thousand records.
BundleReport VerifyBundle(std::istream& in, BundleFormat format, const note::Verifier& key,
                          const std::function<void(int64_t)>& progress = {});

}  // namespace tf::audit
