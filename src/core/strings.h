#pragma once
// Bridges std::string_view and Debian's Abseil, which is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0) that does not convert from std::string_view. The code
// base speaks std::string_view; call Abseil's string functions through Sv() or these wrappers.
// Thread-safety: stateless.

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tf {

//! The value of one hex digit (either case), or -1.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }
inline absl::string_view Sv(const std::string& s) { return absl::string_view(s.data(), s.size()); }

namespace internal {
template <typename T>
decltype(auto) ForAbsl(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return Sv(v);
  } else {
    return (v);
  }
}
}  // namespace internal

//! absl::StrCat that also takes std::string_view.
template <typename... T>
std::string StrCat(const T&... v) {
  return absl::StrCat(internal::ForAbsl(v)...);
}

template <typename... T>
void StrAppend(std::string* out, const T&... v) {
  absl::StrAppend(out, internal::ForAbsl(v)...);
}

}  // namespace tf
