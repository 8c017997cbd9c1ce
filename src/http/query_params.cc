#include "http/query_params.h"

#include <charconv>

#include "core/errors.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"

namespace tf::http {

absl::StatusOr<std::optional<int64_t>> TimeParam(const RequestContext& ctx, std::string_view name) {
  auto text = ctx.request.QueryParam(std::string(name));
  if (!text) return std::optional<int64_t>();
  auto t = ParseRfc3339(*text);
  if (!t.ok()) return FieldError(name, "must be an RFC 3339 time such as 2026-01-31T00:00:00Z");
  return std::optional<int64_t>(t->time_since_epoch().count());
}

absl::StatusOr<std::optional<int64_t>> IntParam(const RequestContext& ctx, std::string_view name, int64_t min,
                                                int64_t max) {
  auto text = ctx.request.QueryParam(std::string(name));
  if (!text) return std::optional<int64_t>();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || ptr != text->data() + text->size() || v < min || v > max) {
    return FieldError(name, StrCat("must be an integer from ", min, " to ", max));
  }
  return std::optional<int64_t>(v);
}

absl::StatusOr<std::optional<std::string>> TextParam(const RequestContext& ctx, std::string_view name,
                                                     size_t max_bytes) {
  auto text = ctx.request.QueryParam(std::string(name));
  if (!text) return std::optional<std::string>();
  if (text->size() > max_bytes) return FieldError(name, StrCat("must be at most ", max_bytes, " bytes"));
  return std::optional<std::string>(std::string(*text));
}

absl::StatusOr<std::optional<std::string>> OneOfParam(const RequestContext& ctx, std::string_view name,
                                                      std::initializer_list<std::string_view> allowed) {
  TF_ASSIGN_OR_RETURN(std::optional<std::string> v, TextParam(ctx, name, 64));
  if (!v) return v;
  for (std::string_view a : allowed) {
    if (*v == a) return v;
  }
  std::string list;
  for (std::string_view a : allowed) StrAppend(&list, list.empty() ? "" : ", ", a);
  return FieldError(name, StrCat("must be one of ", list));
}

absl::StatusOr<std::optional<bool>> BoolParam(const RequestContext& ctx, std::string_view name) {
  auto text = ctx.request.QueryParam(std::string(name));
  if (!text) return std::optional<bool>();
  if (*text == "true") return std::optional<bool>(true);
  if (*text == "false") return std::optional<bool>(false);
  return FieldError(name, "must be true or false");
}

}  // namespace tf::http
