#include "http/router.h"
#include "core/strings.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_split.h"

namespace tf::http {

namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  if (path.size() > 1) {
    for (absl::string_view s : absl::StrSplit(Sv(path.substr(1)), '/')) out.emplace_back(s);
  }
  return out;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::Add(Route route) {
  for (const Route& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      std::fprintf(stderr, "duplicate route %s %s\n", route.method.c_str(), route.pattern.c_str());
      std::abort();
    }
  }
  compiled_.push_back({Split(route.pattern)});
  routes_.push_back(std::move(route));
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  std::vector<std::string> segments = Split(path);
  RouteMatch best;
  int best_static = -1;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const auto& pattern = compiled_[i].segments;
    if (pattern.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    int static_count = 0;
    bool ok = true;
    for (size_t s = 0; s < pattern.size() && ok; ++s) {
      if (IsParam(pattern[s])) {
        if (segments[s].empty()) ok = false;
        else params[pattern[s].substr(1, pattern[s].size() - 2)] = segments[s];
      } else if (pattern[s] == segments[s]) {
        ++static_count;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (routes_[i].method != method) {
      best.allowed_methods.push_back(routes_[i].method);
      continue;
    }
    if (static_count > best_static) {
      best_static = static_count;
      best.route = &routes_[i];
      best.params = std::move(params);
    }
  }
  if (best.route) best.allowed_methods.clear();
  return best;
}

}  // namespace tf::http
