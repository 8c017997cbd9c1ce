#pragma once
// Detection rules: data, not code. A rule selects audit records (`match`: conditions on a
// record's fields), counts them per group (`group_by`: each field names a group of its own,
// so [resource_id, source_ip] counts per account and per source address) within a sliding
// `window`, and raises a security event when a group's count is above `threshold` (0: every
// match raises). `outside_working_hours` keeps only records made outside the tenant's working
// hours. The shipped rules are in default_rules.yaml; `security.rules_file` replaces them.
// Tenants enable, disable and tune each rule (RuleSetting) without touching the file.
// Thread-safety: parsed rules are immutable values; the functions are pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "modules/audit/audit_types.h"
#include "nlohmann/json.hpp"

namespace tf::security {

//! One condition of a rule's `match` on a record field ("event_type", "details.records").
struct Condition {
  enum class Op { kEquals, kIn, kPrefix, kGreater, kGreaterOrEqual, kLess, kLessOrEqual };
  std::string field;
  Op op = Op::kEquals;
  std::vector<std::string> values;  //!< kEquals (one), kIn, kPrefix (one)
  double number = 0;                //!< the comparisons
};

//! When a tenant works: weekdays (bit 0 = Sunday) and [start, end) minutes of the day, in a
//! time zone of the IANA database.
struct WorkingHours {
  std::string timezone = "UTC";
  int start_minute = 7 * 60;
  int end_minute = 19 * 60;
  unsigned days = 0b0111110;  //!< Monday to Friday
  absl::TimeZone zone = absl::UTCTimeZone();

  bool Contains(int64_t micros) const;
  nlohmann::json Json() const;
};

//! {"timezone": "Europe/London", "start": "08:00", "end": "18:00", "days": ["mon", ...]}.
absl::StatusOr<WorkingHours> ParseWorkingHours(const nlohmann::json& j);

struct DetectionRule {
  std::string name;         //!< [a-z0-9_]+, unique
  std::string title;        //!< one line for people
  std::string description;  //!< what it means and what to do
  std::string type;         //!< the raised event's type
  std::string severity;     //!< low | medium | high | critical
  std::vector<Condition> match;
  std::vector<std::string> group_by;
  int64_t window_seconds = 300;
  int64_t threshold = 0;
  bool outside_working_hours = false;
  bool enabled = true;  //!< for tenants that have not set it
};

//! The fields a condition or group may name, besides "details.<key>".
bool IsRecordField(std::string_view field);
//! A record's field as text (status as its decimal), or nullopt when it has none.
std::optional<std::string_view> RecordField(const audit::AuditRecord& r, std::string_view field);

//! Evaluates a rule's conditions on one record; the record's details are parsed at most once,
//! and only when a `details.` condition is reached.
class RecordMatcher {
 public:
  explicit RecordMatcher(const audit::AuditRecord& record) : record_(record) {}
  bool Matches(const std::vector<Condition>& conditions);

 private:
  bool Holds(const Condition& c);
  const nlohmann::json* Detail(std::string_view key);

  const audit::AuditRecord& record_;
  bool details_parsed_ = false;
  nlohmann::json details_;
};

//! The rules of a YAML document ({"rules": [...]}); errors name the rule and the key.
absl::StatusOr<std::vector<DetectionRule>> ParseRules(std::string_view yaml);
//! The shipped rules (default_rules.yaml, built in).
std::string_view DefaultRulesYaml();
//! The shipped rules, or those of `path` when it is not empty.
absl::StatusOr<std::vector<DetectionRule>> LoadRules(const std::string& path);

//! "30s", "5m", "1h", "1d" -> seconds (1 second to 1 day).
absl::StatusOr<int64_t> ParseWindow(std::string_view text);
std::string WindowText(int64_t seconds);

}  // namespace tf::security
