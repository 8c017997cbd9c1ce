#include "modules/security/detector.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "core/permissions.h"
#include "core/status.h"
#include "core/strings.h"
#include "modules/audit/audit_repo.h"

namespace tf::security {

namespace {

using nlohmann::json;

}  // namespace

EffectiveRule Effective(const DetectionRule& rule, const RuleSetting* s) {
  EffectiveRule e;
  e.rule = &rule;
  e.enabled = s && s->enabled ? *s->enabled : rule.enabled;
  e.threshold = s && s->threshold ? *s->threshold : rule.threshold;
  e.window_seconds = s && s->window_seconds ? *s->window_seconds : rule.window_seconds;
  e.severity = s && s->severity ? *s->severity : rule.severity;
  if (s && s->working_hours) {
    json j = json::parse(*s->working_hours, nullptr, false);
    if (absl::StatusOr<WorkingHours> h = ParseWorkingHours(j); h.ok()) e.working_hours = *h;
  }
  return e;
}

Detector::Detector(store::Database& db, std::vector<DetectionRule> rules, EventService& events, const Clock& clock,
                   metrics::Registry& metrics)
    : db_(db),
      rules_(std::move(rules)),
      events_(events),
      clock_(clock),
      records_(metrics.AddCounter("security_detection_records_total", "Audit records evaluated by detection rules.")
                   .Get()),
      detections_(metrics.AddCounter("security_detection_events_total",
                                     "Security events raised (result=raised) or added to (result=added) by detection "
                                     "rules.",
                                     {"rule", "result"})),
      latency_(metrics
                   .AddHistogram("security_detection_latency_seconds",
                                 "Time from the audit record that triggered a detection to its security event.", {},
                                 {0.25, 0.5, 1, 2, 5, 10, 30, 60, 300})
                   .Get()),
      lag_(metrics.AddGauge("security_detection_lag_records", "Audit records in the tree not yet evaluated by detection.")
               .Get()) {
  for (const DetectionRule& r : rules_) {
    longest_window_micros_ = std::max(longest_window_micros_, r.window_seconds * kMicrosPerSecond);
  }
}

absl::Status Detector::LoadSettings() {
  effective_.clear();
  return db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(std::vector<RuleSetting> list, repo_.RuleSettings(tx, std::nullopt));
    settings_.clear();
    for (RuleSetting& s : list) {
      std::pair<std::string, std::string> key{s.tenant_id, s.rule};
      settings_.emplace(std::move(key), std::move(s));
    }
    if (system_tenant_.empty()) {
      TF_ASSIGN_OR_RETURN(std::optional<std::string> id, repo_.TenantIdBySlug(tx, kSystemTenantSlug));
      system_tenant_ = id.value_or("");
    }
    return absl::OkStatus();
  });
}

const EffectiveRule& Detector::RuleFor(const std::string& tenant, size_t rule_index) {
  auto [it, inserted] = effective_.try_emplace(tenant);
  if (inserted) {
    // Tenants may tune a rule's window beyond the file's longest: windows kept for it too.
    for (const DetectionRule& r : rules_) {
      auto s = settings_.find({tenant, r.name});
      it->second.push_back(Effective(r, s == settings_.end() ? nullptr : &s->second));
      longest_window_micros_ = std::max(longest_window_micros_, it->second.back().window_seconds * kMicrosPerSecond);
    }
  }
  return it->second[rule_index];
}

void Detector::Evaluate(const audit::AuditRecord& r, bool replay, std::vector<Detection>& out) {
  const std::string& tenant = r.tenant_id ? *r.tenant_id : system_tenant_;
  if (tenant.empty()) return;
  RecordMatcher matcher(r);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const DetectionRule& rule = rules_[i];
    const EffectiveRule& eff = RuleFor(tenant, i);
    if (!eff.enabled || !matcher.Matches(rule.match)) continue;
    if (rule.outside_working_hours && eff.working_hours.Contains(r.time)) continue;
    for (const std::string& field : rule.group_by) {
      std::optional<std::string_view> value = RecordField(r, field);
      if (!value || value->empty()) continue;
      std::string group = StrCat(field, "=", *value);
      std::deque<Hit>& hits = windows_[StrCat(tenant, "\x1f", rule.name, "\x1f", group)];
      int64_t since = r.time - eff.window_seconds * kMicrosPerSecond;
      while (!hits.empty() && hits.front().time < since) hits.pop_front();
      hits.push_back({r.time, r.id});
      if (replay || static_cast<int64_t>(hits.size()) <= eff.threshold) continue;

      Detection d;
      d.tenant_id = tenant;
      d.rule = rule.name;
      d.key = group;
      d.type = rule.type;
      d.severity = eff.severity;
      d.count = static_cast<int64_t>(hits.size());
      d.first_seen_at = hits.front().time;
      d.last_seen_at = r.time;
      d.description = eff.threshold == 0
                          ? StrCat(rule.title, " (", group, ")")
                          : StrCat(rule.title, ": ", d.count, " within ", WindowText(eff.window_seconds), " for ",
                                   group, " (threshold ", eff.threshold, ")");
      if (r.resource_type && r.resource_id) {
        if (*r.resource_type == "users") d.affected_users.push_back(*r.resource_id);
        else d.affected_resources.push_back({*r.resource_type, *r.resource_id});
      }
      d.metadata = {{"rule_title", rule.title},
                    {"group_by", field},
                    {"group", std::string(*value)},
                    {"window_seconds", eff.window_seconds},
                    {"threshold", eff.threshold}};
      for (size_t k = 0; k + 1 < hits.size() && k + 1 < EventService::kMaxEvidence; ++k) {
        d.evidence.push_back(hits[k].record_id);
      }
      d.evidence.push_back(r.id);
      out.push_back(std::move(d));
    }
  }
}

absl::StatusOr<int64_t> Detector::FirstSince(int64_t end, int64_t since) {
  audit::AuditRepo audit;
  for (int64_t from = end; from > 0;) {
    int64_t lo = std::max<int64_t>(0, from - kBatch);
    TF_ASSIGN_OR_RETURN(std::vector<audit::AuditRecord> records,
                        db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                          return audit.Range(tx, lo, static_cast<int>(from - lo), /*with_details=*/false);
                        }));
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      if (it->time < since) return it->leaf_index + 1;
    }
    from = lo;
  }
  return 0;
}

absl::Status Detector::Rebuild(int64_t cursor) {
  windows_.clear();
  position_ = -1;
  audit::AuditRepo audit;
  if (cursor > 0) {
    TF_ASSIGN_OR_RETURN(std::vector<audit::AuditRecord> last, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
                          return audit.Range(tx, cursor - 1, 1, false);
                        }));
    int64_t until = last.empty() ? clock_.NowMicros() : last.front().time;
    TF_ASSIGN_OR_RETURN(int64_t start, FirstSince(cursor, until - longest_window_micros_));
    std::vector<Detection> none;
    for (int64_t from = start; from < cursor;) {
      int n = static_cast<int>(std::min<int64_t>(kBatch, cursor - from));
      TF_ASSIGN_OR_RETURN(std::vector<audit::AuditRecord> records,
                          db_.InTx(store::ReadTx(), [&](store::Transaction& tx) { return audit.Range(tx, from, n); }));
      if (records.empty()) break;
      for (const audit::AuditRecord& r : records) Evaluate(r, /*replay=*/true, none);
      from = records.back().leaf_index + 1;
    }
  }
  position_ = cursor;
  return absl::OkStatus();
}

void Detector::DropStaleWindows(int64_t latest) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (it->second.empty() || it->second.back().time < latest - longest_window_micros_) {
      windows_.erase(it++);
    } else {
      ++it;
    }
  }
}

absl::StatusOr<DetectResult> Detector::Run(int64_t max_records) {
  TF_RETURN_IF_ERROR(LoadSettings());
  audit::AuditRepo audit;
  struct Position {
    int64_t cursor = 0, cursor_updated_at = 0, head = 0;
  };
  TF_ASSIGN_OR_RETURN(Position at, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<Position> {
                        TF_ASSIGN_OR_RETURN(auto cursor, repo_.Cursor(tx));
                        TF_ASSIGN_OR_RETURN(audit::TreeHead head, audit.Head(tx));
                        return Position{cursor.first, cursor.second, head.tree_size};
                      }));
  DetectResult result;
  if (at.cursor_updated_at == 0) {
    // A new deployment: evaluate the records of the last window, not the whole history.
    TF_ASSIGN_OR_RETURN(int64_t start, FirstSince(at.head, clock_.NowMicros() - longest_window_micros_));
    TF_ASSIGN_OR_RETURN(bool moved, db_.InTx(store::WriteTx(), [&](store::Transaction& tx) {
                          return repo_.AdvanceCursor(tx, at.cursor, start, clock_.NowMicros());
                        }));
    if (!moved) return absl::AbortedError("another instance started detection first");
    at.cursor = start;
  }
  if (position_ != at.cursor) TF_RETURN_IF_ERROR(Rebuild(at.cursor));

  int64_t end = std::min(at.head, at.cursor + max_records);
  int64_t latest = 0;
  while (at.cursor < end) {
    int n = static_cast<int>(std::min<int64_t>(kBatch, end - at.cursor));
    TF_ASSIGN_OR_RETURN(std::vector<audit::AuditRecord> records,
                        db_.InTx(store::ReadTx(), [&](store::Transaction& tx) { return audit.Range(tx, at.cursor, n); }));
    if (records.empty()) break;
    std::vector<Detection> found;
    for (const audit::AuditRecord& r : records) {
      Evaluate(r, /*replay=*/false, found);
      latest = std::max(latest, r.time);
    }
    int64_t next = records.back().leaf_index + 1;
    std::vector<bool> raised;
    absl::Status committed = db_.InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
      raised.clear();
      for (const Detection& d : found) {
        TF_ASSIGN_OR_RETURN(bool is_new, events_.Detected(tx, d));
        raised.push_back(is_new);
      }
      TF_ASSIGN_OR_RETURN(bool moved, repo_.AdvanceCursor(tx, at.cursor, next, clock_.NowMicros()));
      if (!moved) return absl::AbortedError("another instance evaluated these records first");
      return absl::OkStatus();
    });
    if (!committed.ok()) {
      position_ = -1;  // the windows counted records whose evaluation did not commit
      return committed;
    }
    int64_t now = clock_.NowMicros();
    for (size_t i = 0; i < found.size(); ++i) {
      detections_.WithLabels({found[i].rule, raised[i] ? "raised" : "added"}).Inc();
      latency_.Observe(static_cast<double>(std::max<int64_t>(0, now - found[i].last_seen_at)) / kMicrosPerSecond);
      if (raised[i]) {
        log::Info("security event raised", {{"rule", found[i].rule}, {"tenant", found[i].tenant_id},
                                            {"count", std::to_string(found[i].count)}});
      }
      (raised[i] ? result.raised : result.added) += 1;
    }
    records_.Inc(static_cast<double>(records.size()));
    result.evaluated += static_cast<int64_t>(records.size());
    at.cursor = next;
    position_ = next;
  }
  if (latest > 0) DropStaleWindows(latest);
  lag_.Set(static_cast<double>(std::max<int64_t>(0, at.head - at.cursor)));
  result.cursor = at.cursor;
  return result;
}

}  // namespace tf::security
