#pragma once
// The configuration options trustd and trustctl share (--config, --data-dir, --database) and
// the loading order they both follow: defaults < TOML file < TRUST_* environment < flags.
// Thread-safety: call at start-up.

#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "core/config.h"

namespace tf {

struct CommonFlags {
  std::string config_file;
  std::vector<std::pair<std::string, std::string>> overrides;  //!< (key, value) from flags
  std::string data_dir;
  std::string database;
  std::string log_level;
};

//! Adds --config, --data-dir, --database and --log-level to `app`.
void AddCommonFlags(CLI::App& app, CommonFlags& flags);
//! Loads the configuration with the flags applied; logging is initialised from it.
absl::StatusOr<Config> LoadConfigFromFlags(CommonFlags& flags);

}  // namespace tf
