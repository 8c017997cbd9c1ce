#pragma once
// List pagination: `limit` (default 50, 1..500) and an opaque `cursor` (the last item's id,
// base64url-encoded); answers are {"items": [...], "next_cursor": "..." | null}.
// Thread-safety: stateless.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "http/message.h"
#include "nlohmann/json.hpp"

namespace tf::http {

struct PageRequest {
  int limit = 50;
  std::optional<std::string> after_id;  //!< decoded cursor: list items with id > after_id
};

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

absl::StatusOr<PageRequest> ParsePageRequest(const Request& request);
std::string EncodeCursor(const std::string& last_id);

//! Builds the list answer; `items` may hold limit + 1 entries (the extra one only signals that
//! another page exists and is dropped). Items are objects with an "id".
nlohmann::json PageResponse(nlohmann::json items, int limit);

}  // namespace tf::http
