#pragma once
// Env: the only way the code base reads environment variables (DESIGN rule 2), so tests can
// hand configuration and start-up code a fixed, in-memory environment instead of the process's.
// Thread-safety: SystemEnv is safe from any thread as long as nothing calls setenv/putenv
// concurrently (the process environment is read-only after start-up). MapEnv's const methods
// are safe from any thread; Set/Unset must not race with readers.

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tf {

class Env {
 public:
  virtual ~Env() = default;
  //! The value of variable `name`, or nullopt when it is not set (set-but-empty gives "").
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
  //! Every variable as (name, value), sorted by name.
  virtual std::vector<std::pair<std::string, std::string>> All() const = 0;
};

//! The process environment (`environ`).
class SystemEnv final : public Env {
 public:
  std::optional<std::string> Get(std::string_view name) const override;
  std::vector<std::pair<std::string, std::string>> All() const override;
  static SystemEnv& Instance();
};

//! A fixed environment for tests.
class MapEnv final : public Env {
 public:
  MapEnv() = default;
  explicit MapEnv(const std::map<std::string, std::string>& vars) : vars_(vars.begin(), vars.end()) {}
  //! MapEnv env({{"TRUST_DATA_DIR", "/srv"}, {"TRUST_LOG_LEVEL", "debug"}});
  MapEnv(std::initializer_list<std::pair<const std::string, std::string>> vars)
      : vars_(vars.begin(), vars.end()) {}

  std::optional<std::string> Get(std::string_view name) const override;
  std::vector<std::pair<std::string, std::string>> All() const override;

  void Set(std::string name, std::string value);
  void Unset(std::string_view name);

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace tf
