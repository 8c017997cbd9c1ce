#include "app/cli_config.h"

#include "core/env.h"
#include "core/log.h"
#include "core/status.h"

namespace tf {

void AddCommonFlags(CLI::App& app, CommonFlags& flags) {
  app.add_option("--config", flags.config_file, "TOML configuration file")->check(CLI::ExistingFile);
  app.add_option("--data-dir", flags.data_dir, "Directory for the embedded SQLite store (config: data_dir)");
  app.add_option("--database", flags.database, "Database URL (config: database.url); empty = SQLite in --data-dir");
  app.add_option("--log-level", flags.log_level, "debug, info, warn or error (config: log.level)");
}

absl::StatusOr<Config> LoadConfigFromFlags(CommonFlags& flags) {
  if (!flags.data_dir.empty()) flags.overrides.emplace_back("data_dir", flags.data_dir);
  if (!flags.database.empty()) flags.overrides.emplace_back("database.url", flags.database);
  if (!flags.log_level.empty()) flags.overrides.emplace_back("log.level", flags.log_level);
  SystemEnv env;
  ConfigSources sources{flags.config_file, &env, flags.overrides};
  TF_ASSIGN_OR_RETURN(Config config, LoadConfig(sources));
  TF_ASSIGN_OR_RETURN(LogLevel level, ParseLogLevel(config.log.level));
  TF_RETURN_IF_ERROR(log::Init(LogOptions{level, config.log.file}));
  return config;
}

}  // namespace tf
