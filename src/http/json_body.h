#pragma once
// Decoding of JSON request bodies into typed values with clear 4xx answers: malformed JSON and
// wrong types are 400, unknown fields are 400 (rejected deliberately, so a typo never passes
// silently); values that are well-formed but invalid are 422 via tf::FieldError().
// Thread-safety: a JsonReader belongs to one request.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace tf::http {


class JsonReader {
 public:
  //! Parses `body` as a JSON object (an empty body reads as {}).
  static absl::StatusOr<JsonReader> Parse(std::string_view body);

  //! String fields: max_bytes bounds the length; strings are valid UTF-8 by construction.
  absl::StatusOr<std::string> RequiredString(std::string_view key, size_t max_bytes = 1024);
  absl::StatusOr<std::optional<std::string>> OptionalString(std::string_view key, size_t max_bytes = 1024);
  absl::StatusOr<std::optional<std::vector<std::string>>> OptionalStringArray(std::string_view key,
                                                                              size_t max_items = 64,
                                                                              size_t max_bytes = 256);
  absl::StatusOr<std::optional<int64_t>> OptionalInt(std::string_view key);
  absl::StatusOr<std::optional<bool>> OptionalBool(std::string_view key);
  //! An object field whose serialized form is at most max_bytes.
  absl::StatusOr<std::optional<nlohmann::json>> OptionalObject(std::string_view key, size_t max_bytes = 4096);
  //! An array field of at most max_items items whose serialized form is at most max_bytes.
  absl::StatusOr<std::optional<nlohmann::json>> OptionalArray(std::string_view key, size_t max_items = 64,
                                                              size_t max_bytes = 8192);
  //! Fails on any field that was not read.
  absl::Status Finish() const;

 private:
  explicit JsonReader(nlohmann::json obj) : obj_(std::move(obj)) {}
  const nlohmann::json* Find(std::string_view key);

  nlohmann::json obj_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace tf::http
