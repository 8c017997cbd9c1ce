#include "jobs/cron.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/time_format.h"
#include "support/times.h"

namespace tf::jobs {
namespace {

using std::chrono::minutes;

using tf::testing::T;

CronExpr MustParse(std::string_view text) {
  auto expr = CronExpr::Parse(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status();
  return expr.ok() ? *expr : *CronExpr::Parse("* * * * *");
}

//! The first `n` times the expression fires after `from`, formatted.
std::vector<std::string> NextN(std::string_view text, std::string_view from, int n) {
  CronExpr expr = MustParse(text);
  std::vector<std::string> out;
  SysTime t = T(from);
  for (int i = 0; i < n; ++i) {
    t = expr.Next(t);
    out.push_back(FormatRfc3339(t));
  }
  return out;
}

TEST(CronExprTest, EveryFifteenMinutes) {
  EXPECT_EQ(NextN("*/15 * * * *", "2026-11-24T10:07:30Z", 4),
            (std::vector<std::string>{"2026-11-24T10:15:00.000Z", "2026-11-24T10:30:00.000Z",
                                      "2026-11-24T10:45:00.000Z", "2026-11-24T11:00:00.000Z"}));
}

TEST(CronExprTest, NextIsStrictlyAfterAndDropsSeconds) {
  CronExpr every_minute = MustParse("* * * * *");
  EXPECT_EQ(every_minute.Next(T("2026-11-24T10:00:00Z")), T("2026-11-24T10:01:00Z"));
  EXPECT_EQ(every_minute.Next(T("2026-11-24T10:00:59.999999Z")), T("2026-11-24T10:01:00Z"));
  CronExpr quarter = MustParse("*/15 * * * *");
  EXPECT_EQ(quarter.Next(T("2026-11-24T10:15:00Z")), T("2026-11-24T10:30:00Z"));
  EXPECT_EQ(quarter.Next(T("2026-11-24T10:14:59.999999Z")), T("2026-11-24T10:15:00Z"));
}

TEST(CronExprTest, WeekdaysAtNine) {
  // 2026-11-27 is a Friday.
  EXPECT_EQ(NextN("0 9 * * MON-FRI", "2026-11-27T08:59:00Z", 3),
            (std::vector<std::string>{"2026-11-27T09:00:00.000Z", "2026-11-30T09:00:00.000Z",
                                      "2026-12-01T09:00:00.000Z"}));
  EXPECT_EQ(NextN("0 9 * * mon-fri", "2026-11-27T09:00:00Z", 1),
            (std::vector<std::string>{"2026-11-30T09:00:00.000Z"}));
}

TEST(CronExprTest, FirstOfMonthRollsOverTheYear) {
  EXPECT_EQ(NextN("0 0 1 * *", "2026-11-24T10:00:00Z", 3),
            (std::vector<std::string>{"2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z",
                                      "2027-02-01T00:00:00.000Z"}));
}

TEST(CronExprTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // Vixie rule: the 13th OR any Friday. 2026-11-13 and 2026-11-27 are Fridays.
  EXPECT_EQ(NextN("0 0 13 * FRI", "2026-11-01T00:00:00Z", 5),
            (std::vector<std::string>{"2026-11-06T00:00:00.000Z", "2026-11-13T00:00:00.000Z",
                                      "2026-11-20T00:00:00.000Z", "2026-11-27T00:00:00.000Z",
                                      "2026-12-04T00:00:00.000Z"}));
  // December 13th 2026 is a Sunday: it matches through the day-of-month.
  EXPECT_EQ(NextN("0 0 13 * FRI", "2026-12-11T00:00:00Z", 2),
            (std::vector<std::string>{"2026-12-13T00:00:00.000Z", "2026-12-18T00:00:00.000Z"}));
}

TEST(CronExprTest, StarredFieldMeansBothMustMatch) {
  // Day-of-month starts with '*', so both must match: Fridays on odd days of the month.
  EXPECT_EQ(NextN("0 0 */2 * FRI", "2026-11-01T00:00:00Z", 3),
            (std::vector<std::string>{"2026-11-13T00:00:00.000Z", "2026-11-27T00:00:00.000Z",
                                      "2026-12-11T00:00:00.000Z"}));
  // Day-of-week '*': only the day of the month counts.
  EXPECT_EQ(NextN("0 0 13 * *", "2026-11-01T00:00:00Z", 2),
            (std::vector<std::string>{"2026-11-13T00:00:00.000Z", "2026-12-13T00:00:00.000Z"}));
}

TEST(CronExprTest, LeapDay) {
  EXPECT_EQ(NextN("0 0 29 2 *", "2026-03-01T00:00:00Z", 2),
            (std::vector<std::string>{"2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"}));
  // 2100 is not a leap year: eight years from 2096 to 2104.
  EXPECT_EQ(NextN("0 0 29 2 *", "2096-03-01T00:00:00Z", 1),
            (std::vector<std::string>{"2104-02-29T00:00:00.000Z"}));
}

TEST(CronExprTest, ImpossibleSchedulesAreRejected) {
  for (std::string_view text : {"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30-31 FEB *"}) {
    auto expr = CronExpr::Parse(text);
    ASSERT_FALSE(expr.ok()) << text;
    EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(expr.status().message().find("never runs"), absl::string_view::npos)
        << expr.status();
  }
  // With a restricted weekday too, the weekday alone can fire (vixie OR rule).
  EXPECT_EQ(NextN("0 0 31 2 MON", "2026-11-24T00:00:00Z", 1),
            (std::vector<std::string>{"2027-02-01T00:00:00.000Z"}));
}

TEST(CronExprTest, NamesListsRangesAndSteps) {
  EXPECT_EQ(NextN("5,10-20/5 * * * *", "2026-11-24T10:00:00Z", 5),
            (std::vector<std::string>{"2026-11-24T10:05:00.000Z", "2026-11-24T10:10:00.000Z",
                                      "2026-11-24T10:15:00.000Z", "2026-11-24T10:20:00.000Z",
                                      "2026-11-24T11:05:00.000Z"}));
  EXPECT_EQ(NextN("0 12 1 jan-mar,Dec *", "2026-11-24T00:00:00Z", 4),
            (std::vector<std::string>{"2026-12-01T12:00:00.000Z", "2027-01-01T12:00:00.000Z",
                                      "2027-02-01T12:00:00.000Z", "2027-03-01T12:00:00.000Z"}));
  EXPECT_EQ(NextN("0 0 * * 1-5/2", "2026-11-24T00:00:00Z", 3),  // Mon, Wed, Fri
            (std::vector<std::string>{"2026-11-25T00:00:00.000Z", "2026-11-27T00:00:00.000Z",
                                      "2026-11-30T00:00:00.000Z"}));
  // Sunday is 0, 7 and SUN; a range may end on SUN.
  std::vector<std::string> sundays = NextN("0 0 * * 0", "2026-11-24T00:00:00Z", 2);
  EXPECT_EQ(NextN("0 0 * * 7", "2026-11-24T00:00:00Z", 2), sundays);
  EXPECT_EQ(NextN("0 0 * * sun", "2026-11-24T00:00:00Z", 2), sundays);
  EXPECT_EQ(sundays, (std::vector<std::string>{"2026-11-29T00:00:00.000Z", "2026-12-06T00:00:00.000Z"}));
  EXPECT_EQ(NextN("0 0 * * FRI-SUN", "2026-11-24T00:00:00Z", 4),
            (std::vector<std::string>{"2026-11-27T00:00:00.000Z", "2026-11-28T00:00:00.000Z",
                                      "2026-11-29T00:00:00.000Z", "2026-12-04T00:00:00.000Z"}));
  EXPECT_EQ(NextN("0 0 * * 5-7", "2026-11-24T00:00:00Z", 4),
            NextN("0 0 * * FRI-SUN", "2026-11-24T00:00:00Z", 4));
}

TEST(CronExprTest, MacrosExpand) {
  const char* from = "2026-11-24T10:07:00Z";
  EXPECT_EQ(NextN("@hourly", from, 3), NextN("0 * * * *", from, 3));
  EXPECT_EQ(NextN("@daily", from, 3), NextN("0 0 * * *", from, 3));
  EXPECT_EQ(NextN("@midnight", from, 3), NextN("0 0 * * *", from, 3));
  EXPECT_EQ(NextN("@weekly", from, 3), NextN("0 0 * * 0", from, 3));
  EXPECT_EQ(NextN("@monthly", from, 3), NextN("0 0 1 * *", from, 3));
  EXPECT_EQ(NextN("@yearly", from, 2), NextN("0 0 1 1 *", from, 2));
  EXPECT_EQ(NextN(" @ANNUALLY ", from, 2), NextN("0 0 1 1 *", from, 2));
  EXPECT_EQ(MustParse("  @daily ").text(), "@daily");
  EXPECT_EQ(MustParse("0  9\t* * MON-FRI").text(), "0  9\t* * MON-FRI");
}

TEST(CronExprTest, InvalidExpressionsNameTheField) {
  struct Case {
    const char* text;
    const char* expected;  // a substring of the message
  };
  const Case cases[] = {
      {"", "has 0 fields"},
      {"* * * *", "has 4 fields"},
      {"* * * * * *", "has 6 fields"},
      {"60 * * * *", "minute field \"60\": value 60 is out of range 0-59"},
      {"* 24 * * *", "hour field"},
      {"* * 0 * *", "day-of-month field"},
      {"* * 32 * *", "day-of-month field"},
      {"* * * 13 *", "month field"},
      {"* * * FOO *", "month field \"FOO\": \"FOO\" is not a number or a month name"},
      {"* * * * 8", "day-of-week field"},
      {"* * * * MON-", "day-of-week field \"MON-\": missing value"},
      {"* * * * FUNDAY", "weekday name"},
      {"a * * * *", "minute field \"a\": \"a\" is not a number"},
      {"*/0 * * * *", "minute field \"*/0\": step 0 is out of range"},
      {"*/ * * * *", "missing step"},
      {"*/x * * * *", "step \"x\" is not a number"},
      {"5/15 * * * *", "a step needs '*' or a range"},
      {"10-5 * * * *", "range 10-5 runs backwards"},
      {"1,,2 * * * *", "empty list element"},
      {"-1 * * * *", "minute field"},
      {"@reboot", "unknown cron macro \"@reboot\""},
      {"@every 5m", "unknown cron macro"},
  };
  for (const Case& c : cases) {
    auto expr = CronExpr::Parse(c.text);
    ASSERT_FALSE(expr.ok()) << "\"" << c.text << "\" parsed";
    EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(expr.status().message().find(c.expected), absl::string_view::npos)
        << "\"" << c.text << "\": " << expr.status().message();
  }
}

// Next agrees with a minute-by-minute scan over two months for a range of expressions.
TEST(CronExprTest, NextAgreesWithBruteForce) {
  const char* exprs[] = {"*/15 * * * *",  "0 9 * * MON-FRI", "0 0 13 * FRI", "30 2 * * 0",
                         "0 0 */2 * FRI", "5 4 1,15 * *",    "0 */6 * * *",  "59 23 31 * *"};
  const SysTime start = T("2026-11-20T00:00:00Z");
  const SysTime end = start + std::chrono::hours(24 * 62);
  for (const char* text : exprs) {
    CronExpr expr = MustParse(text);
    SysTime expected_next = CronExpr::kNever;
    std::vector<SysTime> matches;
    for (SysTime t = start + minutes(1); t < end; t += minutes(1)) {
      if (expr.Matches(t)) matches.push_back(t);
    }
    ASSERT_FALSE(matches.empty()) << text;
    SysTime t = start;
    for (SysTime m : matches) {
      expected_next = m;
      t = expr.Next(t);
      ASSERT_EQ(FormatRfc3339(t), FormatRfc3339(expected_next)) << text;
    }
  }
}

TEST(CronExprTest, FarFutureReturnsNever) {
  CronExpr expr = MustParse("* * * * *");
  EXPECT_EQ(expr.Next(SysTime::max()), CronExpr::kNever);
  EXPECT_EQ(expr.Next(T("9999-12-31T23:59:00Z")), CronExpr::kNever);
  EXPECT_EQ(expr.Next(T("9999-12-30T23:59:00Z")), T("9999-12-31T00:00:00Z"));
}

}  // namespace
}  // namespace tf::jobs
