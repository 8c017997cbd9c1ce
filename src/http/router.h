#pragma once
// Routes: method + path pattern ("/api/users/{id}") + the access it requires + a handler.
// Static segments win over parameters; a path that matches a pattern under another method
// answers 405 with an Allow header. An optional fallback answers the GET requests no route
// matches outside /api/, /health and /metrics (the web console's files and client routes).
// Match looks only at the routes with the path's number of segments and its first two segments
// (or a parameter there), so its cost does not grow with the number of modules.
// Thread-safety: routes are added at start-up; Match is then safe from any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/permissions.h"
#include "http/context.h"

namespace tf::http {

using Handler = std::function<absl::StatusOr<Response>(RequestContext&)>;

struct Route {
  std::string method;
  std::string pattern;
  Access access;
  Handler handler;
  //! Largest accepted body in bytes; 0 means the server default.
  uint64_t body_limit = 0;
  //! The handler never blocks (no store, files or crypto) and may run on an I/O thread.
  bool non_blocking = false;
  //! The audit trail's action for this route (LOGIN, LOGOUT, EXPORT, ...); empty = the
  //! method's (GET READ, POST CREATE, PUT/PATCH UPDATE, DELETE DELETE).
  std::string audit_action = {};
  //! Top-level body fields that carry secrets (a secret's value): the audit trail keeps them
  //! as "[REDACTED]" whatever their names.
  std::vector<std::string> secret_fields = {};
  //! Top-level body fields and query parameters that carry personal data (an email, a name):
  //! the audit trail keeps them sealed under the person's key (RequestContext::data_subject),
  //! or "[REDACTED]" when the handler names no person.
  std::vector<std::string> personal_fields = {};
};

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;
  std::vector<std::string> allowed_methods;  //!< set when the path matched but the method did not
};

class Router {
 public:
  //! Adds a route; a duplicate method + pattern is a programmer error (aborts).
  void Add(Route route);
  RouteMatch Match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }
  //! Sets the fallback route (its method must be GET; its pattern only names it in logs and
  //! metrics). A second call replaces the first.
  void SetFallback(Route route);
  const Route* fallback() const { return fallback_ ? &*fallback_ : nullptr; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{name}" marks a parameter
  };
  //! The routes (indexes into routes_, ascending) with one number of segments: by their first
  //! two segments as the path spells them ("api/users"; "health" for one segment) when both
  //! are literal, else in `others`.
  struct Bucket {
    absl::flat_hash_map<std::string, std::vector<size_t>> by_prefix;
    std::vector<size_t> others;
  };
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
  std::vector<Bucket> by_count_;
  std::optional<Route> fallback_;
};

}  // namespace tf::http
