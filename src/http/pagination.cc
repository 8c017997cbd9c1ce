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

//! The decoded `cursor` parameter (nullopt when absent or empty), when it is the canonical
//! base64url of at most `max_bytes` bytes that `valid` accepts.
absl::StatusOr<std::optional<std::string>> DecodeCursor(const Request& request, size_t max_bytes,
                                                        bool (*valid)(const std::string&)) {
  auto cursor = request.QueryParam("cursor");
  if (!cursor || cursor->empty()) return std::optional<std::string>();
  std::string decoded;
  if (cursor->size() > 2 * max_bytes || !absl::WebSafeBase64Unescape(*cursor, &decoded) ||
      EncodeCursor(decoded) != *cursor || !valid(decoded)) {
    return BadRequest("cursor is not one this server issued");
  }
  return std::optional<std::string>(std::move(decoded));
}

//! Every id is a UUID.
bool IsIdCursor(const std::string& s) { return IsUuid(s); }

bool IsNumberCursor(const std::string& s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size() && v >= 0;
}

bool IsKeyedCursor(const std::string& s) {
  size_t slash = s.find('/');
  return slash != std::string::npos && IsNumberCursor(s.substr(0, slash)) && IsUuid(s.substr(slash + 1));
}

}  // namespace

absl::StatusOr<PageRequest> ParsePageRequest(const Request& request) {
  PageRequest page;
  absl::StatusOr<int> limit = ParseLimit(request);
  if (!limit.ok()) return limit.status();
  page.limit = *limit;
  absl::StatusOr<std::optional<std::string>> after = DecodeCursor(request, 36, IsIdCursor);
  if (!after.ok()) return after.status();
  page.after_id = std::move(*after);
  return page;
}

std::string EncodeCursor(const std::string& last_id) { return absl::WebSafeBase64Escape(last_id); }

absl::StatusOr<NumberPageRequest> ParseNumberPageRequest(const Request& request) {
  NumberPageRequest page;
  absl::StatusOr<int> limit = ParseLimit(request);
  if (!limit.ok()) return limit.status();
  page.limit = *limit;
  absl::StatusOr<std::optional<std::string>> after = DecodeCursor(request, 20, IsNumberCursor);
  if (!after.ok()) return after.status();
  if (*after) page.after = std::stoll(**after);
  return page;
}

absl::StatusOr<KeyedPageRequest> ParseKeyedPageRequest(const Request& request) {
  KeyedPageRequest page;
  absl::StatusOr<int> limit = ParseLimit(request);
  if (!limit.ok()) return limit.status();
  page.limit = *limit;
  absl::StatusOr<std::optional<std::string>> after = DecodeCursor(request, 60, IsKeyedCursor);
  if (!after.ok()) return after.status();
  if (*after) {
    size_t slash = (*after)->find('/');
    page.after = std::pair<int64_t, std::string>(std::stoll((*after)->substr(0, slash)), (*after)->substr(slash + 1));
  }
  return page;
}

std::string EncodeKeyedCursor(int64_t number, const std::string& id) { return EncodeCursor(StrCat(number, "/", id)); }

nlohmann::json PageResponse(nlohmann::json items, int limit) {
  nlohmann::json next = nullptr;
  if (items.size() > static_cast<size_t>(limit)) {
    items.erase(items.begin() + limit, items.end());
    next = EncodeCursor(items.back().at("id").get<std::string>());
  }
  return {{"items", std::move(items)}, {"next_cursor", next}};
}

}  // namespace tf::http
