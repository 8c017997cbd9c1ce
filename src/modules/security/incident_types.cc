#include "modules/security/incident_types.h"

#include <algorithm>

#include "core/clock.h"
#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"

namespace tf::security {

namespace {

using nlohmann::json;

constexpr size_t kMaxText = 8000;
constexpr size_t kMaxItems = 50;

int StatusIndex(std::string_view s) {
  for (size_t i = 0; i < std::size(kIncidentStatuses); ++i) {
    if (kIncidentStatuses[i] == s) return static_cast<int>(i);
  }
  return -1;
}

std::optional<int64_t> Between(const std::optional<int64_t>& from, const std::optional<int64_t>& to) {
  if (!from || !to) return std::nullopt;
  return std::max<int64_t>(0, (*to - *from) / kMicrosPerSecond);
}

absl::StatusOr<std::string> Text(const json& j, const char* key, bool required = false) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required) return FieldError(key, "is required");
    return std::string();
  }
  if (!j[key].is_string()) return FieldError(key, "must be a string");
  std::string s = j[key].get<std::string>();
  if (s.size() > kMaxText) return FieldError(key, StrCat("must be at most ", kMaxText, " characters"));
  return s;
}

absl::StatusOr<std::vector<std::string>> Lines(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key) || j[key].is_null()) return out;
  if (!j[key].is_array() || j[key].size() > kMaxItems) {
    return FieldError(key, StrCat("must be a list of at most ", kMaxItems, " strings"));
  }
  for (const json& item : j[key]) {
    if (!item.is_string() || item.get<std::string>().size() > 2000) {
      return FieldError(key, "items must be strings of at most 2000 characters");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

void Bullets(std::string& out, std::string_view heading, const std::vector<std::string>& items) {
  StrAppend(&out, "\n## ", heading, "\n\n");
  if (items.empty()) StrAppend(&out, "_None recorded._\n");
  for (const std::string& item : items) StrAppend(&out, "- ", item, "\n");
}

//! Text inside a Markdown table cell: its pipes escaped, its line breaks spaces.
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string Paragraph(const std::string& text) { return text.empty() ? "_Not written yet._" : text; }

std::string When(const std::optional<int64_t>& t) { return t ? FormatRfc3339Exact(*t) : "—"; }

std::string Duration(const std::optional<int64_t>& seconds) {
  if (!seconds) return "—";
  int64_t s = *seconds;
  if (s < 120) return StrCat(s, " s");
  if (s < 7200) return StrCat(s / 60, " min");
  return StrCat(s / 3600, " h ", (s % 3600) / 60, " min");
}

}  // namespace

bool IncidentTransitionAllowed(std::string_view from, std::string_view to) {
  int f = StatusIndex(from), t = StatusIndex(to);
  if (f < 0 || t < 0 || f == t || from == "closed") return false;
  if (to == "closed") return from == "resolved";
  if (t > f) return true;  // forward, up to resolved
  return to == "investigating" && f >= StatusIndex("identified");
}

std::vector<std::string> IncidentTransitionsFrom(std::string_view from) {
  std::vector<std::string> out;
  for (std::string_view to : kIncidentStatuses) {
    if (IncidentTransitionAllowed(from, to)) out.emplace_back(to);
  }
  return out;
}

bool NeedsPostmortem(std::string_view severity) { return severity == "SEV1" || severity == "SEV2"; }

IncidentMetrics MetricsOf(const Incident& i) {
  return {Between(i.impact_started_at, i.detected_at), Between(i.detected_at, i.acknowledged_at),
          Between(i.detected_at, i.resolved_at)};
}

MetricTargets TargetsOf(std::string_view severity) {
  constexpr int64_t kMin = 60;
  if (severity == "SEV1") return {2 * kMin, 5 * kMin, 30 * kMin};
  if (severity == "SEV2") return {15 * kMin, 15 * kMin, 4 * 60 * kMin};
  if (severity == "SEV3") return {std::nullopt, 60 * kMin, 24 * 60 * kMin};
  return {std::nullopt, 24 * 60 * kMin, 5 * 24 * 60 * kMin};
}

std::vector<std::string> Breaches(const Incident& i) {
  IncidentMetrics m = MetricsOf(i);
  MetricTargets t = TargetsOf(i.severity);
  std::vector<std::string> out;
  auto check = [&](const char* name, const std::optional<int64_t>& value, const std::optional<int64_t>& target) {
    if (value && target && *value > *target) out.emplace_back(name);
  };
  check("mttd", m.mttd_seconds, t.mttd);
  check("mtta", m.mtta_seconds, t.mtta);
  check("mttr", m.mttr_seconds, t.mttr);
  return out;
}

std::optional<BreachClock> BreachClockOf(const Incident& i, int64_t now) {
  if (!i.breach || !i.breach_aware_at) return std::nullopt;
  BreachClock c;
  c.aware_at = *i.breach_aware_at;
  c.deadline = c.aware_at + kBreachNotificationMicros;
  c.notified = i.authority_notified_at.has_value();
  c.notified_late = c.notified && *i.authority_notified_at > c.deadline;
  int64_t until = c.notified ? *i.authority_notified_at : now;
  c.seconds_remaining = (c.deadline - until) / kMicrosPerSecond;
  for (std::string_view field : kBreachReportFields) {
    const json& r = i.breach_report;
    if (!r.is_object() || !r.contains(field) || !r[std::string(field)].is_string() ||
        r[std::string(field)].get<std::string>().empty()) {
      c.missing_content.emplace_back(field);
    }
  }
  return c;
}

json Postmortem::Json() const {
  json items = json::array();
  for (const ActionItem& a : action_items) {
    items.push_back({{"title", a.title},
                     {"owner", a.owner},
                     {"due_date", a.due_date ? json(*a.due_date) : json(nullptr)},
                     {"status", a.status}});
  }
  return {{"summary", summary},
          {"impact", impact},
          {"root_cause", root_cause},
          {"contributing_factors", contributing_factors},
          {"timeline", timeline},
          {"went_well", went_well},
          {"went_wrong", went_wrong},
          {"action_items", std::move(items)}};
}

absl::StatusOr<Postmortem> PostmortemFromJson(const json& j) {
  if (!j.is_object()) return FieldError("postmortem", "must be an object");
  static constexpr std::string_view kKeys[] = {"summary",  "impact",   "root_cause", "contributing_factors",
                                               "timeline", "went_well", "went_wrong", "action_items"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return FieldError(key.substr(0, 64), "is not a field of a postmortem");
    }
  }
  Postmortem p;
  TF_ASSIGN_OR_RETURN(p.summary, Text(j, "summary"));
  TF_ASSIGN_OR_RETURN(p.impact, Text(j, "impact"));
  TF_ASSIGN_OR_RETURN(p.root_cause, Text(j, "root_cause"));
  TF_ASSIGN_OR_RETURN(p.contributing_factors, Lines(j, "contributing_factors"));
  TF_ASSIGN_OR_RETURN(p.timeline, Lines(j, "timeline"));
  TF_ASSIGN_OR_RETURN(p.went_well, Lines(j, "went_well"));
  TF_ASSIGN_OR_RETURN(p.went_wrong, Lines(j, "went_wrong"));
  if (j.contains("action_items") && !j["action_items"].is_null()) {
    const json& items = j["action_items"];
    if (!items.is_array() || items.size() > kMaxItems) {
      return FieldError("action_items", StrCat("must be a list of at most ", kMaxItems, " items"));
    }
    for (const json& item : items) {
      if (!item.is_object()) return FieldError("action_items", "items must be objects {title, owner, due_date, status}");
      ActionItem a;
      TF_ASSIGN_OR_RETURN(a.title, Text(item, "title", true));
      TF_ASSIGN_OR_RETURN(a.owner, Text(item, "owner", true));
      if (a.title.empty() || a.owner.empty()) return FieldError("action_items", "every item needs a title and an owner");
      TF_ASSIGN_OR_RETURN(std::string due, Text(item, "due_date"));
      if (!due.empty()) {
        if (!IsDate(due)) return FieldError("action_items", "due_date must be a date such as 2026-12-31");
        a.due_date = due;
      }
      TF_ASSIGN_OR_RETURN(std::string status, Text(item, "status"));
      if (!status.empty()) a.status = status;
      if (a.status != "open" && a.status != "in_progress" && a.status != "done") {
        return FieldError("action_items", "status must be open, in_progress or done");
      }
      for (const auto& [key, value] : item.items()) {
        if (key != "title" && key != "owner" && key != "due_date" && key != "status") {
          return FieldError("action_items", StrCat("unknown field '", key.substr(0, 32), "'"));
        }
      }
      p.action_items.push_back(std::move(a));
    }
  }
  return p;
}

std::string PostmortemMarkdown(const Incident& i, const Postmortem& p, const std::vector<TimelineEntry>& timeline) {
  IncidentMetrics m = MetricsOf(i);
  std::string out = StrCat("# Postmortem: ", Cell(i.title), "\n\n");
  StrAppend(&out, "| | |\n|---|---|\n", "| Incident | ", i.id, " |\n", "| Severity | ", i.severity, " |\n",
            "| Status | ", i.status, " |\n", "| Impact started | ", When(i.impact_started_at), " |\n",
            "| Detected | ", When(i.detected_at), " |\n", "| Acknowledged | ", When(i.acknowledged_at), " |\n",
            "| Resolved | ", When(i.resolved_at), " |\n", "| Time to detect | ", Duration(m.mttd_seconds), " |\n",
            "| Time to acknowledge | ", Duration(m.mtta_seconds), " |\n", "| Time to resolve | ",
            Duration(m.mttr_seconds), " |\n", "| Commander | ", Cell(i.commander.value_or("—")), " |\n");
  if (i.breach) {
    StrAppend(&out, "| Personal-data breach | yes; authority notified ", When(i.authority_notified_at),
              i.authority ? StrCat(" (", Cell(*i.authority), ")") : "", " |\n");
  }
  StrAppend(&out, "\n## Summary\n\n", Paragraph(p.summary), "\n\n## Impact\n\n", Paragraph(p.impact),
            "\n\n## Root cause\n\n", Paragraph(p.root_cause), "\n");
  Bullets(out, "Contributing factors", p.contributing_factors);
  Bullets(out, "Timeline", p.timeline);
  StrAppend(&out, "\n### Recorded by Trust Fabric\n\n");
  for (const TimelineEntry& e : timeline) {
    StrAppend(&out, "- ", FormatRfc3339Exact(e.at), " — ", e.text, " (", e.actor, ")\n");
  }
  Bullets(out, "What went well", p.went_well);
  Bullets(out, "What went wrong", p.went_wrong);
  StrAppend(&out, "\n## Action items\n\n");
  if (p.action_items.empty()) StrAppend(&out, "_None recorded._\n");
  else StrAppend(&out, "| Action | Owner | Due | Status |\n|---|---|---|---|\n");
  for (const ActionItem& a : p.action_items) {
    StrAppend(&out, "| ", Cell(a.title), " | ", Cell(a.owner), " | ", a.due_date.value_or("—"), " | ", a.status, " |\n");
  }
  return out;
}

}  // namespace tf::security
