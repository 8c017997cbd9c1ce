#pragma once
// The JSON body of a response built in-process (a discarded value when it is not JSON).
// Thread-safety: stateless.

#include "http/message.h"
#include "nlohmann/json.hpp"

namespace tf::http {

inline nlohmann::json BodyOf(const Response& r) { return nlohmann::json::parse(r.body, nullptr, false); }

}  // namespace tf::http
