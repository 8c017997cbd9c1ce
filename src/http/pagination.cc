#include "http/pagination.h"
#include "core/strings.h"

#include <charconv>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/ids.h"
#include "http/problem.h"

namespace tf::http {

absl::StatusOr<PageRequest> ParsePageRequest(const Request& request) {
  PageRequest page;
  if (auto limit = request.QueryParam("limit")) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), v);
    if (ec != std::errc() || ptr != limit->data() + limit->size() || v < 1 || v > kMaxPageSize) {
      return BadRequest(StrCat("limit must be an integer from 1 to ", kMaxPageSize));
    }
    page.limit = v;
  }
  if (auto cursor = request.QueryParam("cursor"); cursor && !cursor->empty()) {
    std::string decoded;
    // Cursors are the base64url of an item id, and every id is a UUID.
    if (cursor->size() > 64 || !absl::WebSafeBase64Unescape(*cursor, &decoded) || !IsUuid(decoded) ||
        EncodeCursor(decoded) != *cursor) {
      return BadRequest("cursor is not one this server issued");
    }
    page.after_id = std::move(decoded);
  }
  return page;
}

std::string EncodeCursor(const std::string& last_id) { return absl::WebSafeBase64Escape(last_id); }

nlohmann::json PageResponse(nlohmann::json items, int limit) {
  nlohmann::json next = nullptr;
  if (items.size() > static_cast<size_t>(limit)) {
    items.erase(items.begin() + limit, items.end());
    next = EncodeCursor(items.back().at("id").get<std::string>());
  }
  return {{"items", std::move(items)}, {"next_cursor", next}};
}

}  // namespace tf::http
