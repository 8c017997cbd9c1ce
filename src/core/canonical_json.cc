#include "core/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/utf8.h"

namespace tf {

namespace {

//! `s` (valid UTF-8) as UTF-16 code units, the order RFC 8785 sorts member names in.
std::u16string Utf16(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    int extra = 0;
    if (c < 0x80) cp = c;
    else if (c < 0xE0) cp = c & 0x1F, extra = 1;
    else if (c < 0xF0) cp = c & 0x0F, extra = 2;
    else cp = c & 0x07, extra = 3;
    for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += static_cast<size_t>(extra) + 1;
    if (cp < 0x10000) {
      out.push_back(static_cast<char16_t>(cp));
    } else {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    }
  }
  return out;
}

//! True when byte order (which std::map keeps member names in) is also UTF-16 order for `s`
//! against any name: UTF-8 bytes sort by code point, and code points sort as UTF-16 code units
//! do except U+E000..U+FFFF against the supplementary planes, whose UTF-8 leads are 0xEE-0xF4.
bool SortsAsUtf16(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0xEE) return false;
  }
  return true;
}

absl::Status Append(const nlohmann::json& v, std::string& out) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: out += "null"; return absl::OkStatus();
    case nlohmann::json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return absl::OkStatus();
    case nlohmann::json::value_t::number_integer: {
      int64_t n = v.get<int64_t>();
      if (n > -(int64_t{1} << 53) && n < (int64_t{1} << 53)) {  // exact as a double: ECMAScript prints the digits
        char buffer[24];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), n);
        out.append(buffer, end);
      } else {
        out += EcmaScriptNumber(static_cast<double>(n));
      }
      return absl::OkStatus();
    }
    case nlohmann::json::value_t::number_unsigned:
      out += EcmaScriptNumber(static_cast<double>(v.get<uint64_t>()));
      return absl::OkStatus();
    case nlohmann::json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d)) return absl::InvalidArgumentError("JSON numbers are finite");
      out += EcmaScriptNumber(d);
      return absl::OkStatus();
    }
    case nlohmann::json::value_t::string: return AppendCanonicalString(v.get_ref<const std::string&>(), out);
    case nlohmann::json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v) {
        if (!first) out.push_back(',');
        first = false;
        if (absl::Status s = Append(item, out); !s.ok()) return s;
      }
      out.push_back(']');
      return absl::OkStatus();
    }
    case nlohmann::json::value_t::object: {
      // nlohmann keeps members in byte order; only names with characters from U+E000 up need
      // sorting again by their UTF-16 code units.
      std::vector<std::pair<std::u16string, nlohmann::json::const_iterator>> members;
      bool resort = false;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!IsValidUtf8(it.key())) return absl::InvalidArgumentError("a JSON member name is not valid UTF-8");
        resort = resort || !SortsAsUtf16(it.key());
        members.emplace_back(std::u16string(), it);
      }
      if (resort) {
        for (auto& m : members) m.first = Utf16(m.second.key());
        std::sort(members.begin(), members.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
      }
      out.push_back('{');
      bool first = true;
      for (const auto& [unused, it] : members) {
        if (!first) out.push_back(',');
        first = false;
        if (absl::Status s = AppendCanonicalString(it.key(), out); !s.ok()) return s;
        out.push_back(':');
        if (absl::Status s = Append(it.value(), out); !s.ok()) return s;
      }
      out.push_back('}');
      return absl::OkStatus();
    }
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded: break;
  }
  return absl::InvalidArgumentError("not a JSON value");
}

//! True when one of the eight bytes of `word` is below 0x20, '"' or '\\': the bytes RFC 8785
//! escapes. (The "has a byte less than n" and "has a zero byte" tests from Hacker's Delight:
//! a borrow can only mark a byte after a byte that truly matched, so "any" is exact.)
bool AnyNeedsEscape(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  uint64_t quote = word ^ (kOnes * '"'), backslash = word ^ (kOnes * '\\');
  return (((word - kOnes * 0x20) & ~word) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) &
         kHighs;
}

//! The length of the leading printable ASCII of `s` without '"' or '\\'; copied to `out` as it
//! is scanned when `out` is not null.
size_t PlainAsciiPrefix(std::string_view s, char* out = nullptr) {
  size_t clean = 0;  // eight bytes at a time, then one
  for (uint64_t word; clean + 8 <= s.size() && (std::memcpy(&word, s.data() + clean, 8),
                                                (word & 0x8080808080808080ULL) == 0 && !AnyNeedsEscape(word));) {
    if (out != nullptr) std::memcpy(out + clean, &word, 8);
    clean += 8;
  }
  for (unsigned char c; clean < s.size() && (c = static_cast<unsigned char>(s[clean])) >= 0x20 && c < 0x80 &&
                        c != '"' && c != '\\';) {
    if (out != nullptr) out[clean] = static_cast<char>(c);
    ++clean;
  }
  return clean;
}

}  // namespace

bool CopyPlainAscii(std::string_view s, char* out) { return PlainAsciiPrefix(s, out) == s.size(); }

absl::Status AppendCanonicalString(std::string_view s, std::string& out) {
  // The leading printable ASCII (most strings are nothing else) is valid UTF-8 and needs no
  // escape, so validation and escaping start after it.
  size_t clean = PlainAsciiPrefix(s);
  if (clean == s.size()) {  // all of it
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return absl::OkStatus();
  }
  if (!IsValidUtf8(s.substr(clean))) return absl::InvalidArgumentError("a JSON string is not valid UTF-8");
  out.push_back('"');
  size_t run = 0;  // start of the characters not yet copied: they need no escape
  for (size_t i = clean; i < s.size(); ++i) {
    for (uint64_t word; i + 8 <= s.size() && (std::memcpy(&word, s.data() + i, 8), !AnyNeedsEscape(word));) i += 8;
    if (i == s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
  return absl::OkStatus();
}

std::string EcmaScriptNumber(double value) {
  if (value == 0) return "0";  // also -0
  std::string out = value < 0 ? "-" : "";
  // The shortest digits that round-trip, as d.ddde±x; ECMAScript places the point from them.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), std::fabs(value), std::chars_format::scientific);
  std::string_view sci(buffer, static_cast<size_t>(end - buffer));
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = std::stoi(std::string(sci.substr(e + 1)));
  int k = static_cast<int>(digits.size());
  int n = exponent + 1;  // value = 0.digits × 10^n
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 < 0 ? "e-" : "e+") + std::to_string(std::abs(n - 1));
  }
  return out;
}

absl::StatusOr<std::string> CanonicalJson(const nlohmann::json& value) {
  std::string out;
  if (absl::Status s = Append(value, out); !s.ok()) return s;
  return out;
}

}  // namespace tf
