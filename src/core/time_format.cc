#include "core/time_format.h"

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace tf {

std::string FormatRfc3339(SysTime t) { return FormatRfc3339Micros(t.time_since_epoch().count()); }

std::string FormatRfc3339Micros(int64_t micros) {
  absl::Time at = absl::FromUnixMicros(micros);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", at, absl::UTCTimeZone());
}

namespace {

//! The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's days_from_civil
//! inverted, in 400-year eras of 146,097 days).
void CivilFromDays(int64_t days, int64_t& year, int& month, int& day) {
  days += 719468;  // from 0000-03-01
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t day_of_era = days - era * 146097;
  int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t shifted_month = (5 * day_of_year + 2) / 153;  // March = 0
  day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
}

void Digits(char* at, int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

std::string FormatRfc3339Exact(int64_t micros) {
  // Written by hand (this is on every audit append), as absl formats "%Y-%m-%dT%H:%M:%E6SZ".
  int64_t days = micros / kMicrosPerDay, of_day = micros % kMicrosPerDay;
  if (of_day < 0) of_day += kMicrosPerDay, --days;
  int64_t year = 0;
  int month = 0, day = 0;
  CivilFromDays(days, year, month, day);
  if (year < 1000 || year > 9999) {  // absl writes other years in as many digits as they have
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
  }
  std::string out = "0000-00-00T00:00:00.000000Z";
  Digits(&out[0], year, 4);
  Digits(&out[5], month, 2);
  Digits(&out[8], day, 2);
  int64_t seconds = of_day / kMicrosPerSecond;
  Digits(&out[11], seconds / 3600, 2);
  Digits(&out[14], seconds / 60 % 60, 2);
  Digits(&out[17], seconds % 60, 2);
  Digits(&out[20], of_day % kMicrosPerSecond, 6);
  return out;
}

absl::StatusOr<SysTime> ParseRfc3339(std::string_view s) {
  absl::Time at;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(s), &at, &err)) {
    return absl::InvalidArgumentError(absl::StrFormat("not an RFC 3339 time: %s", err));
  }
  return SysTime(std::chrono::microseconds(absl::ToUnixMicros(at)));
}

}  // namespace tf
