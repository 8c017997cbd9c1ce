#pragma once
// A small blocking HTTP/1.1 client for integration tests: real sockets on loopback, one
// connection per request (Connection: close), and raw sends for malformed input.
// Thread-safety: one client per thread.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace tf::testing {

struct HttpResult {
  int status = 0;  //!< 0 when the connection failed or closed without an answer
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;     //!< decoded when chunked
  bool complete = true;  //!< false when a chunked body ended before its last chunk

  std::string Header(const std::string& name) const;  //!< case-insensitive; "" when absent
  nlohmann::json Json() const;                       //!< discarded value when not JSON
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : port_(port) {}

  HttpResult Send(const std::string& method, const std::string& target, const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {}) const;
  HttpResult Get(const std::string& target, const std::string& token = "") const;
  HttpResult PostJson(const std::string& target, const nlohmann::json& body, const std::string& token = "") const;
  HttpResult PatchJson(const std::string& target, const nlohmann::json& body, const std::string& token = "") const;
  HttpResult Delete(const std::string& target, const std::string& token = "") const;
  //! Writes `bytes` as they are and reads until the server closes (or `timeout_ms`).
  HttpResult SendRaw(const std::string& bytes, int timeout_ms = 5000) const;

  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
};

//! Parses one HTTP/1.1 response from `raw` (Content-Length or until end).
HttpResult ParseResponse(const std::string& raw);

}  // namespace tf::testing
