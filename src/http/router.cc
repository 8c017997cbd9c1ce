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
  std::vector<std::string> segments = Split(route.pattern);
  if (by_count_.size() <= segments.size()) by_count_.resize(segments.size() + 1);
  Bucket& bucket = by_count_[segments.size()];
  size_t prefix = std::min<size_t>(segments.size(), 2);
  if (std::none_of(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(prefix), IsParam)) {
    std::string key = prefix == 0 ? "" : prefix == 1 ? segments[0] : StrCat(segments[0], "/", segments[1]);
    bucket.by_prefix[key].push_back(routes_.size());
  } else {
    bucket.others.push_back(routes_.size());
  }
  compiled_.push_back({std::move(segments)});
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
  auto consider = [&](size_t i) {
    const auto& pattern = compiled_[i].segments;
    int static_count = 0;
    bool ok = true;
    for (size_t s = 0; s < count && ok; ++s) {
      if (IsParam(pattern[s])) ok = !segments[s].empty();
      else if (pattern[s] == segments[s]) ++static_count;
      else ok = false;
    }
    if (!ok) return;
    if (routes_[i].method != method) {
      if (std::find(best.allowed_methods.begin(), best.allowed_methods.end(), routes_[i].method) ==
          best.allowed_methods.end()) {
        best.allowed_methods.push_back(routes_[i].method);
      }
      return;
    }
    if (static_count > best_static) {
      best_static = static_count;
      best.route = &routes_[i];
      best.params.clear();
      for (size_t s = 0; s < count; ++s) {
        if (IsParam(pattern[s])) best.params[pattern[s].substr(1, pattern[s].size() - 2)] = std::string(segments[s]);
      }
    }
  };
  if (count < by_count_.size()) {
    // The routes named by the path's first two segments and those with a parameter there, in
    // the order they were added (the first added wins a tie).
    const Bucket& bucket = by_count_[count];
    size_t prefix_length = count == 0   ? 0
                           : count == 1 ? segments[0].size()
                                        : segments[0].size() + 1 + segments[1].size();
    auto named = bucket.by_prefix.find(Sv(path.substr(path.empty() ? 0 : 1, prefix_length)));
    static const std::vector<size_t> kNone;
    const std::vector<size_t>& a = named == bucket.by_prefix.end() ? kNone : named->second;
    const std::vector<size_t>& b = bucket.others;
    for (size_t x = 0, y = 0; x < a.size() || y < b.size();) {
      consider(y == b.size() || (x < a.size() && a[x] < b[y]) ? a[x++] : b[y++]);
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
