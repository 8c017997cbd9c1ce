#pragma once
// The JSON Canonicalization Scheme of RFC 8785: object members sorted by their names' UTF-16
// code units, no whitespace, strings escaped minimally, numbers as ECMAScript prints doubles.
// Two parties holding the same JSON value get the same bytes, whatever their JSON library;
// the audit trail hashes records in this form so auditors can recompute leaves themselves.
// Thread-safety: stateless.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace tf {

//! InvalidArgument for strings that are not UTF-8 and for non-finite numbers.
absl::StatusOr<std::string> CanonicalJson(const nlohmann::json& value);

//! Appends `s` as RFC 8785 prints a string; InvalidArgument (and nothing appended) unless UTF-8.
absl::Status AppendCanonicalString(std::string_view s, std::string& out);

//! Copies `s` to `out` (room for s.size() bytes) when it is all printable ASCII without '"' or
//! '\\', which RFC 8785 prints between the quotes unchanged; false (and `out` partly written)
//! at the first other byte.
bool CopyPlainAscii(std::string_view s, char* out);

//! A double as ECMAScript's Number::toString prints it (RFC 8785 §3.2.2.3); finite only.
std::string EcmaScriptNumber(double value);

}  // namespace tf
