#include "core/env.h"

#include <algorithm>
#include <cstdlib>

extern char** environ;  // POSIX; declared by <unistd.h> only with _GNU_SOURCE.

namespace tf {

std::optional<std::string> SystemEnv::Get(std::string_view name) const {
  // getenv needs a NUL-terminated name; a name containing '=' or NUL can never be set.
  if (name.empty() || name.find('=') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  // Safe as long as nothing modifies the environment after start-up (see env.h).
  const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::vector<std::pair<std::string, std::string>> SystemEnv::All() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;  // malformed entry: skip
    out.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

SystemEnv& SystemEnv::Instance() {
  static SystemEnv env;
  return env;
}

std::optional<std::string> MapEnv::Get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, std::string>> MapEnv::All() const { return {vars_.begin(), vars_.end()}; }

void MapEnv::Set(std::string name, std::string value) {
  vars_.insert_or_assign(std::move(name), std::move(value));
}

void MapEnv::Unset(std::string_view name) {
  auto it = vars_.find(name);
  if (it != vars_.end()) vars_.erase(it);
}

}  // namespace tf
