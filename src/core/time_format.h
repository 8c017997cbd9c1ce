#pragma once
// RFC 3339 formatting and parsing of UTC times ("2026-11-24T10:42:56.123456Z").
// Thread-safety: stateless.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/clock.h"

namespace tf {

//! Formats as RFC 3339 UTC with millisecond precision: 2026-11-24T10:42:56.123Z.
std::string FormatRfc3339(SysTime t);
std::string FormatRfc3339Micros(int64_t micros_since_epoch);
//! Always six fractional digits ("2026-12-02T01:02:03.000450Z"): one text per instant.
std::string FormatRfc3339Exact(int64_t micros_since_epoch);
//! Parses RFC 3339 with 'Z' or a numeric offset; fractional seconds optional.
absl::StatusOr<SysTime> ParseRfc3339(std::string_view s);

}  // namespace tf
