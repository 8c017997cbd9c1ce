#pragma once
// How a record becomes JSON and a Merkle leaf. The leaf is the RFC 8785 canonical JSON of the
// record exactly as the API serves it, without the members the server adds around it
// (leaf_index, details, pruned_at, leaf, proof): details are represented in the leaf by
// details_sha256, so pruning them keeps every leaf recomputable. docs/audit.md documents it
// for independent verifiers.
// Thread-safety: stateless functions.

#include <string>

#include "absl/status/statusor.h"
#include "modules/audit/audit_types.h"
#include "nlohmann/json.hpp"

namespace tf::audit {

//! The leaf's members, in the served form.
nlohmann::json LeafJson(const AuditRecord& record);
//! The canonical leaf bytes.
absl::StatusOr<std::string> LeafBytes(const AuditRecord& record);
//! Sets record.leaf_hash from the record's fields (an error for text that is not UTF-8).
absl::Status SetLeafHash(AuditRecord& record);
//! The record as the API serves it: LeafJson plus leaf_index, details (parsed) and pruned_at.
nlohmann::json RecordJson(const AuditRecord& record);
//! The leaf bytes a served record gives (what an independent verifier computes): its members
//! but leaf_index, details, pruned_at and revealed, in RFC 8785 form.
absl::StatusOr<std::string> LeafOfServed(nlohmann::json served);

//! Redacts `details`, caps its size (larger payloads keep their shape's first members and a
//! "truncated" marker) and sets record.details and record.details_sha256.
void SetDetails(AuditRecord& record, const nlohmann::json& details);

//! The record of kind `gap` that fills leaf index `leaf_index`, handed to a transaction that
//! rolled back, so the tree has no holes.
AuditRecord GapRecord(int64_t leaf_index, std::string id, int64_t now_micros);

//! Largest canonical details text kept, in bytes.
inline constexpr size_t kMaxDetailsBytes = 8 * 1024;
//! Longest text field (paths, user agents) kept, in bytes; longer ones are cut on a UTF-8 boundary.
inline constexpr size_t kMaxFieldBytes = 1024;

}  // namespace tf::audit
