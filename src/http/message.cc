#include "http/message.h"
#include "core/strings.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/utf8.h"

namespace tf::http {

void Headers::Set(std::string_view name, std::string value) {
  std::erase_if(fields_, [&](const auto& f) { return absl::EqualsIgnoreCase(f.first, Sv(name)); });
  fields_.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [k, v] : fields_) {
    if (absl::EqualsIgnoreCase(k, Sv(name))) return std::string_view(v);
  }
  return std::nullopt;
}

size_t Headers::Count(std::string_view name) const {
  size_t n = 0;
  for (const auto& f : fields_) n += absl::EqualsIgnoreCase(f.first, Sv(name)) ? 1 : 0;
  return n;
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Response Response::Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.headers.Add("Content-Type", "application/json");
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.Add("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::NoContent() {
  Response r;
  r.status = 204;
  return r;
}

namespace {

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  if (in.find('%') == std::string_view::npos && (!plus_is_space || in.find('+') == std::string_view::npos)) {
    out->assign(in);  // nothing to decode
  } else {
    out->clear();
    out->reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      char c = in[i];
      if (c == '%') {
        if (i + 2 >= in.size()) return false;
        int hi = HexDigitValue(in[i + 1]);
        int lo = HexDigitValue(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out->push_back(c == '+' && plus_is_space ? ' ' : c);
      }
    }
  }
  return IsValidUtf8(*out) && out->find('\0') == std::string::npos;
}

}  // namespace

bool ParseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string>* query) {
  if (target.empty() || target[0] != '/') return false;
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (!PercentDecode(raw_path, false, path)) return false;
  query->clear();
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), true, &key)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, &value)) return false;
    query->emplace(std::move(key), std::move(value));
  }
  return true;
}

}  // namespace tf::http
