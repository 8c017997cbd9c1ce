#pragma once
// App: one running trustd. Opens the store and applies migrations, builds the shared parts
// (metrics, router, scheduler, job queue), registers the modules, assembles the middleware
// chain and runs the HTTP server and the background runner. trustd's main() and the
// integration tests both start trustd through it.
// Thread-safety: Create/Start/Shutdown from one controlling thread.

#include <memory>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/rng.h"
#include "http/router.h"
#include "store/database.h"

namespace tf {

class App {
 public:
  static absl::StatusOr<std::unique_ptr<App>> Create(Config config, const Clock& clock, Rng& rng);
  ~App();

  [[nodiscard]] absl::Status Start();
  //! Graceful: stop accepting, finish in-flight requests (up to server.shutdown_grace_ms),
  //! stop background work, flush logs.
  void Shutdown();
  uint16_t port() const;
  store::Database& db();
  //! Every registered route (for docs checks and tests).
  const http::Router& router() const;

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

//! Splits "HOST:PORT" ("[::1]:8080" for IPv6).
absl::Status ParseListen(std::string_view listen, std::string* host, uint16_t* port);

}  // namespace tf
