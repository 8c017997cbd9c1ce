// trustd: the Trust Fabric server.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "app/app.h"
#include "app/cli_config.h"
#include "core/build_info.h"
#include "core/crypto.h"
#include "core/log.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "trustd: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"trustd: the Trust Fabric server (audit, security, monitoring, backup, compliance)"};
  cli.set_version_flag("--version", std::string(tf::build::kVersion) + " (" + tf::build::kGitCommit + ")");
  tf::CommonFlags flags;
  std::string listen;
  bool print_config = false;
  tf::AddCommonFlags(cli, flags);
  cli.add_option("--listen", listen, "HOST:PORT to serve on; port 0 picks a free one (config: server.listen)");
  cli.add_flag("--print-config", print_config, "Print the effective configuration (secrets redacted) and exit");
  cli.footer(
      "Configuration: a TOML file (--config), overridden by TRUST_* environment variables\n"
      "(e.g. TRUST_SERVER_LISTEN), overridden by flags. Keys: docs/operations.md.");
  CLI11_PARSE(cli, argc, argv);
  if (!listen.empty()) flags.overrides.emplace_back("server.listen", listen);

  auto config = tf::LoadConfigFromFlags(flags);
  if (!config.ok()) return Fail(config.status());
  if (print_config) {
    std::cout << tf::ToToml(*config);
    return 0;
  }
  if (absl::Status s = tf::crypto::InitCrypto(); !s.ok()) return Fail(s);

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto app = tf::App::Create(*config, tf::SystemClock::Instance(), tf::SystemRng::Instance());
  if (!app.ok()) return Fail(app.status());
  if (absl::Status s = (*app)->Start(); !s.ok()) return Fail(s);
  // Scripts and tests read the bound port from this line.
  std::printf("trustd listening on port %u\n", (*app)->port());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  tf::log::Info("signal received", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*app)->Shutdown();
  return 0;
}
