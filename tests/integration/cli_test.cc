// The command lines of trustd and trustctl: help, --print-config (secrets redacted), config
// errors that name the bad key, file < environment < flag precedence, bootstrap (once, then
// --if-needed) and `db status`.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

//! Runs trustd under a time limit, so a config that wrongly starts the server cannot hang the
//! suite (timeout(1) exits 124).
CommandResult Trustd(std::vector<std::string> args, const Env& env = {}) {
  std::vector<std::string> argv = {"/usr/bin/timeout", "10", TF_TRUSTD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, "", env);
}

CommandResult Trustctl(std::vector<std::string> args, const std::string& stdin_text = "") {
  std::vector<std::string> argv = {TF_TRUSTCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, stdin_text);
}

//! The value of `key = "..."` in --print-config output ("" when absent).
std::string TomlString(const std::string& toml, const std::string& key) {
  std::smatch m;
  if (std::regex_search(toml, m, std::regex("(^|\n)" + key + " = \"([^\"]*)\""))) return m[2];
  return "";
}

TEST(CliTest, TrustdHelpListsTheFlags) {
  CommandResult r = Trustd({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* flag : {"--listen", "--data-dir", "--config", "--database", "--print-config", "--log-level"}) {
    EXPECT_TRUE(absl::StrContains(r.out, flag)) << flag << " missing from:\n" << r.out;
  }
  EXPECT_TRUE(absl::StrContains(r.out, "TRUST_")) << "help explains the environment variables";
}

TEST(CliTest, PrintConfigRedactsTheDatabasePassword) {
  CommandResult r = Trustd({"--print-config"}, {{"TRUST_DATABASE_URL", "postgresql://app:s3cret@db/trust"},
                                                {"TRUST_SECRETS_SUBJECT_KEYS_URL", "postgresql://app:s3cret@db/trust_keys"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(absl::StrContains(r.out, "s3cret")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.err, "s3cret")) << r.err;
  std::string url = TomlString(r.out, "url");
  EXPECT_TRUE(absl::StartsWith(url, "postgresql://app:")) << url;
  EXPECT_TRUE(absl::StrContains(url, "@db/trust")) << url;
  for (const char* section : {"[server]", "[database]", "[auth]", "[log]"}) {
    EXPECT_TRUE(absl::StrContains(r.out, section)) << section;
  }
  EXPECT_TRUE(absl::StrContains(r.out, "\nlisten = ")) << r.out;

  // What it prints is a configuration file trustd accepts.
  TempDir dir;
  std::string path = dir.Write("printed.toml", r.out);
  CommandResult again = Trustd({"--config", path, "--print-config"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, r.out);
}

TEST(CliTest, UnknownKeyInTheConfigFileFailsNamingTheKey) {
  TempDir dir;
  std::string path = dir.Write("bad.toml", "data_dir = \"/tmp/x\"\n[server]\nlisen = \"127.0.0.1:8080\"\n");
  for (bool print : {true, false}) {
    std::vector<std::string> args = {"--config", path, "--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0"};
    if (print) args.push_back("--print-config");
    CommandResult r = Trustd(args);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.exit_code, 124) << "trustd started despite the bad key";
    EXPECT_TRUE(absl::StrContains(r.err, "server.lisen")) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "bad.toml:3")) << "names the file and line: " << r.err;
    EXPECT_FALSE(absl::StrContains(r.out, "listening")) << r.out;
  }
}

TEST(CliTest, InvalidConfigValuesFailNamingTheKey) {
  TempDir dir;
  struct Case {
    std::string toml;
    Env env;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"", {{"TRUST_SERVER_LISTEN", "nonsense"}}, "server.listen"},
      {"", {{"TRUST_SERVER_IO_THREADS", "many"}}, "TRUST_SERVER_IO_THREADS"},
      {"[server]\nio_threads = \"many\"\n", {}, "server.io_threads"},
      {"[server]\nlisten = \"127.0.0.1:99999\"\n", {}, "server.listen"},
      {"[server\nlisten = \"x\"\n", {}, "bad.toml"},
      {"server = 5\n", {}, "server"},
      {"[auth]\nlogin_delay_after_failures = 20\nlogin_lock_after_failures = 5\n", {}, "auth.login_delay_after_failures"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--data-dir", dir.path() + "/data"};
    if (!c.toml.empty()) {
      args.push_back("--config");
      args.push_back(dir.Write("bad.toml", c.toml));
    }
    CommandResult r = Trustd(args, c.env);
    EXPECT_NE(r.exit_code, 0) << c.key;
    EXPECT_NE(r.exit_code, 124) << "trustd started: " << c.key;
    EXPECT_TRUE(absl::StrContains(r.err, c.key)) << "expected '" << c.key << "' in: " << r.err;
  }
}

TEST(CliTest, ADetectionRuleFileWithABadRuleFailsNamingTheRuleAndKey) {
  TempDir dir;
  std::string path = dir.Write("rules.yaml",
                               "rules:\n  - name: probe\n    title: Probe\n    type: probing\n    severity: low\n"
                               "    match: {event_type: login_failed}\n    group_by: [source_ip]\n    window: 5 minutes\n");
  CommandResult r = Trustd({"--data-dir", dir.path() + "/data", "--listen", "127.0.0.1:0"},
                           {{"TRUST_SECURITY_RULES_FILE", path}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 124) << "trustd started despite the bad rule";
  EXPECT_TRUE(absl::StrContains(r.err, "security.rules_file")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "rules[0] (probe): window")) << r.err;
}

TEST(CliTest, BadDatabaseUrlNeverEchoesItsPassword) {
  CommandResult r = Trustd({"--print-config"}, {{"TRUST_DATABASE_URL", "mysql://app:hunter2secret@db/trust"}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "database.url")) << r.err;
  EXPECT_FALSE(absl::StrContains(r.err, "hunter2secret")) << r.err;
  EXPECT_FALSE(absl::StrContains(r.out, "hunter2secret")) << r.out;
}

TEST(CliTest, ListenPrecedenceIsFileThenEnvironmentThenFlag) {
  TempDir dir;
  std::string path = dir.Write("trust.toml", "[server]\nlisten = \"127.0.0.1:1111\"\n");
  const Env env = {{"TRUST_SERVER_LISTEN", "127.0.0.1:2222"}};

  CommandResult defaults = Trustd({"--print-config"});
  ASSERT_EQ(defaults.exit_code, 0) << defaults.err;
  EXPECT_EQ(TomlString(defaults.out, "listen"), "127.0.0.1:8080");

  CommandResult file = Trustd({"--config", path, "--print-config"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(TomlString(file.out, "listen"), "127.0.0.1:1111");

  CommandResult with_env = Trustd({"--config", path, "--print-config"}, env);
  ASSERT_EQ(with_env.exit_code, 0) << with_env.err;
  EXPECT_EQ(TomlString(with_env.out, "listen"), "127.0.0.1:2222");

  CommandResult with_flag = Trustd({"--config", path, "--listen", "127.0.0.1:3333", "--print-config"}, env);
  ASSERT_EQ(with_flag.exit_code, 0) << with_flag.err;
  EXPECT_EQ(TomlString(with_flag.out, "listen"), "127.0.0.1:3333");

  // The same layering for another key, through its own flag.
  CommandResult data_dir = Trustd({"--config", dir.Write("d.toml", "data_dir = \"/srv/file\"\n"), "--data-dir",
                                   "/srv/flag", "--print-config"},
                                  {{"TRUST_DATA_DIR", "/srv/env"}});
  ASSERT_EQ(data_dir.exit_code, 0) << data_dir.err;
  EXPECT_EQ(TomlString(data_dir.out, "data_dir"), "/srv/flag");
}

TEST(CliTest, TrustctlHelp) {
  CommandResult top = Trustctl({"--help"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  for (const char* word : {"bootstrap", "db", "--data-dir", "--config", "--database"}) {
    EXPECT_TRUE(absl::StrContains(top.out, word)) << word << " missing from:\n" << top.out;
  }
  CommandResult bootstrap = Trustctl({"bootstrap", "--help"});
  EXPECT_EQ(bootstrap.exit_code, 0) << bootstrap.err;
  for (const char* word : {"--email", "--password-stdin", "--if-needed"}) {
    EXPECT_TRUE(absl::StrContains(bootstrap.out, word)) << word << " missing from:\n" << bootstrap.out;
  }
  CommandResult db = Trustctl({"db", "--help"});
  EXPECT_EQ(db.exit_code, 0) << db.err;
  EXPECT_TRUE(absl::StrContains(db.out, "status")) << db.out;
  EXPECT_TRUE(absl::StrContains(db.out, "migrate")) << db.out;

  CommandResult none = Trustctl({});
  EXPECT_NE(none.exit_code, 0) << "a subcommand is required";
  CommandResult no_email = Trustctl({"bootstrap", "--password-stdin"}, std::string(kPassword) + "\n");
  EXPECT_NE(no_email.exit_code, 0) << "--email is required";
}

TEST(CliTest, BootstrapRunsOnceAndIfNeededIsIdempotent) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  CommandResult weak =
      Trustctl({"--data-dir", data, "bootstrap", "--email", "ops@example.com", "--password-stdin"}, "password1234\n");
  EXPECT_NE(weak.exit_code, 0) << "a common password is refused: " << weak.out;
  EXPECT_FALSE(absl::StrContains(weak.out + weak.err, "password1234"));

  CommandResult first =
      Trustctl({"--data-dir", data, "bootstrap", "--email", "ops@example.com", "--password-stdin"}, std::string(kPassword) + "\n");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_TRUE(absl::StrContains(first.out, "ops@example.com")) << first.out;
  EXPECT_FALSE(absl::StrContains(first.out, "One-time password")) << "the given password needs no change";
  EXPECT_FALSE(absl::StrContains(first.out + first.err, kPassword));

  CommandResult second =
      Trustctl({"--data-dir", data, "bootstrap", "--email", "other@example.com", "--password-stdin"}, std::string(kPassword) + "\n");
  EXPECT_NE(second.exit_code, 0) << second.out;
  EXPECT_TRUE(absl::StrContains(second.err, "already bootstrapped")) << second.err;

  CommandResult otp_second = Trustctl({"--data-dir", data, "bootstrap", "--email", "third@example.com"});
  EXPECT_NE(otp_second.exit_code, 0) << otp_second.out;
  EXPECT_FALSE(absl::StrContains(otp_second.out, "One-time password")) << "no password for a user never created";

  CommandResult if_needed = Trustctl({"--data-dir", data, "bootstrap", "--email", "other@example.com", "--if-needed"});
  EXPECT_EQ(if_needed.exit_code, 0) << if_needed.out << if_needed.err;
  EXPECT_TRUE(absl::StrContains(if_needed.out, "already bootstrapped")) << if_needed.out;
  EXPECT_FALSE(absl::StrContains(if_needed.out, "One-time password")) << if_needed.out;

  // Only the first administrator exists, and signs in.
  TrustdProcess server;
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  CommandResult on_server = server.Bootstrap("ops@example.com", kPassword);
  ASSERT_EQ(on_server.exit_code, 0);
  CommandResult again = server.Bootstrap("ops@example.com", kPassword);
  EXPECT_NE(again.exit_code, 0);
  std::string token = server.Login("ops@example.com", kPassword);
  ASSERT_FALSE(token.empty());
  HttpResult users = server.client().Get("/api/users", token);
  ASSERT_EQ(users.status, 200) << users.body;
  EXPECT_EQ(users.Json()["items"].size(), 1u) << users.body;
}

TEST(CliTest, DbStatusPrintsTheSchemaVersion) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto version = [](const std::string& out, const std::string& label) {
    std::smatch m;
    int v = -1;
    if (std::regex_search(out, m, std::regex(label + ": (\\d+)"))) (void)absl::SimpleAtoi(std::string(m[1]), &v);
    return v;
  };
  CommandResult fresh = Trustctl({"--data-dir", data, "db", "status"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  int latest = version(fresh.out, "latest known");
  EXPECT_GE(latest, 2) << fresh.out;
  EXPECT_EQ(version(fresh.out, "schema version"), 0) << fresh.out;
  EXPECT_EQ(version(fresh.out, "pending"), latest) << fresh.out;

  CommandResult migrate = Trustctl({"--data-dir", data, "db", "migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  CommandResult status = Trustctl({"--data-dir", data, "db", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(absl::StrContains(status.out, "sqlite")) << status.out;
  EXPECT_EQ(version(status.out, "schema version"), latest) << status.out;
  EXPECT_EQ(version(status.out, "pending"), 0) << status.out;
  CommandResult migrate_again = Trustctl({"--data-dir", data, "db", "migrate"});
  EXPECT_EQ(migrate_again.exit_code, 0) << migrate_again.err;
  EXPECT_TRUE(absl::StrContains(migrate_again.out, "applied 0")) << migrate_again.out;
}

}  // namespace
}  // namespace tf::testing
