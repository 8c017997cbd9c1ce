#pragma once
// CronExpr: a parsed standard 5-field cron schedule, evaluated in UTC, so periodic work
// (checkpoints, reminders, backups) can be configured the way operators already write it.
//
//   minute hour day-of-month month day-of-week
//
// Each field takes `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, and comma lists of
// those. Months accept JAN..DEC and weekdays SUN..SAT (case-insensitive, also inside ranges);
// weekday 0 and 7 are both Sunday. A step needs `*` or a range (`5/15` is rejected: cron
// dialects disagree on what it means). The macros @hourly, @daily (@midnight), @weekly,
// @monthly and @yearly (@annually) stand for their usual expansions.
//
// Day matching follows vixie cron: when both day-of-month and day-of-week are restricted
// (neither field starts with `*`), a day matches if EITHER matches; otherwise both must
// (so `0 0 13 * FRI` runs on every 13th and every Friday, while `0 0 */2 * FRI` runs only on
// Fridays with an odd day of the month, as in vixie cron and cronie).
//
// A schedule that can never fire (`0 0 31 2 *`, `0 0 30 2 *`) is rejected by Parse, so Next
// always finds a time for a parsed expression; Next returns kNever only for times beyond the
// year 9999, which no real clock reaches.
// Thread-safety: immutable after Parse; safe to share between threads.

#include <bitset>
#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/clock.h"

namespace tf::jobs {

class CronExpr {
 public:
  //! Returned by Next when there is no later matching minute (only past the year 9999).
  static constexpr SysTime kNever = SysTime::max();

  //! Parses a 5-field expression or a macro. Errors are InvalidArgument naming the field.
  [[nodiscard]] static absl::StatusOr<CronExpr> Parse(std::string_view text);

  //! The first matching minute strictly after `after` (UTC, seconds and below zero).
  SysTime Next(SysTime after) const;

  //! True when the minute containing `t` matches.
  bool Matches(SysTime t) const;

  //! The text this expression was parsed from, trimmed (for status output).
  const std::string& text() const { return text_; }

 private:
  CronExpr() = default;

  bool DayMatches(int day_of_month, int month, int weekday) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  //!< bits 1..31
  std::bitset<13> months_;         //!< bits 1..12
  std::bitset<7> days_of_week_;    //!< bit 0 = Sunday
  bool dom_star_ = false;          //!< day-of-month field starts with '*'
  bool dow_star_ = false;          //!< day-of-week field starts with '*'
};

}  // namespace tf::jobs
