#pragma once
// The HTTP/1.1 server (Boost.Beast/Asio; this header keeps Boost out of its includers).
// I/O threads run the sockets; each request is handed to a worker pool, so blocking work
// (database, crypto, files) never runs on an I/O thread. Keep-alive, header and body size
// limits (per-route body limits through BodyLimitFn), header/body/idle timeouts against slow
// clients, a connection cap, optional TLS, and graceful shutdown: stop accepting, close idle
// connections, let in-flight requests finish within a grace period.
// Thread-safety: Start and Shutdown from one controlling thread; the rest is internal.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "http/message.h"

namespace tf::http {

//! A request the server refused itself (400, 413, 431), before the pipeline ran.
struct RefusedRequest {
  std::string method;  //!< as sent; empty when the request line was not read
  std::string path;    //!< as decoded, or the raw target when it is not a valid path; empty when not read
  int status = 0;
  std::string detail;
  std::string remote_addr;
  std::string user_agent;
  std::string request_id;  //!< the one the answer carries
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  //!< 0 picks a free port; see Server::port()
  int io_threads = 1;
  int worker_threads = 4;
  int max_connections = 4096;
  uint32_t header_limit_bytes = 16 * 1024;
  uint64_t body_limit_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::string tls_cert_file;  //!< PEM chain; TLS is on when both files are set
  std::string tls_key_file;
  //! Told of each request the server refuses itself; runs on an I/O thread, so it must not block.
  std::function<void(const RefusedRequest&)> on_refused;
};

struct ServerStats {
  int connections = 0;
  int in_flight = 0;
  int worker_threads = 0;
  int io_threads = 0;
};

//! How to serve one request, decided from its method and path before the body is read.
struct RoutePolicy {
  uint64_t body_limit = 0;  //!< 0 = ServerOptions::body_limit_bytes
  //! Dispatch on the I/O thread: only for handlers that never block (no store, no crypto).
  bool run_inline = false;
};

class Server {
 public:
  using DispatchFn = std::function<Response(Request)>;
  using RoutePolicyFn = std::function<RoutePolicy(std::string_view method, std::string_view path)>;
  //! The body limit for a request, known from its method and path before the body is read.
  using BodyLimitFn = std::function<uint64_t(std::string_view method, std::string_view path)>;

  Server(ServerOptions options, DispatchFn dispatch, RoutePolicyFn policy);
  Server(ServerOptions options, DispatchFn dispatch, BodyLimitFn body_limit);
  ~Server();

  //! Binds, listens and starts the threads; returns once requests can be served.
  [[nodiscard]] absl::Status Start();
  uint16_t port() const;
  ServerStats Stats() const;
  //! Graceful stop; returns when every connection is closed or `grace` has passed.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tf::http
