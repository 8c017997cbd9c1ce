// Tests of RFC 3339 formatting and parsing (core/time_format.h).

#include "core/time_format.h"

#include "core/clock.h"
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tf {
namespace {

using std::chrono::microseconds;

// 2026-11-24T10:42:56Z
constexpr int64_t kT = int64_t{1795516976} * kMicrosPerSecond;

int64_t Micros(std::string_view s) {
  auto t = ParseRfc3339(s);
  EXPECT_TRUE(t.ok()) << s << ": " << t.status();
  return t.ok() ? t->time_since_epoch().count() : INT64_MIN;
}

TEST(TimeFormatTest, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Micros(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Micros(kT), "2026-11-24T10:42:56.000Z");
  EXPECT_EQ(FormatRfc3339Micros(kT + 123'456), "2026-11-24T10:42:56.123Z");  // truncated, not rounded
  EXPECT_EQ(FormatRfc3339Micros(kT + 999'999), "2026-11-24T10:42:56.999Z");
  EXPECT_EQ(FormatRfc3339(SysTime(microseconds(kT + 5'000))), "2026-11-24T10:42:56.005Z");
  EXPECT_EQ(FormatRfc3339Micros(951782400 * kMicrosPerSecond), "2000-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(FormatRfc3339Micros(-kMicrosPerSecond), "1969-12-31T23:59:59.000Z");
}

TEST(TimeFormatTest, ExactFormatIsAbslsSixDigitFormat) {
  EXPECT_EQ(FormatRfc3339Exact(kT + 450), "2026-11-24T10:42:56.000450Z");
  EXPECT_EQ(FormatRfc3339Exact(-1), "1969-12-31T23:59:59.999999Z");
  auto absl_text = [](int64_t micros) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
  };
  // Every kind of day boundary: leap days and century years, both sides of the epoch, and
  // years 999, 1000, 9999 and 10000 (either side of the range written by hand).
  std::vector<int64_t> days;
  for (int64_t d = -800; d <= 800; ++d) days.push_back(d);
  for (int64_t year_days : {-719528, -719162, -354285, -353920, -25567, 10957, 11016, 11017, 47541, 2932896, 2932897, 2933000}) {
    for (int64_t d = -2; d <= 2; ++d) days.push_back(year_days + d);
  }
  for (int64_t d : days) {
    for (int64_t of_day : {int64_t{0}, int64_t{1}, kMicrosPerDay - 1, int64_t{45296789012}}) {
      int64_t micros = d * kMicrosPerDay + of_day;
      ASSERT_EQ(FormatRfc3339Exact(micros), absl_text(micros)) << micros;
    }
  }
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(-62'135'596'800'000'000, 253'402'300'799'999'999);
  for (int i = 0; i < 100000; ++i) {
    int64_t micros = any(rng);
    ASSERT_EQ(FormatRfc3339Exact(micros), absl_text(micros)) << micros;
  }
}

TEST(TimeFormatTest, ParsesZuluWithAndWithoutFraction) {
  EXPECT_EQ(Micros("2026-11-24T10:42:56Z"), kT);
  EXPECT_EQ(Micros("2026-11-24T10:42:56.123Z"), kT + 123'000);
  EXPECT_EQ(Micros("2026-11-24T10:42:56.123456Z"), kT + 123'456);
  EXPECT_EQ(Micros("2026-11-24T10:42:56.5Z"), kT + 500'000);
  EXPECT_EQ(Micros("1970-01-01T00:00:00Z"), 0);
}

TEST(TimeFormatTest, ParsesNumericOffsets) {
  EXPECT_EQ(Micros("2026-11-24T12:42:56+02:00"), kT);
  EXPECT_EQ(Micros("2026-11-24T05:12:56-05:30"), kT);
  EXPECT_EQ(Micros("2026-11-24T10:42:56+00:00"), kT);
  EXPECT_EQ(Micros("2026-11-24T10:42:56-00:00"), kT);
  // An offset that crosses midnight and the year.
  EXPECT_EQ(Micros("2026-01-01T01:00:00+02:00"), Micros("2025-12-31T23:00:00Z"));
  EXPECT_EQ(Micros("2026-11-24T12:42:56.250+02:00"), kT + 250'000);
}

TEST(TimeFormatTest, FormatParseRoundTrip) {
  for (int64_t micros : {int64_t{0}, kT, kT + 1'000, kT + 987'000, int64_t{4102444799} * kMicrosPerSecond}) {
    std::string text = FormatRfc3339Micros(micros);
    EXPECT_EQ(Micros(text), micros) << text;
    EXPECT_EQ(FormatRfc3339(*ParseRfc3339(text)), text);
  }
}

TEST(TimeFormatTest, RejectsMalformedInput) {
  for (std::string_view bad : {
           "",
           "garbage",
           "2026-11-24",                 // date only
           "10:42:56Z",                  // time only
           "2026-11-24T10:42:56",        // no offset
           "2026-11-24 10:42:56Z",       // space separator
           "2026-13-01T00:00:00Z",       // month 13
           "2026-11-31T00:00:00Z",       // 31 November
           "2026-02-29T00:00:00Z",       // not a leap year
           "2026-11-24T24:00:01Z",       // hour 24
           "2026-11-24T10:60:00Z",       // minute 60
           "2026-11-24T10:42:56+25:00",  // offset out of range
           "2026-11-24T10:42:56ZZ",      // trailing junk
           "2026-11-24T10:42:56Z extra",
           "1795516976",                 // a Unix timestamp
       }) {
    auto t = ParseRfc3339(bad);
    EXPECT_FALSE(t.ok()) << "accepted '" << bad << "' as " << (t.ok() ? FormatRfc3339(*t) : "");
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(t.status().message().find("RFC 3339"), absl::string_view::npos);
    }
  }
}

}  // namespace
}  // namespace tf
