#include "http/trace_context.h"

#include "absl/strings/str_format.h"

namespace tf::http {

namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

std::string RandomHex(Rng& rng, size_t bytes) {
  std::string hex;
  do {
    hex = rng.Hex(bytes);
  } while (AllZero(hex));
  return hex;
}

}  // namespace

std::string TraceContext::ToTraceparent() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(55);
  out += "00-";
  out += trace_id;
  out += '-';
  out += span_id;
  out += '-';
  out += kHex[flags >> 4];
  out += kHex[flags & 0xF];
  return out;
}

std::optional<TraceContext> ParseTraceparent(std::string_view h) {
  // version "00" is exactly 55 chars; future versions may append "-..." fields.
  if (h.size() < 55) return std::nullopt;
  std::string_view version = h.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" && h.size() != 55) return std::nullopt;
  if (h.size() > 55 && h[55] != '-') return std::nullopt;
  if (h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  std::string_view trace_id = h.substr(3, 32), parent_id = h.substr(36, 16), flags = h.substr(53, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(parent_id) || !IsLowerHex(flags)) return std::nullopt;
  if (AllZero(trace_id) || AllZero(parent_id)) return std::nullopt;
  TraceContext ctx;
  ctx.trace_id = std::string(trace_id);
  ctx.parent_id = std::string(parent_id);
  ctx.flags = static_cast<uint8_t>(std::stoi(std::string(flags), nullptr, 16));
  return ctx;
}

TraceContext ContinueOrStartTrace(std::optional<std::string_view> header, Rng& rng) {
  std::optional<TraceContext> parsed;
  if (header) parsed = ParseTraceparent(*header);
  TraceContext ctx = parsed ? *parsed : TraceContext{RandomHex(rng, 16), "", "", 0};
  ctx.span_id = RandomHex(rng, 8);
  return ctx;
}

}  // namespace tf::http
