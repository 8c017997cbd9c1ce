#include "modules/security/detection_rules.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "modules/security/event_service.h"

namespace tf::security {

namespace {

using nlohmann::json;

constexpr std::string_view kFields[] = {
    "kind",   "actor_type", "actor_id", "actor_user_id", "actor_via", "action",    "event_type",
    "resource_type", "resource_id", "method", "route",  "path",      "status",    "outcome",
    "source_ip", "user_agent", "tenant_id",
};
constexpr std::string_view kDetailsPrefix = "details.";
constexpr std::string_view kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr size_t kMaxRules = 200;

std::optional<double> AsNumber(std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

//! "08:30" -> 510; "24:00" is the end of the day.
std::optional<int> ParseClock(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto digit = [&](size_t i) { return s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -100; };
  int h = digit(0) * 10 + digit(1), m = digit(3) * 10 + digit(4);
  if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::string ClockText(int minute) { return absl::StrFormat("%02d:%02d", minute / 60, minute % 60); }

//! A rule's error: "rules[2] (failed_logins): window: ...".
struct RuleErrors {
  size_t index = 0;
  std::string name;
  absl::Status Error(std::string_view key, std::string_view message) const {
    return absl::InvalidArgumentError(StrCat("rules[", index, "]", name.empty() ? "" : StrCat(" (", name, ")"), ": ",
                                             key, key.empty() ? "" : ": ", message));
  }
};

absl::StatusOr<std::string> Scalar(const YAML::Node& n, std::string_view key, const RuleErrors& at) {
  if (!n.IsScalar()) return at.Error(key, "must be a single value");
  return n.as<std::string>();
}

absl::StatusOr<Condition> ParseCondition(const std::string& field, const YAML::Node& v, const RuleErrors& at) {
  std::string key = StrCat("match.", field);
  if (!IsRecordField(field) && !(field.starts_with(kDetailsPrefix) && field.size() > kDetailsPrefix.size())) {
    return at.Error(key, "is not a field of an audit record (kind, action, event_type, outcome, status, route, "
                         "source_ip, ..., or details.<key>)");
  }
  Condition c;
  c.field = field;
  if (v.IsScalar()) {
    c.values.push_back(v.as<std::string>());
    return c;
  }
  if (v.IsSequence()) {
    c.op = Condition::Op::kIn;
    for (const YAML::Node& item : v) {
      TF_ASSIGN_OR_RETURN(std::string s, Scalar(item, key, at));
      c.values.push_back(std::move(s));
    }
    if (c.values.empty()) return at.Error(key, "must list at least one value");
    return c;
  }
  if (!v.IsMap() || v.size() != 1) {
    return at.Error(key, "must be a value, a list of values, or one of {prefix, gt, gte, lt, lte}: value");
  }
  std::string op = v.begin()->first.as<std::string>();
  TF_ASSIGN_OR_RETURN(std::string operand, Scalar(v.begin()->second, StrCat(key, ".", op), at));
  if (op == "prefix") {
    c.op = Condition::Op::kPrefix;
    c.values.push_back(std::move(operand));
    return c;
  }
  static const std::pair<std::string_view, Condition::Op> kOps[] = {{"gt", Condition::Op::kGreater},
                                                                    {"gte", Condition::Op::kGreaterOrEqual},
                                                                    {"lt", Condition::Op::kLess},
                                                                    {"lte", Condition::Op::kLessOrEqual}};
  for (const auto& [name, o] : kOps) {
    if (name != op) continue;
    std::optional<double> n = AsNumber(operand);
    if (!n) return at.Error(StrCat(key, ".", op), "must be a number");
    c.op = o;
    c.number = *n;
    return c;
  }
  return at.Error(key, StrCat("unknown operator '", op.substr(0, 32), "' (prefix, gt, gte, lt, lte)"));
}

absl::StatusOr<DetectionRule> ParseRule(const YAML::Node& n, RuleErrors& at) {
  if (!n.IsMap()) return at.Error("", "must be a mapping");
  DetectionRule r;
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) seen.insert(it->first.as<std::string>());
  static const std::set<std::string> kKeys = {"name",     "title",     "description", "type",
                                              "severity", "match",     "group_by",    "window",
                                              "threshold", "outside_working_hours", "enabled"};
  for (const std::string& k : seen) {
    if (!kKeys.contains(k)) return at.Error(k.substr(0, 64), "is not a rule key");
  }
  for (std::string_view required : {"name", "title", "type", "severity", "match", "group_by"}) {
    if (!seen.contains(std::string(required))) return at.Error(required, "is required");
  }
  TF_ASSIGN_OR_RETURN(r.name, Scalar(n["name"], "name", at));
  at.name = r.name.substr(0, 64);
  if (r.name.empty() || r.name.size() > 64 ||
      !std::all_of(r.name.begin(), r.name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; })) {
    return at.Error("name", "must be 1 to 64 lower-case letters, digits or '_'");
  }
  TF_ASSIGN_OR_RETURN(r.title, Scalar(n["title"], "title", at));
  if (r.title.empty() || r.title.size() > 200) return at.Error("title", "must be 1 to 200 characters");
  if (n["description"]) {
    TF_ASSIGN_OR_RETURN(r.description, Scalar(n["description"], "description", at));
  }
  TF_ASSIGN_OR_RETURN(r.type, Scalar(n["type"], "type", at));
  if (!ValidEventType("type", r.type).ok()) return at.Error("type", "must be 1 to 64 of a-z, 0-9, '_', '.', '-'");
  TF_ASSIGN_OR_RETURN(r.severity, Scalar(n["severity"], "severity", at));
  if (!ValidSeverity("severity", r.severity).ok()) return at.Error("severity", "must be low, medium, high or critical");
  const YAML::Node match = n["match"];
  if (!match.IsMap() || match.size() == 0) return at.Error("match", "must map record fields to the values they must have");
  for (auto it = match.begin(); it != match.end(); ++it) {
    TF_ASSIGN_OR_RETURN(Condition c, ParseCondition(it->first.as<std::string>(), it->second, at));
    r.match.push_back(std::move(c));
  }
  const YAML::Node group = n["group_by"];
  std::vector<std::string> fields;
  if (group.IsScalar()) {
    fields.push_back(group.as<std::string>());
  } else if (group.IsSequence()) {
    for (const YAML::Node& g : group) {
      TF_ASSIGN_OR_RETURN(std::string field, Scalar(g, "group_by", at));
      fields.push_back(std::move(field));
    }
  }
  if (fields.empty()) return at.Error("group_by", "must list the fields to count by");
  for (std::string& field : fields) {
    if (!IsRecordField(field)) return at.Error("group_by", StrCat("'", field.substr(0, 64), "' is not a record field"));
    r.group_by.push_back(std::move(field));
  }
  if (n["window"]) {
    TF_ASSIGN_OR_RETURN(std::string w, Scalar(n["window"], "window", at));
    absl::StatusOr<int64_t> seconds = ParseWindow(w);
    if (!seconds.ok()) return at.Error("window", std::string(seconds.status().message()));
    r.window_seconds = *seconds;
  }
  if (n["threshold"]) {
    TF_ASSIGN_OR_RETURN(std::string t, Scalar(n["threshold"], "threshold", at));
    std::optional<double> v = AsNumber(t);
    if (!v || *v < 0 || *v > 1'000'000 || *v != static_cast<double>(static_cast<int64_t>(*v))) {
      return at.Error("threshold", "must be a whole number from 0 to 1000000");
    }
    r.threshold = static_cast<int64_t>(*v);
  }
  auto flag = [&](std::string_view key, bool& out) -> absl::Status {
    const YAML::Node v = n[std::string(key)];
    if (!v) return absl::OkStatus();
    TF_ASSIGN_OR_RETURN(std::string s, Scalar(v, key, at));
    if (s != "true" && s != "false") return at.Error(key, "must be true or false");
    out = s == "true";
    return absl::OkStatus();
  };
  TF_RETURN_IF_ERROR(flag("outside_working_hours", r.outside_working_hours));
  TF_RETURN_IF_ERROR(flag("enabled", r.enabled));
  return r;
}

}  // namespace

bool WorkingHours::Contains(int64_t micros) const {
  absl::CivilMinute local = absl::ToCivilMinute(absl::FromUnixMicros(micros), zone);
  absl::Weekday wd = absl::GetWeekday(local);
  // absl::Weekday runs Monday (0) to Sunday (6); `days` counts from Sunday.
  int day = (static_cast<int>(wd) + 1) % 7;
  int minute = local.hour() * 60 + local.minute();
  return (days >> day & 1U) != 0 && minute >= start_minute && minute < end_minute;
}

json WorkingHours::Json() const {
  json list = json::array();
  for (int d = 0; d < 7; ++d) {
    if (days >> d & 1U) list.push_back(kDays[d]);
  }
  return {{"timezone", timezone}, {"start", ClockText(start_minute)}, {"end", ClockText(end_minute)}, {"days", list}};
}

absl::StatusOr<WorkingHours> ParseWorkingHours(const json& j) {
  if (!j.is_object()) return FieldError("working_hours", "must be an object {timezone, start, end, days}");
  WorkingHours h;
  for (const auto& [key, value] : j.items()) {
    if (key != "timezone" && key != "start" && key != "end" && key != "days") {
      return FieldError("working_hours", StrCat("unknown key '", key.substr(0, 32), "'"));
    }
    if (key != "days" && !value.is_string()) return FieldError("working_hours", StrCat(key, " must be a string"));
  }
  if (j.contains("timezone")) {
    h.timezone = j["timezone"].get<std::string>();
    if (h.timezone.size() > 64 || !absl::LoadTimeZone(h.timezone, &h.zone)) {
      return FieldError("working_hours", "timezone must be a zone of the IANA database, such as Europe/London");
    }
  }
  for (auto [key, out] : {std::pair<const char*, int*>{"start", &h.start_minute}, {"end", &h.end_minute}}) {
    if (!j.contains(key)) continue;
    std::optional<int> minute = ParseClock(j[key].get<std::string>());
    if (!minute) return FieldError("working_hours", StrCat(key, " must be a time of day such as 08:30"));
    *out = *minute;
  }
  if (h.start_minute >= h.end_minute) return FieldError("working_hours", "start must be before end");
  if (j.contains("days")) {
    if (!j["days"].is_array()) return FieldError("working_hours", "days must be a list such as [\"mon\", \"tue\"]");
    h.days = 0;
    for (const json& d : j["days"]) {
      auto it = d.is_string() ? std::find(std::begin(kDays), std::end(kDays), d.get<std::string>()) : std::end(kDays);
      if (it == std::end(kDays)) return FieldError("working_hours", "days are sun, mon, tue, wed, thu, fri, sat");
      h.days |= 1U << (it - std::begin(kDays));
    }
  }
  return h;
}

bool IsRecordField(std::string_view field) {
  return std::find(std::begin(kFields), std::end(kFields), field) != std::end(kFields);
}

std::optional<std::string_view> RecordField(const audit::AuditRecord& r, std::string_view field) {
  auto opt = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
    if (!s) return std::nullopt;
    return std::string_view(*s);
  };
  if (field == "kind") return std::string_view(r.kind);
  if (field == "actor_type") return std::string_view(r.actor_type);
  if (field == "actor_id") return opt(r.actor_id);
  if (field == "actor_user_id") return opt(r.actor_user_id);
  if (field == "actor_via") return opt(r.actor_via);
  if (field == "action") return std::string_view(r.action);
  if (field == "event_type") return opt(r.event_type);
  if (field == "resource_type") return opt(r.resource_type);
  if (field == "resource_id") return opt(r.resource_id);
  if (field == "method") return opt(r.method);
  if (field == "route") return opt(r.route);
  if (field == "path") return opt(r.path);
  if (field == "outcome") return std::string_view(r.outcome);
  if (field == "source_ip") return opt(r.source_ip);
  if (field == "user_agent") return opt(r.user_agent);
  if (field == "tenant_id") return opt(r.tenant_id);
  if (field == "status" && r.status) {
    // Statuses are 100-599: a static table of their texts keeps string_views valid.
    static const std::vector<std::string> kStatuses = [] {
      std::vector<std::string> out;
      for (int i = 0; i < 600; ++i) out.push_back(std::to_string(i));
      return out;
    }();
    if (*r.status >= 0 && *r.status < 600) return std::string_view(kStatuses[static_cast<size_t>(*r.status)]);
  }
  return std::nullopt;
}

const json* RecordMatcher::Detail(std::string_view key) {
  if (!details_parsed_) {
    details_parsed_ = true;
    if (record_.details) details_ = json::parse(*record_.details, nullptr, false);
  }
  if (!details_.is_object()) return nullptr;
  auto it = details_.find(std::string(key));
  return it == details_.end() ? nullptr : &*it;
}

bool RecordMatcher::Holds(const Condition& c) {
  std::optional<std::string_view> text;
  std::optional<double> number;
  std::string detail_text;
  if (c.field.starts_with(kDetailsPrefix)) {
    const json* v = Detail(std::string_view(c.field).substr(kDetailsPrefix.size()));
    if (!v) return false;
    if (v->is_number()) {
      number = v->get<double>();
      detail_text = v->dump();
    } else if (v->is_string()) {
      detail_text = v->get<std::string>();
    } else if (v->is_boolean()) {
      detail_text = v->get<bool>() ? "true" : "false";
    } else {
      return false;
    }
    text = detail_text;
  } else {
    text = RecordField(record_, c.field);
    if (!text) return false;
  }
  switch (c.op) {
    case Condition::Op::kEquals: return *text == c.values.front();
    case Condition::Op::kIn: return std::find(c.values.begin(), c.values.end(), *text) != c.values.end();
    case Condition::Op::kPrefix: return text->starts_with(c.values.front());
    default: break;
  }
  if (!number) number = AsNumber(*text);
  if (!number) return false;
  switch (c.op) {
    case Condition::Op::kGreater: return *number > c.number;
    case Condition::Op::kGreaterOrEqual: return *number >= c.number;
    case Condition::Op::kLess: return *number < c.number;
    case Condition::Op::kLessOrEqual: return *number <= c.number;
    default: return false;
  }
}

bool RecordMatcher::Matches(const std::vector<Condition>& conditions) {
  // Record columns first: most records fail on them before any details are parsed.
  for (const Condition& c : conditions) {
    if (!c.field.starts_with(kDetailsPrefix) && !Holds(c)) return false;
  }
  for (const Condition& c : conditions) {
    if (c.field.starts_with(kDetailsPrefix) && !Holds(c)) return false;
  }
  return true;
}

absl::StatusOr<std::vector<DetectionRule>> ParseRules(std::string_view yaml) {
  try {
    YAML::Node doc = YAML::Load(std::string(yaml));
    if (!doc.IsMap() || !doc["rules"] || !doc["rules"].IsSequence()) {
      return absl::InvalidArgumentError("a rule file is a mapping with a list under 'rules'");
    }
    if (doc.size() != 1) return absl::InvalidArgumentError("a rule file has one key, 'rules'");
    if (doc["rules"].size() > kMaxRules) return absl::InvalidArgumentError(StrCat("at most ", kMaxRules, " rules"));
    std::vector<DetectionRule> rules;
    std::set<std::string> names;
    RuleErrors at;
    for (const YAML::Node& n : doc["rules"]) {
      at.name.clear();
      TF_ASSIGN_OR_RETURN(DetectionRule r, ParseRule(n, at));
      if (!names.insert(r.name).second) return at.Error("name", "is used by another rule");
      rules.push_back(std::move(r));
      ++at.index;
    }
    return rules;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat("not valid YAML: ", e.what()));
  }
}

absl::StatusOr<std::vector<DetectionRule>> LoadRules(const std::string& path) {
  if (path.empty()) return ParseRules(DefaultRulesYaml());
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(StrCat("security.rules_file: cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().size() > 1024 * 1024) return absl::InvalidArgumentError("security.rules_file: larger than 1 MiB");
  absl::StatusOr<std::vector<DetectionRule>> rules = ParseRules(text.str());
  if (!rules.ok()) return absl::InvalidArgumentError(StrCat("security.rules_file ", path, ": ", rules.status().message()));
  return rules;
}

absl::StatusOr<int64_t> ParseWindow(std::string_view text) {
  auto bad = [] { return absl::InvalidArgumentError("must be a duration such as 30s, 5m, 1h or 1d, at most 1d"); };
  if (text.size() < 2) return bad();
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return bad();
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (ec != std::errc() || ptr != text.data() + text.size() - 1 || n < 1 || n > 86400 || n * unit > 86400) {
    return bad();
  }
  return n * unit;
}

std::string WindowText(int64_t seconds) {
  if (seconds % 86400 == 0) return StrCat(seconds / 86400, "d");
  if (seconds % 3600 == 0) return StrCat(seconds / 3600, "h");
  if (seconds % 60 == 0) return StrCat(seconds / 60, "m");
  return StrCat(seconds, "s");
}

}  // namespace tf::security
