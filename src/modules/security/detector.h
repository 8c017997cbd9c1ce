#pragma once
// Detector: evaluates the detection rules over the audit trail as it grows, and raises
// security events through EventService.
//
// It reads the records the audit tree already holds (every leaf index below the tree head is
// filled, so none is skipped while a writer's transaction is still open) from the detection
// cursor onwards, in batches. Each record is matched against every rule enabled for its tenant
// (records of no tenant belong to the system tenant) and counted in a sliding window per
// (tenant, rule, group); a group's count above the rule's threshold raises an event, or adds
// to the rule's unresolved event for that group. The events of a batch and the cursor's move
// commit together, with the cursor moved conditionally, so each record is evaluated once even
// when instances race.
//
// Windows live in memory. When this instance's windows do not reach the cursor (at start, or
// after another instance moved it) they are rebuilt from the records within the longest
// window before the cursor, without raising. On a new deployment the cursor starts at the
// records of the last longest window, so history older than that raises nothing.
//
// Metrics: security_detection_records_total, security_detection_events_total{rule} (raised
// or added to), security_detection_latency_seconds (from a triggering record's time to its
// event's commit), security_detection_lag_records.
// Thread-safety: Run is called from one thread at a time (the scheduler's).

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "modules/security/detection_rules.h"
#include "modules/security/event_service.h"
#include "modules/security/security_repo.h"
#include "store/database.h"

namespace tf::security {

//! A rule as one tenant runs it: the file's rule with the tenant's settings applied.
struct EffectiveRule {
  const DetectionRule* rule = nullptr;
  bool enabled = true;
  int64_t threshold = 0;
  int64_t window_seconds = 0;
  std::string severity;
  WorkingHours working_hours;
};

//! `rule` with `setting` (when the tenant has one) applied.
EffectiveRule Effective(const DetectionRule& rule, const RuleSetting* setting);

struct DetectResult {
  int64_t evaluated = 0;  //!< records read past the cursor
  int64_t raised = 0;     //!< new events
  int64_t added = 0;      //!< occurrences added to unresolved events
  int64_t cursor = 0;     //!< the cursor afterwards
};

class Detector {
 public:
  Detector(store::Database& db, std::vector<DetectionRule> rules, EventService& events, const Clock& clock,
           metrics::Registry& metrics);

  //! Evaluates the records between the cursor and the tree head, up to `max_records`.
  absl::StatusOr<DetectResult> Run(int64_t max_records = kMaxPerRun);

  const std::vector<DetectionRule>& rules() const { return rules_; }

  static constexpr int kBatch = 2048;
  static constexpr int64_t kMaxPerRun = 200'000;

 private:
  struct Hit {
    int64_t time;
    std::string record_id;
  };
  //! Per (tenant, rule, group): the hits within the rule's window, oldest first.
  using Windows = absl::flat_hash_map<std::string, std::deque<Hit>>;

  //! Counts `r` in the windows of every rule it matches; appends what it raises to `out`
  //! unless `replay` (rebuilding windows).
  void Evaluate(const audit::AuditRecord& r, bool replay, std::vector<Detection>& out);
  const EffectiveRule& RuleFor(const std::string& tenant, size_t rule_index);
  absl::Status LoadSettings();
  //! The first leaf index below `end` whose record is not older than `since` (microseconds).
  absl::StatusOr<int64_t> FirstSince(int64_t end, int64_t since);
  //! Rebuilds the windows up to `cursor` from the records within the longest window.
  absl::Status Rebuild(int64_t cursor);
  void DropStaleWindows(int64_t now);

  store::Database& db_;
  std::vector<DetectionRule> rules_;
  EventService& events_;
  const Clock& clock_;
  SecurityRepo repo_;
  int64_t longest_window_micros_ = 0;

  std::string system_tenant_;
  std::map<std::pair<std::string, std::string>, RuleSetting> settings_;  // (tenant, rule)
  absl::flat_hash_map<std::string, std::vector<EffectiveRule>> effective_;  // by tenant, per run
  Windows windows_;
  int64_t position_ = -1;  //!< the leaf index the windows have counted up to; -1: none

  metrics::Counter& records_;
  metrics::CounterFamily& detections_;
  metrics::Histogram& latency_;
  metrics::Gauge& lag_;
};

}  // namespace tf::security
