#pragma once
// HTTP request and response values passed between the server, the middleware chain and route
// handlers. They carry no Boost types so only src/http/server.cc compiles Beast.
// Thread-safety: plain values; not shared between threads while being mutated.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace tf::http {

//! Header fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  //! Room for a typical message's fields up front: one allocation instead of four regrowths.
  Headers() { fields_.reserve(12); }
  void Add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  //! Replaces every field of that name.
  void Set(std::string_view name, std::string value);
  std::optional<std::string_view> Get(std::string_view name) const;
  size_t Count(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method;  //!< upper-case token as sent, e.g. "GET"
  std::string target;  //!< raw request target
  std::string path;    //!< percent-decoded path, without the query
  std::multimap<std::string, std::string> query;  //!< percent-decoded query parameters
  Headers headers;
  std::string body;
  std::string remote_addr;
  bool tls = false;

  std::optional<std::string> QueryParam(std::string_view name) const;
};

//! Where a streamed body goes. Write buffers and sends a chunk when enough has gathered; it
//! blocks while the client reads (so memory stays constant) and returns false once the client
//! has gone or the server is shutting down: the producer should stop then.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  virtual bool Write(std::string_view data) = 0;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  //! A body too large to hold in memory: when set, `body` is ignored and this runs on a worker
  //! thread after the header is sent, writing the body with chunked transfer encoding. An error
  //! it returns (or a client that leaves) ends the connection without the last chunk, so the
  //! client sees the body as cut short rather than complete.
  std::function<absl::Status(BodyWriter&)> stream;

  static Response Json(int status, const nlohmann::json& body);
  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response NoContent();
};

//! The header lines the server writes on every response, whatever produced it: the console's
//! Content-Security-Policy (no inline scripts or styles, nothing from other origins, never
//! framed), X-Content-Type-Options, Referrer-Policy and X-Frame-Options (for browsers without
//! frame-ancestors). Handlers do not set these.
inline constexpr std::string_view kSecurityHeaderLines =
    "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n";

//! Splits a request target into a decoded path and query. False when the target is not an
//! origin-form path ("/..."), holds invalid percent-escapes, or decodes to invalid UTF-8 or NUL.
bool ParseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string>* query);

}  // namespace tf::http
