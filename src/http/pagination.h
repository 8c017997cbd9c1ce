#pragma once
// List pagination: `limit` (default 50, 1..500) and an opaque `cursor` (the last item's id,
// base64url-encoded); answers are {"items": [...], "next_cursor": "..." | null}.
// Thread-safety: stateless.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "http/message.h"
#include "nlohmann/json.hpp"

namespace tf::http {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

struct PageRequest {
  int limit = kDefaultPageSize;
  std::optional<std::string> after_id;  //!< decoded cursor: list items with id > after_id
};

absl::StatusOr<PageRequest> ParsePageRequest(const Request& request);
std::string EncodeCursor(const std::string& last_id);

//! For lists ordered by a number rather than an id (checkpoints by tree size): the cursor is
//! the base64url of the last item's number.
struct NumberPageRequest {
  int limit = kDefaultPageSize;
  std::optional<int64_t> after;
};
absl::StatusOr<NumberPageRequest> ParseNumberPageRequest(const Request& request);

//! For lists ordered by a number and then the id (secrets by due date): the cursor is the
//! base64url of "<number>/<id>" of the last item.
struct KeyedPageRequest {
  int limit = kDefaultPageSize;
  std::optional<std::pair<int64_t, std::string>> after;
};
absl::StatusOr<KeyedPageRequest> ParseKeyedPageRequest(const Request& request);
std::string EncodeKeyedCursor(int64_t number, const std::string& id);

//! Builds the list answer; `items` may hold limit + 1 entries (the extra one only signals that
//! another page exists and is dropped). Items are objects with an "id".
nlohmann::json PageResponse(nlohmann::json items, int limit);

}  // namespace tf::http
