#include "support/trustd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/clock.h"

namespace tf::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tf-test-XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  path_ = made ? made : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& text) const {
  std::string path = path_ + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

namespace {

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv_in, const std::string& stdin_text,
                         const std::vector<std::pair<std::string, std::string>>& env) {
  int in[2], out[2], err[2];
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(in[1]);
    close(out[0]);
    close(err[0]);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> argv = argv_in;
    auto cargv = CStrings(argv);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!stdin_text.empty()) {
    ssize_t ignored = write(in[1], stdin_text.data(), stdin_text.size());
    (void)ignored;
  }
  close(in[1]);
  CommandResult r;
  // Small outputs: read stdout then stderr (neither fills a pipe buffer in these tests).
  r.out = ReadAll(out[0]);
  r.err = ReadAll(err[0]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Backend IntegrationBackend() {
  const char* b = std::getenv("TF_TEST_BACKEND");
  return b != nullptr && std::string_view(b) == "postgres" ? Backend::kPostgres : Backend::kSqlite;
}

namespace {

//! An empty PostgreSQL database: trustd applies the migrations itself, as the owner.
std::unique_ptr<TestDatabase> EmptyPostgresDatabase() {
  auto db = TestDatabase::Create(Backend::kPostgres, SystemClock::Instance(), {});
  if (!db.ok()) {
    std::fprintf(stderr, "TrustdProcess: %s\n", std::string(db.status().message()).c_str());
    std::abort();
  }
  return std::move(*db);
}

}  // namespace

TrustdProcess::TrustdProcess(Options options) : options_(std::move(options)) {
  if (options_.database != nullptr || IntegrationBackend() == Backend::kSqlite) return;
  own_db_ = EmptyPostgresDatabase();
  own_key_store_ = EmptyPostgresDatabase();
}

const TestDatabase* TrustdProcess::Store() const { return options_.database ? options_.database : own_db_.get(); }

Backend TrustdProcess::backend() const { return Store() ? Store()->backend() : Backend::kSqlite; }

std::vector<std::pair<std::string, std::string>> TrustdProcess::DatabaseEnv() const {
  std::vector<std::pair<std::string, std::string>> env;
  if (Store() != nullptr) {
    env = {{"TRUST_DATABASE_URL", Store()->url()}, {"TRUST_DATABASE_MIGRATION_URL", Store()->migration_url()}};
  }
  if (const TestDatabase* key_store = KeyStore()) {
    env.emplace_back("TRUST_SECRETS_SUBJECT_KEYS_URL", key_store->url());
    env.emplace_back("TRUST_SECRETS_SUBJECT_KEYS_MIGRATION_URL", key_store->migration_url());
  }
  return env;
}

std::vector<std::pair<std::string, std::string>> TrustdProcess::CommandEnv() const {
  std::vector<std::pair<std::string, std::string>> env = DatabaseEnv();
  env.insert(env.end(), options_.env.begin(), options_.env.end());
  return env;
}

TrustdProcess::~TrustdProcess() {
  if (pid_ > 0) Stop();
}

std::string TrustdProcess::Log() const { return ReadFileBytes(dir_.path() + "/trustd.log"); }

bool TrustdProcess::Start(std::string* error) {
  int out[2];
  if (pipe(out) != 0) return false;
  std::string log_path = dir_.path() + "/trustd.log";
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(log_fd, 2);
    close(out[0]);
    for (const auto& [k, v] : DatabaseEnv()) setenv(k.c_str(), v.c_str(), 1);
    for (const auto& [k, v] : options_.env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> argv = {TF_TRUSTD_PATH, "--listen", "127.0.0.1:0", "--data-dir", dir_.path() + "/data"};
    for (const auto& a : options_.extra_args) argv.push_back(a);
    auto cargv = CStrings(argv);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(out[1]);
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    ssize_t n = read(out[0], &c, 1);
    if (n <= 0) break;
    if (c == '\n') break;
    line.push_back(c);
  }
  close(out[0]);
  const std::string prefix = "trustd listening on port ";
  unsigned port = 0;
  if (line.rfind(prefix, 0) != 0 || !absl::SimpleAtoi(line.substr(prefix.size()), &port)) {
    if (error) *error = absl::StrCat("trustd did not start; stdout: '", line, "'; log:\n", Log());
    Stop();
    return false;
  }
  port_ = static_cast<uint16_t>(port);
  return true;
}

int TrustdProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void TrustdProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

CommandResult TrustdProcess::Bootstrap(const std::string& email, const std::string& password) const {
  return RunCommand({TF_TRUSTCTL_PATH, "--data-dir", dir_.path() + "/data", "bootstrap", "--email", email,
                     "--password-stdin"},
                    password + "\n", CommandEnv());
}

std::string TrustdProcess::Login(const std::string& email, const std::string& password) const {
  HttpResult r = client().PostJson("/api/auth/login", {{"email", email}, {"password", password}});
  if (r.status != 200) return "";
  return r.Json().value("token", "");
}

}  // namespace tf::testing
