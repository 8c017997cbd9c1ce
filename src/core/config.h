#pragma once
// Config: the configuration of trustd and trustctl, layered TOML file < TRUST_* environment
// variables < command-line flags (Set), then checked as a whole by Validate.
//
// Every key is declared once, in the key table in config.cc (dotted name = member path, help
// text, whether it may carry a secret, value check); TOML, environment, flags, validation,
// printing (ToToml) and documentation (ConfigKeys) all read that table, so no key is handled in
// two places. Keys: `data_dir`, `server.*`, `database.*`, `auth.*`, `audit.*`, `secrets.*`, `security.*`, `log.*`; the environment
// variable of a key is TRUST_ + the key upper-cased with '.' as '_' (TRUST_SERVER_LISTEN).
//
// Loading never throws: toml++ exceptions are caught here. A failed Apply* leaves the Config
// unchanged. Error messages name the key (and file:line or variable) and never echo the value
// of a secret key.
// Thread-safety: a Config is a plain value; the functions are stateless and safe from any
// thread on distinct Configs.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/env.h"

namespace tf {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  int io_threads = 0;      //!< 0 = number of cores
  int worker_threads = 0;  //!< 0 = 4 x number of cores
  int max_connections = 4096;
  int64_t header_limit_bytes = 16384;
  int64_t body_limit_bytes = 1048576;
  int header_timeout_ms = 10000;
  int body_timeout_ms = 30000;
  int idle_timeout_ms = 60000;
  int shutdown_grace_ms = 15000;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string console_dir = "web/dist";  //!< the built web console; empty = not served
};

struct DatabaseConfig {
  std::string url;            //!< empty = SQLite file trust.db in data_dir
  std::string migration_url;  //!< PostgreSQL: the tables' owner, for migrations
  int pool_size = 16;         //!< PostgreSQL connections per trustd
  std::string replica_url;    //!< PostgreSQL read replica for list and report queries
  int replica_max_lag_ms = 5000;
  int lease_ttl_ms = 15000;   //!< run-once work: how long a silent holder keeps its lease
};

struct AuthConfig {
  int session_idle_timeout_s = 1800;
  int session_absolute_lifetime_s = 43200;
  int login_delay_after_failures = 3;
  int login_lock_after_failures = 10;
  int api_token_max_lifetime_days = 365;
};

struct LogConfig {
  std::string level = "info";
  std::string file;  //!< empty = stderr
  bool access_log = true;
};

struct AuditConfig {
  std::string origin = "trust-fabric.local/audit";  //!< checkpoint origin and signing key name
  std::string signing_key_file;                     //!< empty = audit-signing.key in data_dir
  int checkpoint_every_records = 1000;
  int checkpoint_interval_ms = 5000;
  bool fail_open_reads = false;  //!< answer reads whose audit record cannot be written
};

struct SecretsConfig {
  std::string kms = "local";  //!< local or vault-transit
  std::string kek_file;       //!< empty = kek.keys in data_dir
  std::string kek;            //!< base64 KEK from the environment; when set, used instead of kek_file
  std::string vault_address;  //!< https://vault.internal:8200
  std::string vault_token;
  std::string vault_namespace;
  std::string vault_mount = "transit";
  std::string vault_key = "trust-fabric";
  std::string vault_ca_file;
  int vault_timeout_ms = 5000;
  //! The personal-data key store (one key per person, destroyed on erasure), kept apart from
  //! the database: empty = subject-keys.db in data_dir, sqlite:PATH, or postgresql://...
  std::string subject_keys_url;
  std::string subject_keys_migration_url;  //!< PostgreSQL: the key store tables' owner
};

struct SecurityConfig {
  std::string rules_file;  //!< detection rules (YAML); empty = the shipped rules
};

struct Config {
  std::string data_dir = "./var";
  ServerConfig server;
  DatabaseConfig database;
  AuthConfig auth;
  AuditConfig audit;
  SecretsConfig secrets;
  SecurityConfig security;
  LogConfig log;
};

//! One configuration key, for documentation and --help.
struct ConfigKeyInfo {
  std::string name;           //!< "server.listen"
  std::string env_var;        //!< "TRUST_SERVER_LISTEN"
  std::string type;           //!< "string", "integer" or "boolean"
  std::string default_value;  //!< as Set would accept it ("127.0.0.1:8080", "0", "true")
  std::string help;
  bool secret = false;  //!< may carry credentials: redacted when printed, never echoed in errors
};

//! True for the database.url forms that select PostgreSQL (postgresql:// or postgres://).
bool IsPostgresUrl(std::string_view url);

//! Every key, in table order (top-level keys first, then [server], [database], [auth], [audit], [secrets], [security], [log]).
std::vector<ConfigKeyInfo> ConfigKeys();

//! Applies the TOML file at `path`. Unknown keys ("unknown configuration key 'server.lisen' in
//! /etc/trust.toml:3"), values of the wrong type, unreadable files and TOML syntax errors are
//! InvalidArgument (NotFound for a missing file).
[[nodiscard]] absl::Status ApplyTomlFile(Config& config, const std::string& path);

//! Applies TOML text; `source` names it in error messages.
[[nodiscard]] absl::Status ApplyTomlString(Config& config, std::string_view toml, std::string_view source);

//! Applies the TRUST_* variable of every key that `env` sets. Unknown TRUST_* variables are
//! ignored (other tools share the prefix); a malformed value is InvalidArgument naming the
//! variable.
[[nodiscard]] absl::Status ApplyEnv(Config& config, const Env& env);

//! Sets one key from its string form (integers in decimal; booleans true/false, 1/0, yes/no,
//! on/off). Used for command-line flags.
[[nodiscard]] absl::Status Set(Config& config, std::string_view key, std::string_view value);

//! The string form of one key's value (unredacted: do not print a secret key's value).
[[nodiscard]] absl::StatusOr<std::string> Get(const Config& config, std::string_view key);

//! Checks every key's value and the rules between keys; InvalidArgument listing each problem:
//! "invalid configuration: server.listen: expected HOST:PORT, got 'abc'".
[[nodiscard]] absl::Status Validate(const Config& config);

//! The configuration as a TOML document that ApplyTomlFile accepts, each key preceded by its
//! help text; string values pass through RedactString, so a database.url password prints as
//! [REDACTED].
std::string ToToml(const Config& config);

//! Where a configuration comes from, lowest precedence first.
struct ConfigSources {
  std::string toml_file{};                                       //!< empty = no file
  const Env* env = nullptr;                                      //!< nullptr = ignore the environment
  std::vector<std::pair<std::string, std::string>> overrides{};  //!< (key, value), e.g. flags
};

//! Defaults < toml_file < env < overrides, then Validate.
[[nodiscard]] absl::StatusOr<Config> LoadConfig(const ConfigSources& sources);

}  // namespace tf
