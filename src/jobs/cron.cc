#include "jobs/cron.h"

#include <array>
#include <cctype>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/strings.h"

namespace tf::jobs {

namespace {

using std::chrono::days;


std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

//! Splits on any of `separators`; drops empty pieces when `skip_empty`.
std::vector<std::string_view> Split(std::string_view s, std::string_view separators, bool skip_empty) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find_first_of(separators, start);
    std::string_view piece = s.substr(start, end == std::string_view::npos ? s.npos : end - start);
    if (!piece.empty() || !skip_empty) out.push_back(piece);
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
using std::chrono::sys_days;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT"};
//! Longest length of each month (February in a leap year), index 1..12.
constexpr std::array<int, 13> kMaxDaysInMonth = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

struct FieldSpec {
  std::string_view name;
  int low;
  int high;          //!< highest accepted value (7 for day-of-week)
  int star_high;     //!< highest value `*` covers (6 for day-of-week)
  int names_offset;  //!< value of the first name (1 for JAN, 0 for SUN)
  const std::string_view* names;
  size_t names_count;
};

constexpr FieldSpec kMinute{"minute", 0, 59, 59, 0, nullptr, 0};
constexpr FieldSpec kHour{"hour", 0, 23, 23, 0, nullptr, 0};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, 31, 0, nullptr, 0};
constexpr FieldSpec kMonth{"month", 1, 12, 12, 1, kMonthNames.data(), kMonthNames.size()};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 7, 6, 0, kWeekdayNames.data(), kWeekdayNames.size()};

absl::Status FieldError(const FieldSpec& spec, std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(
      StrCat("cron ", spec.name, " field \"", field, "\": ", why));
}

//! Parses a number or (where the field has them) a three-letter name.
absl::StatusOr<int> ParseValue(const FieldSpec& spec, std::string_view field, std::string_view token) {
  if (token.empty()) return FieldError(spec, field, "missing value");
  if (std::isdigit(static_cast<unsigned char>(token[0]))) {
    int value = 0;
    for (char c : token) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        return FieldError(spec, field, StrCat("\"", token, "\" is not a number"));
      }
      value = value * 10 + (c - '0');
      if (value > 1000) break;  // far out of range already; avoid overflow
    }
    if (value < spec.low || value > spec.high) {
      return FieldError(spec, field, StrCat("value ", token, " is out of range ", spec.low,
                                                  "-", spec.high));
    }
    return value;
  }
  std::string upper = Upper(token);
  for (size_t i = 0; i < spec.names_count; ++i) {
    if (upper == spec.names[i]) return static_cast<int>(i) + spec.names_offset;
  }
  if (spec.names_count == 0) {
    return FieldError(spec, field, StrCat("\"", token, "\" is not a number"));
  }
  return FieldError(spec, field,
                    StrCat("\"", token, "\" is not a number or a ",
                                 spec.names_offset == 1 ? "month name (JAN..DEC)"
                                                        : "weekday name (SUN..SAT)"));
}

//! Parses one field into a bit mask over [0, high]; `star` is set when it starts with '*'.
absl::StatusOr<std::vector<bool>> ParseField(const FieldSpec& spec, std::string_view field,
                                             bool* star) {
  std::vector<bool> bits(spec.high + 1, false);
  *star = !field.empty() && field[0] == '*';
  for (std::string_view element : Split(field, ",", /*skip_empty=*/false)) {
    if (element.empty()) return FieldError(spec, field, "empty list element");
    std::string_view range = element;
    int step = 1;
    if (size_t slash = element.find('/'); slash != std::string_view::npos) {
      range = element.substr(0, slash);
      std::string_view step_text = element.substr(slash + 1);
      if (step_text.empty()) return FieldError(spec, field, "missing step after '/'");
      for (char c : step_text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          return FieldError(spec, field, StrCat("step \"", step_text, "\" is not a number"));
        }
      }
      step = step_text.size() > 4 ? 100000 : std::stoi(std::string(step_text));
      if (step < 1 || step > spec.star_high - spec.low + 1) {
        return FieldError(spec, field, StrCat("step ", step_text, " is out of range 1-",
                                                    spec.star_high - spec.low + 1));
      }
    }
    int first = 0;
    int last = 0;
    if (range == "*") {
      first = spec.low;
      last = spec.star_high;
    } else if (size_t dash = range.find('-'); dash != std::string_view::npos) {
      std::string_view last_text = range.substr(dash + 1);
      TF_ASSIGN_OR_RETURN(first, ParseValue(spec, field, range.substr(0, dash)));
      TF_ASSIGN_OR_RETURN(last, ParseValue(spec, field, last_text));
      // "FRI-SUN": a weekday range may end on Sunday written by name.
      if (&spec == &kDayOfWeek && last == 0 && Upper(last_text) == "SUN") last = 7;
      if (first > last) {
        return FieldError(spec, field, StrCat("range ", range, " runs backwards"));
      }
    } else {
      if (range != element) {
        return FieldError(spec, field,
                          StrCat("a step needs '*' or a range before it, as in */n or a-b/n; "
                                       "got \"", element, "\""));
      }
      TF_ASSIGN_OR_RETURN(first, ParseValue(spec, field, range));
      last = first;
    }
    for (int v = first; v <= last; v += step) bits[v] = true;
  }
  return bits;
}

template <size_t N>
void CopyBits(const std::vector<bool>& from, std::bitset<N>& to) {
  for (size_t i = 0; i < from.size() && i < N; ++i) {
    if (from[i]) to.set(i);
  }
}

std::optional<std::string_view> ExpandMacro(std::string_view text) {
  std::string upper = Upper(text);
  if (upper == "@HOURLY") return "0 * * * *";
  if (upper == "@DAILY" || upper == "@MIDNIGHT") return "0 0 * * *";
  if (upper == "@WEEKLY") return "0 0 * * 0";
  if (upper == "@MONTHLY") return "0 0 1 * *";
  if (upper == "@YEARLY" || upper == "@ANNUALLY") return "0 0 1 1 *";
  return std::nullopt;
}

// The search window: years outside it are not representable by std::chrono::year_month_day
// arithmetic we rely on, and no clock of ours reaches them.
constexpr sys_days kFirstDay = sys_days{std::chrono::year{1} / 1 / 1};
constexpr sys_days kLastDay = sys_days{std::chrono::year{9999} / 12 / 31};

}  // namespace

absl::StatusOr<CronExpr> CronExpr::Parse(std::string_view text) {
  std::string_view trimmed = Trim(text);
  std::string_view fields_text = trimmed;
  if (!trimmed.empty() && trimmed[0] == '@') {
    std::optional<std::string_view> expanded = ExpandMacro(trimmed);
    if (!expanded) {
      return absl::InvalidArgumentError(StrCat(
          "unknown cron macro \"", trimmed,
          "\"; use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually"));
    }
    fields_text = *expanded;
  }
  std::vector<std::string_view> fields = Split(fields_text, " \t", /*skip_empty=*/true);
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(StrCat(
        "cron expression \"", trimmed, "\" has ", fields.size(),
        " fields; expected 5 (minute hour day-of-month month day-of-week) or a macro like @daily"));
  }
  CronExpr expr;
  expr.text_ = std::string(trimmed);
  bool star = false;
  TF_ASSIGN_OR_RETURN(auto minutes, ParseField(kMinute, fields[0], &star));
  TF_ASSIGN_OR_RETURN(auto hours, ParseField(kHour, fields[1], &star));
  TF_ASSIGN_OR_RETURN(auto doms, ParseField(kDayOfMonth, fields[2], &expr.dom_star_));
  TF_ASSIGN_OR_RETURN(auto months, ParseField(kMonth, fields[3], &star));
  TF_ASSIGN_OR_RETURN(auto dows, ParseField(kDayOfWeek, fields[4], &expr.dow_star_));
  if (dows[7]) dows[0] = true;  // 7 is Sunday too
  dows.resize(7);
  CopyBits(minutes, expr.minutes_);
  CopyBits(hours, expr.hours_);
  CopyBits(doms, expr.days_of_month_);
  CopyBits(months, expr.months_);
  CopyBits(dows, expr.days_of_week_);

  // Every calendar date falls on every weekday within the 400-year Gregorian cycle, so a
  // schedule can fire unless it requires a day of the month that none of its months has.
  if (expr.dom_star_ || expr.dow_star_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if (!expr.months_[m]) continue;
      for (int d = 1; d <= kMaxDaysInMonth[m] && !possible; ++d) possible = expr.days_of_month_[d];
    }
    if (!possible) {
      return absl::InvalidArgumentError(StrCat(
          "cron expression \"", trimmed, "\" never runs: day-of-month field \"", fields[2],
          "\" names no day that month field \"", fields[3], "\" has"));
    }
  }
  return expr;
}

bool CronExpr::DayMatches(int day_of_month, int month, int weekday) const {
  if (!months_[month]) return false;
  bool dom = days_of_month_[day_of_month];
  bool dow = days_of_week_[weekday];
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

bool CronExpr::Matches(SysTime t) const {
  auto minute = std::chrono::floor<std::chrono::minutes>(t);
  sys_days day = std::chrono::floor<days>(minute);
  if (day < kFirstDay || day > kLastDay) return false;
  std::chrono::year_month_day ymd{day};
  int minute_of_day = static_cast<int>((minute - day).count());
  return minutes_[minute_of_day % 60] && hours_[minute_of_day / 60] &&
         DayMatches(static_cast<int>(unsigned(ymd.day())), static_cast<int>(unsigned(ymd.month())),
                    static_cast<int>(std::chrono::weekday{day}.c_encoding()));
}

SysTime CronExpr::Next(SysTime after) const {
  using std::chrono::floor;
  using std::chrono::minutes;
  if (after >= SysTime(kLastDay)) return kNever;
  SysTime start = after < SysTime(kFirstDay) ? SysTime(kFirstDay) - minutes{1} : after;
  auto first_minute = floor<minutes>(start) + minutes{1};
  sys_days day = floor<days>(first_minute);
  int start_minute = static_cast<int>((first_minute - day).count());
  while (day <= kLastDay) {
    std::chrono::year_month_day ymd{day};
    int month = static_cast<int>(unsigned(ymd.month()));
    if (!months_[month]) {
      // Jump to the first day of the next month.
      std::chrono::year_month next = ymd.year() / ymd.month() + std::chrono::months{1};
      day = sys_days{next / 1};
      start_minute = 0;
      continue;
    }
    if (DayMatches(static_cast<int>(unsigned(ymd.day())), month,
                   static_cast<int>(std::chrono::weekday{day}.c_encoding()))) {
      for (int h = start_minute / 60; h < 24; ++h) {
        if (!hours_[h]) continue;
        int first = h == start_minute / 60 ? start_minute % 60 : 0;
        for (int m = first; m < 60; ++m) {
          if (minutes_[m]) return SysTime(day) + std::chrono::hours{h} + minutes{m};
        }
      }
    }
    day += days{1};
    start_minute = 0;
  }
  return kNever;
}

}  // namespace tf::jobs
