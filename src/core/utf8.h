#pragma once
// UTF-8 validation for untrusted text (request paths, JSON strings, passwords).
// Thread-safety: stateless.

#include <string_view>

namespace tf {

//! True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);
//! At most `max_bytes` of valid UTF-8 `s`, cut before a character, never inside one.
std::string_view TruncateUtf8(std::string_view s, size_t max_bytes);

}  // namespace tf
