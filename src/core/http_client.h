#pragma once
// Outbound HTTP(S) requests to the services Trust Fabric talks to (a Vault server; later
// notification receivers), through libcurl: TLS verified against the system's CAs or a given
// CA file, no redirects followed, http and https only, a whole-request timeout, and answers
// capped in size. Header values (tokens) are never logged here.
// Thread-safety: Send is safe from any thread (one libcurl handle per call).

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tf {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpReply {
  int status = 0;
  std::string body;
};

struct HttpClientOptions {
  std::chrono::milliseconds timeout{5000};
  std::string ca_file;  //!< empty = the system's CAs
  size_t max_reply_bytes = 1 << 20;
};

//! The reply, whatever its status; Unavailable when no reply came (connection refused, TLS
//! failure, timeout), naming the host but never a header.
absl::StatusOr<HttpReply> SendHttp(const HttpRequest& request, const HttpClientOptions& options);

}  // namespace tf
