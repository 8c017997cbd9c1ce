#include "core/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

namespace tf {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string Message(const absl::Status& status) {
  return std::string(status.message().data(), status.message().size());
}

class ConfigFileTest : public ::testing::Test {
 protected:
  //! Writes `text` to a fresh file and returns its path.
  std::string Write(const std::string& text) {
    std::string path = ::testing::TempDir() + "/tf_config_test_" + std::to_string(::getpid()) + "_" +
                       std::to_string(files_.size()) + ".toml";
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const std::string& f : files_) std::remove(f.c_str());
  }
  std::vector<std::string> files_;
};

// ---------------------------------------------------------------------------------------------
// The key table

TEST(ConfigKeysTest, ListsEveryKeyWithEnvVarTypeDefaultAndHelp) {
  std::vector<ConfigKeyInfo> keys = ConfigKeys();
  std::set<std::string> names;
  for (const ConfigKeyInfo& k : keys) {
    EXPECT_TRUE(names.insert(k.name).second) << "duplicate " << k.name;
    EXPECT_FALSE(k.help.empty()) << k.name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"data_dir",
                                          "server.listen",
                                          "server.io_threads",
                                          "server.worker_threads",
                                          "server.max_connections",
                                          "server.header_limit_bytes",
                                          "server.body_limit_bytes",
                                          "server.header_timeout_ms",
                                          "server.body_timeout_ms",
                                          "server.idle_timeout_ms",
                                          "server.shutdown_grace_ms",
                                          "server.tls_cert_file",
                                          "server.tls_key_file",
                                          "server.console_dir",
                                          "database.url",
                                          "database.migration_url",
                                          "database.pool_size",
                                          "database.replica_url",
                                          "database.replica_max_lag_ms",
                                          "database.lease_ttl_ms",
                                          "auth.session_idle_timeout_s",
                                          "auth.session_absolute_lifetime_s",
                                          "auth.login_delay_after_failures",
                                          "auth.login_lock_after_failures",
                                          "auth.api_token_max_lifetime_days", "audit.origin", "audit.signing_key_file",
                                          "audit.checkpoint_every_records", "audit.checkpoint_interval_ms",
                                          "audit.fail_open_reads",
                                          "secrets.kms",
                                          "secrets.kek_file",
                                          "secrets.kek",
                                          "secrets.vault_address",
                                          "secrets.vault_token",
                                          "secrets.vault_namespace",
                                          "secrets.vault_mount",
                                          "secrets.vault_key",
                                          "secrets.vault_ca_file",
                                          "secrets.vault_timeout_ms", "secrets.subject_keys_url", "secrets.subject_keys_migration_url",
                                          "security.rules_file",
                                          "log.level",
                                          "log.file",
                                          "log.access_log"}));
  auto find = [&](std::string_view name) {
    for (const ConfigKeyInfo& k : keys) {
      if (k.name == name) return k;
    }
    return ConfigKeyInfo{};
  };
  EXPECT_EQ(find("server.listen").env_var, "TRUST_SERVER_LISTEN");
  EXPECT_EQ(find("server.listen").default_value, "127.0.0.1:8080");
  EXPECT_EQ(find("server.listen").type, "string");
  EXPECT_EQ(find("data_dir").env_var, "TRUST_DATA_DIR");
  EXPECT_EQ(find("data_dir").default_value, "./var");
  EXPECT_EQ(find("database.url").env_var, "TRUST_DATABASE_URL");
  EXPECT_TRUE(find("database.url").secret);
  EXPECT_FALSE(find("server.listen").secret);
  EXPECT_EQ(find("server.body_limit_bytes").type, "integer");
  EXPECT_EQ(find("server.body_limit_bytes").default_value, "1048576");
  EXPECT_EQ(find("log.access_log").type, "boolean");
  EXPECT_EQ(find("log.access_log").default_value, "true");
  EXPECT_EQ(find("auth.session_idle_timeout_s").env_var, "TRUST_AUTH_SESSION_IDLE_TIMEOUT_S");
  EXPECT_EQ(find("secrets.vault_token").env_var, "TRUST_SECRETS_VAULT_TOKEN");
  EXPECT_TRUE(find("secrets.vault_token").secret);
  EXPECT_EQ(find("secrets.kms").default_value, "local");
}

TEST(ConfigKeysTest, EveryKeyCanBeSetAndReadBack) {
  for (const ConfigKeyInfo& k : ConfigKeys()) {
    Config config;
    std::string value = k.type == "string" ? "some value" : k.type == "boolean" ? "false" : "77";
    ASSERT_TRUE(Set(config, k.name, value).ok()) << k.name;
    absl::StatusOr<std::string> got = Get(config, k.name);
    ASSERT_TRUE(got.ok()) << k.name;
    EXPECT_EQ(*got, value) << k.name;
  }
}

TEST(ConfigDefaultsTest, DefaultsMatchTheDesignAndAreValid) {
  Config config;
  EXPECT_EQ(config.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(config.server.max_connections, 4096);
  EXPECT_EQ(config.auth.session_idle_timeout_s, 1800);
  EXPECT_EQ(config.log.level, "info");
  EXPECT_TRUE(Validate(config).ok()) << Validate(config);
}

// ---------------------------------------------------------------------------------------------
// TOML

TEST_F(ConfigFileTest, AppliesEveryTableOfTheFile) {
  std::string path = Write(R"(# trust.toml
data_dir = "/srv/trust"

[server]
listen = "0.0.0.0:9443"
io_threads = 2
body_limit_bytes = 5_000_000
tls_cert_file = "/etc/trust/cert.pem"
tls_key_file = "/etc/trust/key.pem"

[database]
url = "postgresql://app:pw@db/trust"

[auth]
session_idle_timeout_s = 600

[log]
level = "debug"
access_log = false
)");
  Config config;
  ASSERT_TRUE(ApplyTomlFile(config, path).ok()) << ApplyTomlFile(config, path);
  EXPECT_EQ(config.data_dir, "/srv/trust");
  EXPECT_EQ(config.server.listen, "0.0.0.0:9443");
  EXPECT_EQ(config.server.io_threads, 2);
  EXPECT_EQ(config.server.body_limit_bytes, 5000000);
  EXPECT_EQ(config.server.tls_cert_file, "/etc/trust/cert.pem");
  EXPECT_EQ(config.database.url, "postgresql://app:pw@db/trust");
  EXPECT_EQ(config.auth.session_idle_timeout_s, 600);
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_FALSE(config.log.access_log);
  // Keys the file does not mention keep their values.
  EXPECT_EQ(config.server.max_connections, 4096);
  EXPECT_EQ(config.auth.session_absolute_lifetime_s, 43200);
}

TEST_F(ConfigFileTest, NonAsciiInStringsAndCommentsIsFine) {
  std::string path = Write(
      "# r\xC3\xA9pertoire \xE2\x9C\x93\ndata_dir = \"/srv/caf\xC3\xA9\" # \xC2\xA7\n"
      "[log]\nfile = '/var/log/\xC2\xA5.log'\nlevel = \"\"\"\\\n   info\"\"\"\n"
      "[server]\ntls_cert_file = \"\"\"\\\n  \xC2\xA7\"\"\"\ntls_key_file = '''C:\\k\"\xC2\xA7'''\n");
  Config config;
  absl::Status status = ApplyTomlFile(config, path);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(config.data_dir, "/srv/caf\xC3\xA9");
  EXPECT_EQ(config.log.file, "/var/log/\xC2\xA5.log");
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.server.tls_cert_file, "\xC2\xA7");  // toml++ 3.3 alone reaches UB here (#190)
  EXPECT_EQ(config.server.tls_key_file, "C:\\k\"\xC2\xA7");
}

TEST_F(ConfigFileTest, DottedKeysWork) {
  std::string path = Write("server.listen = \"10.0.0.1:80\"\nlog.level = \"warn\"\n");
  Config config;
  ASSERT_TRUE(ApplyTomlFile(config, path).ok());
  EXPECT_EQ(config.server.listen, "10.0.0.1:80");
  EXPECT_EQ(config.log.level, "warn");
}

TEST_F(ConfigFileTest, UnknownKeyIsAnErrorNamingKeyFileAndLine) {
  std::string path = Write("[server]\nlisten = \"127.0.0.1:1\"\nlisen = \"x\"\n");
  Config config;
  absl::Status status = ApplyTomlFile(config, path);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), "unknown configuration key 'server.lisen' in " + path + ":3");
  // Nothing was applied, not even the valid key before the bad one.
  EXPECT_EQ(config.server.listen, "127.0.0.1:8080");
}

TEST_F(ConfigFileTest, UnknownTablesAndTopLevelKeysAreErrors) {
  Config config;
  // A misspelt table is reported as such, at its header.
  std::string path = Write("data_dir = \"/x\"\n[sever]\nlisten = \"a:1\"\n");
  absl::Status status = ApplyTomlFile(config, path);
  EXPECT_EQ(Message(status), "unknown configuration key 'sever' in " + path + ":2");
  status = ApplyTomlFile(config, Write("datadir = \"/x\"\n"));
  EXPECT_TRUE(Contains(Message(status), "unknown configuration key 'datadir'")) << status;
  status = ApplyTomlFile(config, Write("[server.tls]\ncert = \"x\"\n"));
  EXPECT_TRUE(Contains(Message(status), "unknown configuration key 'server.tls'")) << status;
  status = ApplyTomlFile(config, Write("server = 5\n"));
  EXPECT_TRUE(Contains(Message(status), "configuration key 'server'")) << status;
  EXPECT_TRUE(Contains(Message(status), "must be a table")) << status;
}

TEST_F(ConfigFileTest, WrongTypesAreErrorsNamingTheKey) {
  Config config;
  std::string path = Write("[server]\nio_threads = \"four\"\n");
  absl::Status status = ApplyTomlFile(config, path);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), "invalid value for configuration key 'server.io_threads' in " + path +
                                 ":2: expected an integer, got a string");

  status = ApplyTomlFile(config, Write("[log]\naccess_log = \"yes\"\n"));
  EXPECT_TRUE(Contains(Message(status), "'log.access_log'")) << status;
  EXPECT_TRUE(Contains(Message(status), "expected a boolean, got a string")) << status;

  status = ApplyTomlFile(config, Write("[server]\nlisten = 8080\n"));
  EXPECT_TRUE(Contains(Message(status), "expected a string, got an integer")) << status;

  status = ApplyTomlFile(config, Write("[server]\nbody_timeout_ms = 1.5\n"));
  EXPECT_TRUE(Contains(Message(status), "'server.body_timeout_ms'")) << status;
  EXPECT_TRUE(Contains(Message(status), "got a floating-point number")) << status;

  // Does not fit an int.
  status = ApplyTomlFile(config, Write("[server]\nio_threads = 99999999999\n"));
  EXPECT_TRUE(Contains(Message(status), "'server.io_threads'")) << status;
  EXPECT_TRUE(Contains(Message(status), "out of range")) << status;
  EXPECT_EQ(config.server.io_threads, 0);
}

TEST_F(ConfigFileTest, SyntaxErrorsAndMissingFilesAreErrorsNotExceptions) {
  Config config;
  std::string path = Write("[server\nlisten = \"x\"\n");
  absl::Status status = ApplyTomlFile(config, path);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(Message(status), "invalid TOML in " + path + ":1")) << status;

  status = ApplyTomlFile(config, Write("a = \"unterminated\n"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;

  // Input on which toml++ 3.3 would assert or reach __builtin_unreachable (tomlplusplus#301,
  // #190, #295) is a plain error: odd table headers, non-ASCII outside strings, bad UTF-8.
  for (const char* bad :
       {"[~server]\n", "[[[1]]]\n", "[\n", "[", "  [ =\n", "[[\xC3\xA9]]\n", "t\xC2\xA5=1\n", "\xCC\xAA\n",
        "log.file = \"\xFF\"\n", "log.file = \"\\\xC3\xA9\"\n"}) {
    std::string bad_path = Write(std::string("data_dir = \"x\"\n") + bad);
    status = ApplyTomlFile(config, bad_path);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(Contains(Message(status), "invalid TOML in " + bad_path + ":")) << status;
  }
  EXPECT_EQ(config.data_dir, "./var");

  status = ApplyTomlFile(config, ::testing::TempDir() + "/tf_config_test_does_not_exist.toml");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_TRUE(Contains(Message(status), "tf_config_test_does_not_exist.toml")) << status;
}

// ---------------------------------------------------------------------------------------------
// Environment and flags

TEST(ConfigEnvTest, AppliesTrustVariablesAndIgnoresUnknownOnes) {
  MapEnv env({{"TRUST_SERVER_LISTEN", "0.0.0.0:80"},
              {"TRUST_DATABASE_URL", "postgresql://app:pw@db/trust"},
              {"TRUST_DATA_DIR", "/data"},
              {"TRUST_SERVER_BODY_LIMIT_BYTES", " 2048 "},
              {"TRUST_LOG_ACCESS_LOG", "off"},
              {"TRUST_SOMETHING_ELSE", "ignored"},
              {"SERVER_LISTEN", "not ours"}});
  Config config;
  ASSERT_TRUE(ApplyEnv(config, env).ok()) << ApplyEnv(config, env);
  EXPECT_EQ(config.server.listen, "0.0.0.0:80");
  EXPECT_EQ(config.database.url, "postgresql://app:pw@db/trust");
  EXPECT_EQ(config.data_dir, "/data");
  EXPECT_EQ(config.server.body_limit_bytes, 2048);
  EXPECT_FALSE(config.log.access_log);
}

TEST(ConfigEnvTest, MalformedValueIsAnErrorNamingTheVariable) {
  Config config;
  absl::Status status =
      ApplyEnv(config, MapEnv({{"TRUST_SERVER_LISTEN", "1.2.3.4:5"}, {"TRUST_SERVER_IO_THREADS", "abc"}}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status),
            "invalid value in environment variable TRUST_SERVER_IO_THREADS (server.io_threads): "
            "expected an integer, got 'abc'");
  EXPECT_EQ(config.server.listen, "127.0.0.1:8080");  // unchanged

  status = ApplyEnv(config, MapEnv({{"TRUST_LOG_ACCESS_LOG", "maybe"}}));
  EXPECT_TRUE(Contains(Message(status), "TRUST_LOG_ACCESS_LOG")) << status;
  EXPECT_TRUE(Contains(Message(status), "expected true or false")) << status;
}

TEST(ConfigSetTest, SetsByKeyAndRejectsUnknownKeysAndBadValues) {
  Config config;
  ASSERT_TRUE(Set(config, "server.max_connections", "100").ok());
  EXPECT_EQ(config.server.max_connections, 100);
  ASSERT_TRUE(Set(config, "log.access_log", "FALSE").ok());
  EXPECT_FALSE(config.log.access_log);
  ASSERT_TRUE(Set(config, "log.access_log", "yes").ok());
  EXPECT_TRUE(config.log.access_log);
  ASSERT_TRUE(Set(config, "server.header_limit_bytes", "9000000000").ok());  // int64
  EXPECT_EQ(config.server.header_limit_bytes, 9000000000);

  absl::Status status = Set(config, "server.lisen", "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), "unknown configuration key 'server.lisen'");

  status = Set(config, "server.max_connections", "12k");
  EXPECT_EQ(Message(status),
            "invalid value for configuration key 'server.max_connections': expected an integer, "
            "got '12k'");
  status = Set(config, "server.max_connections", "3000000000");
  EXPECT_TRUE(Contains(Message(status), "out of range")) << status;
  EXPECT_EQ(config.server.max_connections, 100);

  EXPECT_EQ(Get(config, "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ConfigFileTest, PrecedenceIsTomlThenEnvThenFlags) {
  std::string path = Write(R"(data_dir = "/from/toml"
[server]
listen = "1.1.1.1:1"
io_threads = 2
max_connections = 10
)");
  MapEnv env({{"TRUST_SERVER_LISTEN", "2.2.2.2:2"}, {"TRUST_SERVER_IO_THREADS", "3"}});

  Config config;
  ASSERT_TRUE(ApplyTomlFile(config, path).ok());
  ASSERT_TRUE(ApplyEnv(config, env).ok());
  ASSERT_TRUE(Set(config, "server.listen", "3.3.3.3:3").ok());
  EXPECT_EQ(config.server.listen, "3.3.3.3:3");  // flag beats env and file
  EXPECT_EQ(config.server.io_threads, 3);        // env beats file
  EXPECT_EQ(config.server.max_connections, 10);  // file beats default
  EXPECT_EQ(config.data_dir, "/from/toml");
  EXPECT_EQ(config.server.worker_threads, 0);  // default

  absl::StatusOr<Config> loaded =
      LoadConfig({.toml_file = path, .env = &env, .overrides = {{"server.listen", "3.3.3.3:3"}}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->server.listen, "3.3.3.3:3");
  EXPECT_EQ(loaded->server.io_threads, 3);
  EXPECT_EQ(loaded->server.max_connections, 10);

  // LoadConfig validates the result.
  absl::StatusOr<Config> invalid =
      LoadConfig({.toml_file = path, .env = &env, .overrides = {{"server.listen", "nope"}}});
  EXPECT_TRUE(Contains(Message(invalid.status()), "server.listen: expected HOST:PORT")) << invalid.status();
}

// ---------------------------------------------------------------------------------------------
// Validate

TEST(ConfigValidateTest, ListenMustBeHostPort) {
  Config config;
  config.server.listen = "abc";
  EXPECT_EQ(Message(Validate(config)), "invalid configuration: server.listen: expected HOST:PORT, got 'abc'");
  for (const char* bad :
       {":8080", "host:", "host:65536", "host:-1", "host:80x", "a b:80", "::1:80", "[::1:80", "[zz]:80"}) {
    config.server.listen = bad;
    absl::Status status = Validate(config);
    EXPECT_FALSE(status.ok()) << bad;
    EXPECT_TRUE(Contains(Message(status), "server.listen")) << bad;
  }
  for (const char* good :
       {"0.0.0.0:0", "localhost:65535", "[::1]:8080", "[::]:443", "trust.internal.example:8080"}) {
    config.server.listen = good;
    EXPECT_TRUE(Validate(config).ok()) << good << ": " << Validate(config);
  }
}

TEST(ConfigValidateTest, LimitsMustBePositive) {
  Config config;
  config.server.max_connections = 0;
  EXPECT_EQ(Message(Validate(config)),
            "invalid configuration: server.max_connections: must be greater than 0, got '0'");
  config = Config{};
  config.server.body_limit_bytes = -1;
  EXPECT_TRUE(Contains(Message(Validate(config)), "server.body_limit_bytes: must be greater than 0"));
  config = Config{};
  config.server.io_threads = -1;
  EXPECT_TRUE(Contains(Message(Validate(config)), "server.io_threads: must be between 0 and 1024"));
  config = Config{};
  config.server.shutdown_grace_ms = 0;  // allowed: stop at once
  EXPECT_TRUE(Validate(config).ok());
}

TEST(ConfigValidateTest, VaultTransitNeedsAnAddressAndAToken) {
  Config config;
  ASSERT_TRUE(Set(config, "secrets.kms", "vault-transit").ok());
  std::string message = Message(Validate(config));
  EXPECT_TRUE(Contains(message, "secrets.vault_address: expected an https:// URL")) << message;
  EXPECT_TRUE(Contains(message, "secrets.vault_token: required")) << message;
  config.secrets.vault_address = "https://vault.internal:8200";
  config.secrets.vault_token = "hvs.secret-token-value";
  EXPECT_TRUE(Validate(config).ok()) << Validate(config);
  config.secrets.vault_key = "/bad";
  EXPECT_FALSE(Contains(Message(Validate(config)), "hvs.")) << "the token is never echoed";
  EXPECT_TRUE(Contains(Message(Validate(config)), "secrets.vault_key")) << Validate(config);
  EXPECT_FALSE(Set(config, "secrets.kms", "aws-kms").ok() && Validate(config).ok());
}

TEST(ConfigValidateTest, RulesBetweenKeys) {
  Config config;
  config.server.tls_cert_file = "/etc/cert.pem";
  EXPECT_TRUE(Contains(Message(Validate(config)), "server.tls_cert_file, server.tls_key_file"))
      << Validate(config);
  config.server.tls_key_file = "/etc/key.pem";
  EXPECT_TRUE(Validate(config).ok());

  config = Config{};
  config.auth.session_idle_timeout_s = 50000;
  EXPECT_EQ(Message(Validate(config)),
            "invalid configuration: auth.session_idle_timeout_s: must not exceed "
            "auth.session_absolute_lifetime_s (50000 > 43200)");
}

TEST(ConfigValidateTest, LogLevelDataDirAndDatabaseUrl) {
  Config config;
  config.log.level = "verbose";
  EXPECT_EQ(Message(Validate(config)),
            "invalid configuration: log.level: expected debug, info, warn or error, got 'verbose'");
  config = Config{};
  config.data_dir = "";
  EXPECT_TRUE(Contains(Message(Validate(config)), "data_dir: must not be empty"));
  config = Config{};
  config.database.url = "mysql://app:hunter2@db/trust";
  absl::Status status = Validate(config);
  EXPECT_TRUE(Contains(Message(status), "database.url: expected a postgresql://")) << status;
  EXPECT_FALSE(Contains(Message(status), "hunter2")) << status;  // secret key: value never shown
  config.database.url = "sqlite:/var/lib/trust/trust.db";
  EXPECT_TRUE(Validate(config).ok());
  config.secrets.subject_keys_url = config.database.url;
  EXPECT_TRUE(Contains(Message(Validate(config)), "secrets.subject_keys_url: must name another database"));
  config.secrets.subject_keys_url = "mysql://keys";
  EXPECT_TRUE(Contains(Message(Validate(config)), "secrets.subject_keys_url: expected sqlite:PATH"));
  config.secrets.subject_keys_url = "sqlite:/var/lib/trust/subject-keys.db";
  EXPECT_TRUE(Validate(config).ok());
  // Instances sharing a PostgreSQL database must share the key store: it is named, on PostgreSQL.
  config.database.url = "postgresql://app@db/trust";
  EXPECT_TRUE(Contains(Message(Validate(config)), "secrets.subject_keys_url: required with a PostgreSQL database.url"));
  config.secrets.subject_keys_url.clear();
  EXPECT_TRUE(Contains(Message(Validate(config)), "secrets.subject_keys_url: required with a PostgreSQL database.url"));
  config.secrets.subject_keys_url = "postgresql://app@db/trust_keys";
  EXPECT_TRUE(Validate(config).ok());
}

TEST(ConfigValidateTest, ReportsEveryProblemAtOnce) {
  Config config;
  config.server.listen = "abc";
  config.log.level = "loud";
  std::string message = Message(Validate(config));
  EXPECT_TRUE(Contains(message, "server.listen")) << message;
  EXPECT_TRUE(Contains(message, "log.level")) << message;
}

TEST(ConfigValidateTest, ErrorsDoNotEchoSecretsInOtherKeys) {
  Config config;
  config.server.listen = "tft_4qN8x-Jr0_ZkQ2mW9vYbL7cT1sHdE5fGpUaKoRiXnBy";
  std::string message = Message(Validate(config));
  EXPECT_TRUE(Contains(message, "got '[REDACTED]'")) << message;
}

// ---------------------------------------------------------------------------------------------
// ToToml

TEST_F(ConfigFileTest, ToTomlRoundTripsEveryKey) {
  Config original;
  original.data_dir = "/srv/tr\"ust\\dir\twith \xC3\xA9 and\nnewline";
  original.server.listen = "[::1]:9000";
  original.server.io_threads = 3;
  original.server.worker_threads = 12;
  original.server.max_connections = 77;
  original.server.header_limit_bytes = 8000;
  original.server.body_limit_bytes = 9000000000;
  original.server.header_timeout_ms = 1;
  original.server.body_timeout_ms = 2;
  original.server.idle_timeout_ms = 3;
  original.server.shutdown_grace_ms = 4;
  original.server.tls_cert_file = "/c.pem";
  original.server.tls_key_file = "/k.pem";
  original.database.url = "postgresql://db.internal/trust";
  original.auth.session_idle_timeout_s = 5;
  original.auth.session_absolute_lifetime_s = 6;
  original.auth.login_delay_after_failures = 7;
  original.auth.login_lock_after_failures = 8;
  original.auth.api_token_max_lifetime_days = 9;
  original.log.level = "error";
  original.log.file = "/var/log/trust.log";
  original.log.access_log = false;

  std::string toml = ToToml(original);
  Config parsed;
  absl::Status status = ApplyTomlFile(parsed, Write(toml));
  ASSERT_TRUE(status.ok()) << status << "\n" << toml;
  for (const ConfigKeyInfo& k : ConfigKeys()) {
    EXPECT_EQ(*Get(parsed, k.name), *Get(original, k.name)) << k.name;
  }
  // Tables, in order, after the top-level key.
  size_t server = toml.find("\n[server]\n");
  size_t database = toml.find("\n[database]\n");
  size_t auth = toml.find("\n[auth]\n");
  size_t log = toml.find("\n[log]\n");
  EXPECT_LT(toml.find("data_dir = "), server);
  EXPECT_LT(server, database);
  EXPECT_LT(database, auth);
  EXPECT_LT(auth, log);
  EXPECT_NE(log, std::string::npos);
}

TEST_F(ConfigFileTest, ToTomlRedactsTheDatabasePassword) {
  Config config;
  config.database.url = "postgresql://app:s3cret@db/trust";
  std::string toml = ToToml(config);
  EXPECT_TRUE(Contains(toml, "url = \"postgresql://app:[REDACTED]@db/trust\"")) << toml;
  EXPECT_FALSE(Contains(toml, "s3cret")) << toml;

  Config parsed;
  ASSERT_TRUE(ApplyTomlFile(parsed, Write(toml)).ok());
  EXPECT_EQ(parsed.database.url, "postgresql://app:[REDACTED]@db/trust");
  EXPECT_EQ(parsed.server.listen, config.server.listen);
}

}  // namespace
TEST(ConfigTest, PostgresUrlsAreRecognisedByTheirScheme) {
  EXPECT_TRUE(IsPostgresUrl("postgres://x"));
  EXPECT_TRUE(IsPostgresUrl("postgresql://app@db/trust"));
  EXPECT_FALSE(IsPostgresUrl("sqlite:/tmp/x.db"));
  EXPECT_FALSE(IsPostgresUrl("mysql://db/trust"));
  EXPECT_FALSE(IsPostgresUrl(""));
}

}  // namespace tf
