#pragma once
// Runs the real trustd binary for integration tests: a fresh data directory, port 0 (the
// bound port is read from trustd's first stdout line), logs captured to a file, and SIGTERM
// to stop. Also runs trustctl against the same store.
//
// The store is SQLite in the data directory, or, when TF_TEST_BACKEND=postgres (ctest's
// integration_postgres run of the same suites), a fresh PostgreSQL database that trustd
// migrates itself as the owner (database.migration_url) and serves as tf_app.
// Thread-safety: one owner thread.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/http_client.h"
#include "support/test_database.h"

namespace tf::testing {

//! The first SUPER_ADMIN that integration tests bootstrap.
inline constexpr char kRootEmail[] = "root@example.com";
inline constexpr char kPassword[] = "correct-Horse-7-battery";

//! A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  //! Writes `text` to the file `name` in the directory and returns its path.
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

//! Runs a program with arguments, optional stdin and extra environment; waits for it.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                         const std::vector<std::pair<std::string, std::string>>& env = {});

//! A file's bytes ("" when it cannot be read).
std::string ReadFileBytes(const std::string& path);

//! The backend integration tests run against: TF_TEST_BACKEND (sqlite unless "postgres").
Backend IntegrationBackend();

class TrustdProcess {
 public:
  struct Options {
    std::vector<std::string> extra_args;
    std::vector<std::pair<std::string, std::string>> env;
    //! Serve this database instead of a fresh one (several instances on one store), and this
    //! personal-data key store with it (PostgreSQL).
    const TestDatabase* database = nullptr;
    const TestDatabase* key_store = nullptr;
  };

  explicit TrustdProcess(Options options);
  TrustdProcess() : TrustdProcess(Options{}) {}
  ~TrustdProcess();

  //! Starts trustd and waits for its port; false (with the log in `error`) when it fails.
  bool Start(std::string* error);
  //! SIGTERM and wait; returns the exit status (or -1).
  int Stop();
  //! SIGKILL and wait: the process dies without any clean-up (a crashed instance).
  void Kill();
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  HttpClient client() const { return HttpClient(port_); }
  const std::string& data_dir() const { return dir_.path(); }
  Backend backend() const;
  //! The database this trustd serves; null for SQLite in its data directory.
  const TestDatabase* Store() const;
  //! The personal-data key store it serves; null for SQLite in its data directory.
  const TestDatabase* KeyStore() const { return options_.key_store ? options_.key_store : own_key_store_.get(); }
  //! TRUST_DATABASE_* and TRUST_SECRETS_SUBJECT_KEYS_* for trustd and trustctl (none for
  //! SQLite in the data directory).
  std::vector<std::pair<std::string, std::string>> DatabaseEnv() const;
  //! DatabaseEnv() and Options::env: trustctl's environment for this instance.
  std::vector<std::pair<std::string, std::string>> CommandEnv() const;
  std::string Log() const;

  //! `trustctl --data-dir <dir> bootstrap --email E --password-stdin` with `password`.
  CommandResult Bootstrap(const std::string& email, const std::string& password) const;
  //! Logs in and returns the bearer token ("" on failure).
  std::string Login(const std::string& email, const std::string& password) const;

 private:
  Options options_;
  TempDir dir_;
  std::unique_ptr<TestDatabase> own_db_;  //!< PostgreSQL runs: a fresh database of its own
  std::unique_ptr<TestDatabase> own_key_store_;  //!< and a fresh key store
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace tf::testing
