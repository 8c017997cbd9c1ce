#include "modules/monitoring/monitoring_module.h"
#include "core/strings.h"

#include <sys/statvfs.h>

#include <chrono>
#include <limits>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/build_info.h"
#include "core/status.h"
#include "core/time_format.h"
#include "jobs/lease.h"
#include "store/migrator.h"

namespace tf::monitoring {

namespace {

using http::RequestContext;
using http::Response;
using nlohmann::json;

constexpr double kMinFreeDiskFraction = 0.02;

absl::Status CheckDatabase(store::Database& db, json& details) {
  auto start = std::chrono::steady_clock::now();
  absl::Status ping = db.Ping();
  details["backend"] = db.dialect() == store::Dialect::kSqlite ? "sqlite" : "postgresql";
  details["latency_ms"] =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  store::DatabaseStats stats = db.Stats();
  if (stats.pool_max >= 0) {
    details["pool"] = {{"open", stats.pool_open}, {"in_use", stats.pool_in_use}, {"max", stats.pool_max}};
  }
  if (stats.replica_configured) {
    details["replica"] = {{"serving_reads", stats.replica_in_use},
                          {"lag_ms", stats.replica_lag_ms},
                          {"problem", stats.replica_problem}};
  }
  if (!ping.ok()) return absl::UnavailableError("the database does not answer");
  auto migrations = store::GetMigrationStatus(db, store::BuiltinMigrations());
  if (migrations.ok()) {
    details["schema_version"] = migrations->current_version;
    details["schema_latest"] = migrations->latest_version;
  }
  return absl::OkStatus();
}

absl::Status CheckDisk(const std::string& dir, json& details) {
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) != 0) return absl::UnavailableError("cannot read the data directory's file system");
  double total = static_cast<double>(fs.f_blocks) * fs.f_frsize;
  double free = static_cast<double>(fs.f_bavail) * fs.f_frsize;
  details["free_bytes"] = free;
  details["total_bytes"] = total;
  if (total > 0 && free / total < kMinFreeDiskFraction) {
    return absl::UnavailableError(StrCat("less than ", kMinFreeDiskFraction * 100, "% disk space free"));
  }
  return absl::OkStatus();
}

//! Runs the checks; `ready` is false when a required one fails.
json RunChecks(const std::vector<HealthCheck>& checks, bool only_ready, bool* ready) {
  json out = json::object();
  *ready = true;
  for (const HealthCheck& c : checks) {
    if (only_ready && !c.required_for_ready) continue;
    json details = json::object();
    absl::Status s = c.check(details);
    details["status"] = s.ok() ? "ok" : "failing";
    if (!s.ok()) details["error"] = std::string(s.message());
    if (!s.ok() && c.required_for_ready) *ready = false;
    out[c.name] = details;
  }
  return out;
}

}  // namespace

absl::Status MonitoringModule::Register(ModuleContext& ctx) {
  metrics::Registry& registry = ctx.metrics;
  metrics::RegisterProcessMetrics(registry);
  registry.AddGauge("trustd_build_info", "Build of the running trustd (value is always 1).", {"version", "commit"})
      .WithLabels({build::kVersion, build::kGitCommit})
      .Set(1);
  auto& query_seconds = registry.AddHistogram("store_query_duration_seconds", "Time per database statement.").Get();
  ctx.db.SetQueryObserver([&query_seconds](double seconds) { query_seconds.Observe(seconds); });
  if (ctx.db.Stats().pool_max >= 0) {  // PostgreSQL: the pool (and replica) of this instance
    store::Database& pooled = ctx.db;
    registry.AddCallbackGauge("store_pool_connections", "Database connections this trustd holds open.",
                              [&pooled] { return static_cast<double>(pooled.Stats().pool_open); });
    registry.AddCallbackGauge("store_pool_connections_in_use", "Database connections in use by a transaction.",
                              [&pooled] { return static_cast<double>(pooled.Stats().pool_in_use); });
    if (ctx.db.Stats().replica_configured) {
      registry.AddCallbackGauge("store_replica_serving_reads",
                                "1 while list queries go to the read replica, 0 while they go to the primary.",
                                [&pooled] { return pooled.Stats().replica_in_use ? 1.0 : 0.0; });
    }
  }

  jobs::JobQueue& queue = ctx.jobs;
  // One Stats() query serves all four gauges of a scrape: a snapshot is reused for a second.
  struct JobSnapshot {
    std::mutex mu;
    std::chrono::steady_clock::time_point taken;
    absl::StatusOr<jobs::QueueStats> stats = absl::UnavailableError("not read yet");
  };
  auto snapshot = std::make_shared<JobSnapshot>();
  auto stats = [&queue, snapshot](auto field) {
    return [&queue, snapshot, field]() -> double {
      std::lock_guard lock(snapshot->mu);
      auto now = std::chrono::steady_clock::now();
      if (!snapshot->stats.ok() || now - snapshot->taken > std::chrono::seconds(1)) {
        snapshot->stats = queue.Stats();
        snapshot->taken = now;
      }
      const auto& s = snapshot->stats;
      return s.ok() ? static_cast<double>((*s).*field) : std::numeric_limits<double>::quiet_NaN();
    };
  };
  registry.AddCallbackGauge("jobs_queued", "Jobs waiting to run.", stats(&jobs::QueueStats::queued));
  registry.AddCallbackGauge("jobs_running", "Jobs being run.", stats(&jobs::QueueStats::running));
  registry.AddCallbackGauge("jobs_dead", "Jobs in the dead-letter state.", stats(&jobs::QueueStats::dead));
  registry.AddCallbackGauge("jobs_oldest_due_age_seconds", "Age of the oldest job that is due and waiting.",
                            stats(&jobs::QueueStats::oldest_due_age_seconds));

  store::Database& db = ctx.db;
  std::string data_dir = ctx.config.data_dir;
  ctx.health_checks.push_back({"database", true, [&db](json& d) { return CheckDatabase(db, d); }});
  ctx.health_checks.push_back({"disk", true, [data_dir](json& d) { return CheckDisk(data_dir, d); }});

  const Clock& clock = ctx.clock;
  auto started = clock.Steady();
  std::vector<HealthCheck>& checks = ctx.health_checks;
  jobs::Scheduler& scheduler = ctx.scheduler;
  std::function<json()>& server_stats = ctx.server_stats;
  std::string instance = ctx.instance_id;

  ctx.router.Add({"GET", "/health", Access::Public(),
                  [](RequestContext&) -> absl::StatusOr<Response> {
                    return Response::Text(200, R"({"status":"ok"})", "application/json");
                  },
                  0, /*non_blocking=*/true});

  ctx.router.Add({"GET", "/health/ready", Access::Public(), [&checks](RequestContext&) -> absl::StatusOr<Response> {
                    bool ready = false;
                    json results = RunChecks(checks, true, &ready);
                    return Response::Json(ready ? 200 : 503,
                                          {{"status", ready ? "ready" : "unready"}, {"checks", results}});
                  }});

  ctx.router.Add({"GET", "/health/database", Access::Public(), [&db](RequestContext&) -> absl::StatusOr<Response> {
                    json details = json::object();
                    absl::Status s = CheckDatabase(db, details);
                    details["status"] = s.ok() ? "ok" : "failing";
                    return Response::Json(s.ok() ? 200 : 503, details);
                  }});

  ctx.router.Add({"GET", "/health/detailed", Access::Requires(Permission::kSystemHealth),
                  [&checks, &clock, started, &scheduler, &queue, &server_stats, &db, instance](RequestContext&)
                      -> absl::StatusOr<Response> {
                    bool ready = false;
                    json results = RunChecks(checks, false, &ready);
                    json tasks = json::array();
                    for (const jobs::TaskStatus& t : scheduler.Tasks()) {
                      tasks.push_back({{"name", t.name},
                                       {"schedule", t.schedule},
                                       {"next_run", FormatRfc3339(t.next_run)},
                                       {"last_run", t.last_run ? json(FormatRfc3339(*t.last_run)) : json(nullptr)},
                                       {"last_error", t.last_error},
                                       {"runs", t.runs},
                                       {"failures", t.failures}});
                    }
                    json job_stats = json::object();
                    if (auto s = queue.Stats(); s.ok()) {
                      job_stats = {{"queued", s->queued}, {"running", s->running}, {"succeeded", s->succeeded},
                                   {"dead", s->dead}, {"due", s->due},
                                   {"oldest_due_age_seconds", s->oldest_due_age_seconds}};
                    }
                    // Who runs the work that must run once, among the instances on this database.
                    json leases = json::array();
                    if (auto held = jobs::ListLeases(db); held.ok()) {
                      for (const jobs::LeaseRecord& l : *held) {
                        leases.push_back({{"name", l.name},
                                          {"holder", l.holder},
                                          {"held_by_this_instance", l.holder == instance},
                                          {"acquired_at", FormatRfc3339(l.acquired_at)},
                                          {"renewed_at", FormatRfc3339(l.renewed_at)},
                                          {"expires_at", FormatRfc3339(l.expires_at)},
                                          {"expired", l.expires_at <= clock.Now()}});
                      }
                    }
                    double uptime = std::chrono::duration<double>(clock.Steady() - started).count();
                    return Response::Json(
                        200, {{"status", ready ? "ready" : "unready"},
                              {"version", build::kVersion},
                              {"commit", build::kGitCommit},
                              {"uptime_seconds", uptime},
                              {"instance", instance},
                              {"leases", leases},
                              {"checks", results},
                              {"server", server_stats ? server_stats() : json(nullptr)},
                              {"scheduler", tasks},
                              {"jobs", job_stats}});
                  }});

  ctx.router.Add({"GET", "/metrics", Access::Public(), [&registry](RequestContext&) -> absl::StatusOr<Response> {
                    return Response::Text(200, registry.Render(), "text/plain; version=0.0.4; charset=utf-8");
                  }});
  return absl::OkStatus();
}

}  // namespace tf::monitoring
