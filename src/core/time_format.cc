#include "core/time_format.h"

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace tf {

std::string FormatRfc3339(SysTime t) { return FormatRfc3339Micros(t.time_since_epoch().count()); }

std::string FormatRfc3339Micros(int64_t micros) {
  absl::Time at = absl::FromUnixMicros(micros);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", at, absl::UTCTimeZone());
}

std::string FormatRfc3339Exact(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
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
