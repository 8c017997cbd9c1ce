#pragma once
// The audit domain's values: a record of the trail, a signed checkpoint, the filter of a
// search. A record's leaf (what the Merkle tree commits to) is defined in audit_record.h.
// Thread-safety: plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/merkle.h"

namespace tf::audit {

//! One entry of the trail: an API request or a domain event. Optional fields are JSON null.
struct AuditRecord {
  int64_t leaf_index = -1;  //!< -1 until the record is written
  std::string id;
  std::optional<std::string> tenant_id;  //!< none for platform-level records (no tenant known)
  int64_t time = 0;                      //!< microseconds since the epoch, UTC, from the Clock
  std::string kind;                      //!< request | event
  std::string actor_type;                //!< user | api_token | anonymous | system
  std::optional<std::string> actor_id;   //!< user id or API token id
  std::optional<std::string> actor_user_id;  //!< the user behind the actor (a token's creator)
  std::optional<std::string> actor_via;      //!< impersonation or just-in-time grant marker
  std::string action;                        //!< CREATE, READ, UPDATE, DELETE, LOGIN, LOGOUT, EXPORT, ...
  std::optional<std::string> event_type;     //!< a domain event's name ("mfa.disabled")
  std::optional<std::string> resource_type;
  std::optional<std::string> resource_id;
  std::optional<std::string> method;
  std::optional<std::string> route;  //!< the route pattern, or "unmatched"
  std::optional<std::string> path;
  std::optional<int64_t> status;     //!< the HTTP status (requests only)
  std::string outcome;               //!< success | failure | denied | error
  std::optional<std::string> source_ip;
  std::optional<std::string> user_agent;
  std::optional<std::string> request_id;
  std::optional<std::string> trace_id;
  std::optional<std::string> details;  //!< RFC 8785 JSON of the redacted payload; none once pruned
  std::string details_sha256;          //!< hex SHA-256 of `details`, kept when it is pruned
  std::optional<int64_t> pruned_at;
  //! RFC 9162 hash of the leaf, computed when the record is appended (stored as hex, not
  //! served: verifiers recompute it from the fields above). The tree builder reads it instead
  //! of the record.
  std::optional<merkle::Hash> leaf_hash;
};

struct Checkpoint {
  int64_t tree_size = 0;
  std::string root_hash;  //!< hex
  int64_t timestamp = 0;  //!< microseconds
  std::string key_id;     //!< 8 hex digits
  std::string note;       //!< the signed note
};

//! A search of the trail; unset fields do not filter. Results come newest first.
struct RecordFilter {
  std::optional<std::string> tenant_id;  //!< always set for callers scoped to one tenant
  std::optional<int64_t> from, to;       //!< time range [from, to)
  std::optional<std::string> actor;      //!< actor_id or actor_user_id
  std::optional<std::string> action;
  std::optional<std::string> resource_type;
  std::optional<std::string> resource_id;
  std::optional<int64_t> status;
  std::optional<std::string> outcome;
  std::optional<std::string> request_id;
  std::optional<std::string> kind;
  std::optional<std::string> path_contains;
  std::optional<std::string> after_id;  //!< the cursor: records older (lower leaf index) than this one
  int limit = 50;
};

//! How long a tenant's records keep their details; older records' details are pruned.
struct RetentionPolicy {
  std::string tenant_id;
  int64_t retention_days = 0;
  int64_t updated_at = 0;  //!< microseconds
  std::optional<std::string> updated_by;
  std::optional<int64_t> last_pruned_at;
  int64_t last_pruned_count = 0;  //!< records the last pruning run pruned
};

//! One pruning run of a tenant's records.
struct PruneResult {
  std::string tenant_id;
  int64_t cutoff = 0;  //!< records before this time (microseconds) were pruned
  int64_t pruned = 0;
};

//! Counts over a time range of the trail, for the console's charts and reports.
struct AuditStats {
  struct Count {
    std::string key;
    int64_t count = 0;
  };
  struct Day {
    std::string day;  //!< YYYY-MM-DD (UTC)
    int64_t total = 0, denied = 0, failed = 0;
  };
  int64_t from = 0, to = 0;  //!< microseconds, [from, to)
  int64_t total = 0;
  std::vector<Count> by_action, by_outcome, by_status_class, by_actor;  //!< by_actor: the 20 busiest
  std::vector<Day> by_day;
};

}  // namespace tf::audit
