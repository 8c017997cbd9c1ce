#pragma once
// Optional values as API answers give them: the value, or JSON null; times as RFC 3339 UTC.
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>

#include "core/time_format.h"
#include "nlohmann/json.hpp"

namespace tf::http {

template <typename T>
nlohmann::json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

//! Microseconds since the epoch as RFC 3339 (FormatRfc3339Exact), or null.
inline nlohmann::json TimeOrNull(const std::optional<int64_t>& micros) {
  return micros ? nlohmann::json(FormatRfc3339Exact(*micros)) : nlohmann::json(nullptr);
}

}  // namespace tf::http
