#include "app/app.h"
#include "core/strings.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "app/modules.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/status.h"
#include "http/middlewares.h"
#include "http/pipeline.h"
#include "http/server.h"
#include "jobs/job_queue.h"
#include "jobs/lease.h"
#include "jobs/runner.h"
#include "jobs/scheduler.h"
#include "modules/audit/audit_middleware.h"
#include "modules/module.h"
#include "store/migrator.h"
#include "store/open.h"

namespace tf {

namespace {

int Cores() { return std::max(1u, std::thread::hardware_concurrency()); }

std::string WorkerId() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return StrCat(host, ":", getpid());
}

}  // namespace

absl::Status ParseListen(std::string_view listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(StrCat("server.listen: expected HOST:PORT, got '", listen, "'"));
  }
  std::string_view h = listen.substr(0, colon), p = listen.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || ptr != p.data() + p.size() || value > 65535) {
    return absl::InvalidArgumentError(StrCat("server.listen: invalid port in '", listen, "'"));
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return absl::OkStatus();
}

struct App::Impl {
  Config config;
  const Clock& clock;
  Rng& rng;
  std::unique_ptr<store::Database> db;
  metrics::Registry metrics;
  http::Router router;
  std::unique_ptr<jobs::Scheduler> scheduler;
  std::unique_ptr<jobs::JobQueue> queue;
  std::string instance_id = WorkerId();
  std::unique_ptr<jobs::Lease> scheduler_lease;
  std::vector<HealthCheck> health_checks;
  std::vector<std::unique_ptr<Module>> modules;
  std::unique_ptr<ModuleContext> context;
  std::unique_ptr<http::Pipeline> pipeline;
  const audit::AuditMiddleware* audit_middleware = nullptr;  // owned by the pipeline
  std::unique_ptr<http::Server> server;
  std::unique_ptr<jobs::Runner> runner;
  bool running = false;

  Impl(Config c, const Clock& clk, Rng& r) : config(std::move(c)), clock(clk), rng(r) {}
};

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

App::~App() { Shutdown(); }

absl::StatusOr<std::unique_ptr<App>> App::Create(Config config, const Clock& clock, Rng& rng) {
  auto impl = std::make_unique<Impl>(std::move(config), clock, rng);
  Impl& s = *impl;
  // The data directory holds the server's local state whatever the database (the disk check
  // watches it); SQLite keeps its file there.
  std::error_code dir_error;
  std::filesystem::create_directories(s.config.data_dir, dir_error);
  if (dir_error) {
    return absl::UnavailableError(StrCat("data_dir: cannot create ", s.config.data_dir, ": ", dir_error.message()));
  }
  TF_ASSIGN_OR_RETURN(s.db, store::OpenDatabase(s.config.database, s.config.data_dir));
  TF_ASSIGN_OR_RETURN(std::vector<int> applied, store::MigrateSchema(*s.db, s.config.database, clock));
  if (!applied.empty()) {
    log::Info("applied schema migrations", {{"versions", applied}, {"database", s.db->Describe()}});
  }
  TF_RETURN_IF_ERROR(store::CheckReadyToServe(*s.db));

  s.scheduler = std::make_unique<jobs::Scheduler>(
      clock, jobs::SchedulerOptions{[](std::string_view task, const absl::Status& error) {
        log::Error("periodic task failed", {{"task", std::string(task)}, {"error", error.ToString()}});
      }});
  jobs::JobQueueOptions queue_options;
  queue_options.on_failure = [](const jobs::JobFailure& f) {
    log::Warn("job attempt failed", {{"job_id", f.job.id}, {"kind", f.job.kind}, {"error", f.error.ToString()}});
  };
  s.queue = std::make_unique<jobs::JobQueue>(*s.db, clock, rng, s.instance_id, queue_options);
  s.scheduler_lease = std::make_unique<jobs::Lease>(*s.db, clock, "scheduler", s.instance_id,
                                                    std::chrono::milliseconds(s.config.database.lease_ttl_ms));
  // Succeeded jobs are kept a week, then deleted; dead ones stay until an operator acts.
  TF_RETURN_IF_ERROR(s.scheduler->Every("jobs.purge_succeeded", std::chrono::hours(1), [&s, &clock]() -> absl::Status {
    return s.queue->PurgeSucceeded(clock.Now() - std::chrono::hours(24 * 7)).status();
  }));

  s.context = std::unique_ptr<ModuleContext>(new ModuleContext{
      s.config, *s.db, clock, rng, s.metrics, s.router, *s.scheduler, *s.queue, s.health_checks, nullptr, nullptr, nullptr, nullptr, {},
      s.instance_id, nullptr});
  s.modules = BuiltinModules();
  for (auto& module : s.modules) {
    absl::Status registered = module->Register(*s.context);
    if (!registered.ok()) {
      return absl::Status(registered.code(), StrCat("module ", module->name(), ": ", registered.message()));
    }
  }
  if (s.context->authenticator == nullptr) return absl::InternalError("no module provides authentication");
  if (s.context->audit == nullptr) return absl::InternalError("no module provides the audit trail");

  s.pipeline = std::make_unique<http::Pipeline>(s.router, FastRng::Instance());
  s.pipeline->Use(std::make_unique<http::MetricsMiddleware>(s.metrics));
  s.pipeline->Use(std::make_unique<http::AccessLogMiddleware>(s.config.log.access_log));
  auto audit_middleware = std::make_unique<audit::AuditMiddleware>(*s.context->audit, s.config.audit.fail_open_reads,
                                                                   s.context->personal_data);
  s.audit_middleware = audit_middleware.get();
  s.pipeline->Use(std::move(audit_middleware));
  s.pipeline->Use(std::make_unique<http::LimitsMiddleware>());
  s.pipeline->Use(std::make_unique<http::AuthenticationMiddleware>(*s.context->authenticator));
  s.pipeline->Use(std::make_unique<http::TenantMiddleware>());
  s.pipeline->Use(std::make_unique<http::PermissionMiddleware>());
  return std::unique_ptr<App>(new App(std::move(impl)));
}

absl::Status App::Start() {
  Impl& s = *impl_;
  const ServerConfig& sc = s.config.server;
  http::ServerOptions o;
  TF_RETURN_IF_ERROR(ParseListen(sc.listen, &o.host, &o.port));
  o.io_threads = sc.io_threads > 0 ? sc.io_threads : Cores();
  // Sixteen per core: audited requests park their worker until their record's group commit,
  // and more of them waiting make fuller batches (docs/benchmarks.md: 8 -> 32 workers took
  // audited requests from 3,704 to 5,126 per second on two cores).
  o.worker_threads = sc.worker_threads > 0 ? sc.worker_threads : 16 * Cores();
  o.max_connections = sc.max_connections;
  o.header_limit_bytes = static_cast<uint32_t>(sc.header_limit_bytes);
  o.body_limit_bytes = static_cast<uint64_t>(sc.body_limit_bytes);
  o.header_timeout = std::chrono::milliseconds(sc.header_timeout_ms);
  o.body_timeout = std::chrono::milliseconds(sc.body_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(sc.idle_timeout_ms);
  o.tls_cert_file = sc.tls_cert_file;
  o.tls_key_file = sc.tls_key_file;
  o.on_refused = [&s](const http::RefusedRequest& refused) {
    s.audit_middleware->RecordRefused(refused, s.router.Match(refused.method, refused.path).route);
  };
  s.server = std::make_unique<http::Server>(
      o, [&s](http::Request request) { return s.pipeline->Dispatch(std::move(request)); },
      http::Server::RoutePolicyFn([&s](std::string_view method, std::string_view path) {
        http::RouteMatch match = s.router.Match(method, path);
        if (!match.route) return http::RoutePolicy{0, true};  // 404/405 answers never block
        // Public non-blocking routes skip the worker pool; authenticated ones read the store.
        bool inline_ok = match.route->non_blocking && match.route->access.kind == Access::Kind::kPublic;
        return http::RoutePolicy{match.route->body_limit, inline_ok};
      }));
  TF_RETURN_IF_ERROR(s.server->Start());
  http::Server* server = s.server.get();
  s.context->server_stats = [server]() -> nlohmann::json {
    http::ServerStats st = server->Stats();
    return {{"connections", st.connections}, {"in_flight", st.in_flight},
            {"io_threads", st.io_threads},   {"worker_threads", st.worker_threads}};
  };
  jobs::RunnerOptions runner_options;
  runner_options.on_error = [](const absl::Status& error) {
    log::Error("background job poll failed", {{"error", error.ToString()}});
  };
  runner_options.scheduler_lease = s.scheduler_lease.get();
  s.runner = std::make_unique<jobs::Runner>(s.scheduler.get(), s.queue.get(), runner_options);
  TF_RETURN_IF_ERROR(s.runner->Start());
  s.running = true;
  log::Info("trustd listening", {{"address", StrCat(o.host, ":", s.server->port())},
                                 {"tls", !o.tls_cert_file.empty()},
                                 {"database", s.db->Describe()}});
  return absl::OkStatus();
}

void App::Shutdown() {
  Impl& s = *impl_;
  if (!s.running) return;
  s.running = false;
  log::Info("shutting down: draining in-flight requests",
            {{"grace_ms", s.config.server.shutdown_grace_ms}});
  s.server->Shutdown(std::chrono::milliseconds(s.config.server.shutdown_grace_ms));
  s.context->server_stats = nullptr;
  s.runner->Stop();
  log::Info("shutdown complete");
  log::Flush();
}

uint16_t App::port() const { return impl_->server ? impl_->server->port() : 0; }

store::Database& App::db() { return *impl_->db; }

const http::Router& App::router() const { return impl_->router; }

}  // namespace tf
