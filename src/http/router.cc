#include "http/router.h"
#include "core/strings.h"

#include <algorithm>
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

//! The API's own prefixes: an unknown path there is a 404 problem, never the console.
bool IsServicePath(std::string_view path) {
  for (std::string_view prefix : {std::string_view("/api"), std::string_view("/health"), std::string_view("/metrics")}) {
    if (path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
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
  // Split without allocating: at most kMaxSegments views into `path`.
  constexpr size_t kMaxSegments = 32;
  std::string_view segments[kMaxSegments];
  size_t count = 0;
  if (path.size() > 1) {
    std::string_view rest = path.substr(1);
    for (;;) {
      if (count == kMaxSegments) return {};
      size_t slash = rest.find('/');
      segments[count++] = rest.substr(0, slash);
      if (slash == std::string_view::npos) break;
      rest = rest.substr(slash + 1);
    }
  }
  RouteMatch best;
  int best_static = -1;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const auto& pattern = compiled_[i].segments;
    if (pattern.size() != count) continue;
    int static_count = 0;
    bool ok = true;
    for (size_t s = 0; s < count && ok; ++s) {
      if (IsParam(pattern[s])) ok = !segments[s].empty();
      else if (pattern[s] == segments[s]) ++static_count;
      else ok = false;
    }
    if (!ok) continue;
    if (routes_[i].method != method) {
      if (std::find(best.allowed_methods.begin(), best.allowed_methods.end(), routes_[i].method) ==
          best.allowed_methods.end()) {
        best.allowed_methods.push_back(routes_[i].method);
      }
      continue;
    }
    if (static_count > best_static) {
      best_static = static_count;
      best.route = &routes_[i];
      best.params.clear();
      for (size_t s = 0; s < count; ++s) {
        if (IsParam(pattern[s])) best.params[pattern[s].substr(1, pattern[s].size() - 2)] = std::string(segments[s]);
      }
    }
  }
  if (best.route) best.allowed_methods.clear();
  if (!best.route && best.allowed_methods.empty() && fallback_ && method == "GET" && !IsServicePath(path)) {
    best.route = &*fallback_;
  }
  return best;
}

void Router::SetFallback(Route route) { fallback_ = std::move(route); }

}  // namespace tf::http
