#include "http/context.h"

namespace tf::http {

const std::string& RequestContext::PathParam(const std::string& name) const {
  static const std::string kEmpty;
  auto it = path_params.find(name);
  return it == path_params.end() ? kEmpty : it->second;
}

}  // namespace tf::http
