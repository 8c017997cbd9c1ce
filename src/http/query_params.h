#pragma once
// Typed query parameters for list filters: absent gives nullopt, a malformed value a 422
// naming the parameter.
// Thread-safety: stateless.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "http/context.h"

namespace tf::http {

//! An RFC 3339 time, as microseconds since the epoch.
absl::StatusOr<std::optional<int64_t>> TimeParam(const RequestContext& ctx, std::string_view name);
//! A decimal integer in [min, max].
absl::StatusOr<std::optional<int64_t>> IntParam(const RequestContext& ctx, std::string_view name, int64_t min,
                                                int64_t max);
//! Text of at most `max_bytes` bytes.
absl::StatusOr<std::optional<std::string>> TextParam(const RequestContext& ctx, std::string_view name,
                                                     size_t max_bytes);
//! One of `allowed`.
absl::StatusOr<std::optional<std::string>> OneOfParam(const RequestContext& ctx, std::string_view name,
                                                      std::initializer_list<std::string_view> allowed);
//! true or false.
absl::StatusOr<std::optional<bool>> BoolParam(const RequestContext& ctx, std::string_view name);

}  // namespace tf::http
