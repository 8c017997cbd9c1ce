#pragma once
// UTF-8 validation for untrusted text (request paths, JSON strings, passwords).
// Thread-safety: stateless.

#include <string_view>

namespace tf {

//! True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace tf
