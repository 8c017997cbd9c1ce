#include "http/pagination.h"
#include "core/strings.h"

#include <charconv>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/ids.h"
#include "http/problem.h"

namespace tf::http {

namespace {

absl::StatusOr<int> ParseLimit(const Request& request) {
  auto limit = request.QueryParam("limit");
  if (!limit) return kDefaultPageSize;
  int v = 0;
  auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), v);
  if (ec != std::errc() || ptr != limit->data() + limit->size() || v < 1 || v > kMaxPageSize) {
    return BadRequest(StrCat("limit must be an integer from 1 to ", kMaxPageSize));
  }
  return v;
}

}  // namespace

absl::StatusOr<PageRequest> ParsePageRequest(const Request& request) {
  PageRequest page;
  absl::StatusOr<int> limit = ParseLimit(request);
  if (!limit.ok()) return limit.status();
  page.limit = *limit;
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

absl::StatusOr<NumberPageRequest> ParseNumberPageRequest(const Request& request) {
  NumberPageRequest page;
  absl::StatusOr<int> limit = ParseLimit(request);
  if (!limit.ok()) return limit.status();
  page.limit = *limit;
  if (auto cursor = request.QueryParam("cursor"); cursor && !cursor->empty()) {
    std::string decoded;
    int64_t v = 0;
    bool ok = cursor->size() <= 32 && absl::WebSafeBase64Unescape(*cursor, &decoded) &&
              EncodeCursor(decoded) == *cursor;
    auto [ptr, ec] = std::from_chars(decoded.data(), decoded.data() + decoded.size(), v);
    if (!ok || ec != std::errc() || ptr != decoded.data() + decoded.size() || v < 0) {
      return BadRequest("cursor is not one this server issued");
    }
    page.after = v;
  }
  return page;
}

nlohmann::json PageResponse(nlohmann::json items, int limit) {
  nlohmann::json next = nullptr;
  if (items.size() > static_cast<size_t>(limit)) {
    items.erase(items.begin() + limit, items.end());
    next = EncodeCursor(items.back().at("id").get<std::string>());
  }
  return {{"items", std::move(items)}, {"next_cursor", next}};
}

}  // namespace tf::http
