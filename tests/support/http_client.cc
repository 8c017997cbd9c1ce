#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tf::testing {

std::string HttpResult::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

nlohmann::json HttpResult::Json() const { return nlohmann::json::parse(body, nullptr, false); }

namespace {

//! The body of a chunked message; `complete` is false when the last chunk never came.
std::string DecodeChunked(std::string_view wire, bool* complete) {
  std::string out;
  *complete = false;
  while (true) {
    size_t line_end = wire.find("\r\n");
    if (line_end == std::string_view::npos) return out;
    size_t size = 0;
    if (!absl::SimpleHexAtoi(absl::string_view(wire.data(), line_end), &size)) return out;
    wire.remove_prefix(line_end + 2);
    if (size == 0) {
      *complete = true;
      return out;
    }
    if (wire.size() < size + 2) return out;
    out.append(wire.substr(0, size));
    wire.remove_prefix(size + 2);
  }
}

}  // namespace

HttpResult ParseResponse(const std::string& raw) {
  HttpResult r;
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || !absl::StartsWith(raw, "HTTP/1.1 ")) return r;
  std::string head = raw.substr(0, end);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (!absl::SimpleAtoi(status_line.substr(9, 3), &r.status)) r.status = 0;
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      r.headers.emplace_back(line.substr(0, colon), std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
    }
    pos = next + 2;
  }
  r.body = raw.substr(end + 4);
  if (absl::AsciiStrToLower(r.Header("Transfer-Encoding")) == "chunked") {
    r.body = DecodeChunked(r.body, &r.complete);
    return r;
  }
  size_t length = 0;
  if (absl::SimpleAtoi(r.Header("Content-Length"), &length) && r.body.size() > length) r.body.resize(length);
  return r;
}

HttpResult HttpClient::SendRaw(const std::string& bytes, int timeout_ms) const {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return {};
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413, 431) and close before reading it all
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
    // Stop once a complete response with Content-Length has arrived.
    HttpResult partial = ParseResponse(raw);
    size_t length = 0;
    if (partial.status != 0 && absl::SimpleAtoi(partial.Header("Content-Length"), &length) &&
        raw.size() >= raw.find("\r\n\r\n") + 4 + length) {
      break;
    }
  }
  close(fd);
  return ParseResponse(raw);
}

HttpResult HttpClient::Send(const std::string& method, const std::string& target, const std::string& body,
                            const std::map<std::string, std::string>& headers) const {
  std::string req = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
  for (const auto& [k, v] : headers) absl::StrAppend(&req, k, ": ", v, "\r\n");
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    absl::StrAppend(&req, "Content-Length: ", body.size(), "\r\n");
  }
  absl::StrAppend(&req, "\r\n", body);
  return SendRaw(req, 30000);
}

namespace {
std::map<std::string, std::string> AuthHeaders(const std::string& token, bool json) {
  std::map<std::string, std::string> h;
  if (!token.empty()) h["Authorization"] = "Bearer " + token;
  if (json) h["Content-Type"] = "application/json";
  return h;
}
}  // namespace

HttpResult HttpClient::Get(const std::string& target, const std::string& token) const {
  return Send("GET", target, "", AuthHeaders(token, false));
}

HttpResult HttpClient::PostJson(const std::string& target, const nlohmann::json& body, const std::string& token) const {
  return Send("POST", target, body.dump(), AuthHeaders(token, true));
}

HttpResult HttpClient::PatchJson(const std::string& target, const nlohmann::json& body, const std::string& token) const {
  return Send("PATCH", target, body.dump(), AuthHeaders(token, true));
}

HttpResult HttpClient::Delete(const std::string& target, const std::string& token) const {
  return Send("DELETE", target, "", AuthHeaders(token, false));
}

}  // namespace tf::testing
