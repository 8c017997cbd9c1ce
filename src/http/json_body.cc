#include "http/json_body.h"

#include <cstdint>
#include "core/strings.h"

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "http/problem.h"

namespace tf::http {

absl::StatusOr<JsonReader> JsonReader::Parse(std::string_view body) {
  if (body.empty()) return JsonReader(nlohmann::json::object());
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return BadRequest("the body is not valid JSON");
  if (!parsed.is_object()) return BadRequest("the body must be a JSON object");
  return JsonReader(std::move(parsed));
}

const nlohmann::json* JsonReader::Find(std::string_view key) {
  read_.emplace(key);
  auto it = obj_.find(std::string(key));
  if (it == obj_.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::string> JsonReader::RequiredString(std::string_view key, size_t max_bytes) {
  auto v = OptionalString(key, max_bytes);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return FieldError(key, "is required");
  return std::move(**v);
}

absl::StatusOr<std::optional<std::string>> JsonReader::OptionalString(std::string_view key, size_t max_bytes) {
  const nlohmann::json* v = Find(key);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return BadRequest(StrCat("field '", key, "' must be a string"));
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_bytes) return FieldError(key, StrCat("must be at most ", max_bytes, " bytes"));
  return std::optional<std::string>(s);
}

absl::StatusOr<std::optional<std::vector<std::string>>> JsonReader::OptionalStringArray(
    std::string_view key, size_t max_items, size_t max_bytes) {
  const nlohmann::json* v = Find(key);
  if (!v) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return BadRequest(StrCat("field '", key, "' must be an array of strings"));
  if (v->size() > max_items) return FieldError(key, StrCat("must have at most ", max_items, " items"));
  std::vector<std::string> out;
  for (const auto& item : *v) {
    if (!item.is_string()) return BadRequest(StrCat("field '", key, "' must be an array of strings"));
    const auto& s = item.get_ref<const std::string&>();
    if (s.size() > max_bytes) return FieldError(key, StrCat("items must be at most ", max_bytes, " bytes"));
    out.push_back(s);
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

absl::StatusOr<std::optional<int64_t>> JsonReader::OptionalInt(std::string_view key) {
  const nlohmann::json* v = Find(key);
  if (!v) return std::optional<int64_t>();
  if (!v->is_number_integer()) return BadRequest(StrCat("field '", key, "' must be an integer"));
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return FieldError(key, "is out of range");
  }
  return std::optional<int64_t>(v->get<int64_t>());
}

absl::StatusOr<std::optional<bool>> JsonReader::OptionalBool(std::string_view key) {
  const nlohmann::json* v = Find(key);
  if (!v) return std::optional<bool>();
  if (!v->is_boolean()) return BadRequest(StrCat("field '", key, "' must be true or false"));
  return std::optional<bool>(v->get<bool>());
}

absl::StatusOr<std::optional<nlohmann::json>> JsonReader::OptionalObject(std::string_view key, size_t max_bytes) {
  const nlohmann::json* v = Find(key);
  if (!v) return std::optional<nlohmann::json>();
  if (!v->is_object()) return BadRequest(StrCat("field '", key, "' must be an object"));
  if (v->dump().size() > max_bytes) return FieldError(key, StrCat("must be at most ", max_bytes, " bytes of JSON"));
  return std::optional<nlohmann::json>(*v);
}

absl::StatusOr<std::optional<nlohmann::json>> JsonReader::OptionalArray(std::string_view key, size_t max_items,
                                                                        size_t max_bytes) {
  const nlohmann::json* v = Find(key);
  if (!v) return std::optional<nlohmann::json>();
  if (!v->is_array()) return BadRequest(StrCat("field '", key, "' must be an array"));
  if (v->size() > max_items) return FieldError(key, StrCat("must have at most ", max_items, " items"));
  if (v->dump().size() > max_bytes) return FieldError(key, StrCat("must be at most ", max_bytes, " bytes of JSON"));
  return std::optional<nlohmann::json>(*v);
}

absl::Status JsonReader::Finish() const {
  for (const auto& [k, v] : obj_.items()) {
    if (!read_.contains(k)) return BadRequest(StrCat("unknown field '", k.substr(0, 64), "'"));
  }
  return absl::OkStatus();
}

}  // namespace tf::http
