#pragma once
// RequestContext: everything the middleware chain learns about a request (ids, trace, the
// matched route, the authenticated principal and tenant), handed to the route handler.
// Thread-safety: owned by the worker thread serving the request.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/principal.h"
#include "http/message.h"
#include "http/trace_context.h"

namespace tf::http {

struct Route;

struct RequestContext {
  Request request;
  std::string request_id;
  TraceContext trace;
  const Route* route = nullptr;
  std::map<std::string, std::string> path_params;
  std::vector<std::string> allowed_methods;  //!< when the path matched under other methods only
  std::optional<Principal> principal;
  std::string tenant_id;  //!< the caller's tenant (from the principal, never from the body)
  //! The person the request's personal fields (Route::personal_fields) are about, once the
  //! handler knows it (the user created, changed or signed in).
  struct DataSubject {
    std::string tenant_id, id;
  };
  std::optional<DataSubject> data_subject;

  const std::string& PathParam(const std::string& name) const;
};

}  // namespace tf::http
