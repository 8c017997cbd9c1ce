// Detection over the audit trail on SQLite, with the shipped rule set.
//  1. Throughput: N records (default 1,000,000) of a realistic mix (mostly reads; failed
//     sign-ins, denied requests, privileged changes, second factors removed, new devices) in
//     the audit trail and its tree; then the same batches read without evaluation (the store's
//     part, the peer) and evaluated by the Detector, in one run. Prints records/s of both and
//     their ratio, and the events raised.
//  2. Latency under load: records appended at a steady rate from several threads while the tree
//     builder and the detector run every second, as in trustd; bursts of six failed sign-ins
//     injected now and then; the time from each burst's sixth failure to its event.
//
//   build/bench/bench_security_detect [--records N] [--rate R] [--seconds S] [--dir DIR]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "core/signed_note.h"
#include "modules/audit/audit_log.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/audit_repo.h"
#include "modules/audit/tree_builder.h"
#include "modules/security/detector.h"
#include "modules/security/event_service.h"
#include "store/migrator.h"
#include "store/open.h"

namespace {

using Steady = std::chrono::steady_clock;
using tf::audit::AuditRecord;

constexpr int kTenants = 20;
constexpr int kUsersPerTenant = 50;

double Seconds(Steady::time_point since) { return std::chrono::duration<double>(Steady::now() - since).count(); }

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

std::string TenantId(int t) { return absl::StrFormat("0190f000-0000-7000-8000-%012d", t); }
std::string UserId(int t, int u) { return absl::StrFormat("0190f000-0000-7000-9000-%06d%06d", t, u); }

struct Env {
  std::unique_ptr<tf::store::Database> db;
  tf::metrics::Registry metrics;
  std::unique_ptr<tf::audit::AuditLog> log;
  std::optional<tf::note::Signer> signer;
  std::unique_ptr<tf::audit::TreeBuilder> builder;
  std::unique_ptr<tf::security::EventService> events;
  std::vector<tf::security::DetectionRule> rules;
};

std::unique_ptr<Env> Open(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto env = std::make_unique<Env>();
  tf::DatabaseConfig config;
  auto db = tf::store::OpenDatabase(config, dir);
  Check(db.status(), "open");
  env->db = std::move(*db);
  Check(tf::store::ApplyMigrations(*env->db, tf::SystemClock::Instance(), tf::store::BuiltinMigrations()).status(),
        "migrate");
  env->signer.emplace(tf::note::Signer::Generate("bench.local/audit").value());
  Check(env->db->InTx(tf::store::WriteTx(), [&](tf::store::Transaction& tx) -> absl::Status {
    for (int t = 0; t <= kTenants; ++t) {
      auto r = tx.Exec("INSERT INTO tenants (id, slug, name, data_region, status, created_at, updated_at) "
                       "VALUES (?, ?, 'Tenant', 'eu', 'active', 0, 0)",
                       {TenantId(t), t == 0 ? std::string("system") : absl::StrFormat("tenant-%d", t)});
      if (!r.ok()) return r.status();
    }
    const tf::note::Verifier& v = env->signer->verifier();
    return tf::audit::AuditRepo().InsertKeyIfAbsent(
        tx, {absl::StrFormat("%08x", v.key_id()), v.name(), tf::crypto::Base64Encode(v.public_key()), v.KeyString(), 0});
  }), "tenants");
  env->log = std::make_unique<tf::audit::AuditLog>(*env->db, tf::SystemClock::Instance(), env->metrics);
  env->builder = std::make_unique<tf::audit::TreeBuilder>(
      *env->db, tf::SystemClock::Instance(), *env->signer,
      tf::audit::CheckpointPolicy{"bench.local/audit", 1 << 30, std::chrono::hours(1)}, env->metrics);
  env->events = std::make_unique<tf::security::EventService>(*env->db, *env->log, tf::SystemClock::Instance(),
                                                             tf::SystemRng::Instance());
  auto rules = tf::security::ParseRules(tf::security::DefaultRulesYaml());
  Check(rules.status(), "rules");
  env->rules = std::move(*rules);
  return env;
}

//! Record `i` of the mix: 1 in 200 a failed sign-in, 1 in 100 denied, 1 in 500 a privileged
//! change, 1 in 5,000 a second factor removed or a new device; reads otherwise.
AuditRecord Mixed(tf::audit::AuditLog& log, uint64_t i) {
  uint64_t h = i * 0x9E3779B97F4A7C15ULL;
  int tenant = 1 + static_cast<int>(h % kTenants);
  int user = static_cast<int>((h >> 20) % kUsersPerTenant);
  tf::audit::Actor actor{"user", UserId(tenant, user), UserId(tenant, user), std::nullopt};
  AuditRecord r = log.NewRecord("request", actor);
  r.tenant_id = TenantId(tenant);
  r.source_ip = absl::StrFormat("10.%d.%d.%d", tenant, user, static_cast<int>((h >> 40) % 250));
  r.user_agent = "bench";
  r.method = "GET";
  r.route = "/api/users";
  r.path = "/api/users";
  r.action = "READ";
  r.status = 200;
  r.outcome = "success";
  tf::audit::SetDetails(r, nlohmann::json::object());
  uint64_t pick = (h >> 8) % 10000;
  auto event = [&](const char* type, const char* action, std::string outcome) {
    r.kind = "event";
    r.event_type = type;
    r.action = action;
    r.resource_type = "users";
    r.resource_id = UserId(tenant, (user + 1) % kUsersPerTenant);
    r.method = r.route = r.path = std::nullopt;
    r.status = std::nullopt;
    r.outcome = std::move(outcome);
  };
  if (pick < 50) {
    event("login_failed", "LOGIN", "failure");
    r.actor_type = "anonymous";
    r.actor_id = r.actor_user_id = std::nullopt;
  } else if (pick < 150) {
    r.status = 403;
    r.outcome = "denied";
  } else if (pick < 170) {
    event("user.updated", "UPDATE", "success");
  } else if (pick < 172) {
    event("mfa_disabled", "DELETE", "success");
  } else if (pick < 174) {
    event("device_new", "CREATE", "success");
  }
  return r;
}

void Fill(Env& env, int64_t records) {
  tf::audit::AuditRepo repo;
  Steady::time_point start = Steady::now();
  constexpr int kBatch = 5000;
  for (int64_t done = 0; done < records;) {
    std::vector<AuditRecord> batch;
    for (int i = 0; i < kBatch && done + i < records; ++i) batch.push_back(Mixed(*env.log, static_cast<uint64_t>(done + i)));
    Check(env.db->InTx(tf::store::WriteTx(), [&](tf::store::Transaction& tx) { return repo.Append(tx, batch); }),
          "append");
    done += static_cast<int64_t>(batch.size());
  }
  std::printf("filled %lld records in %.1f s\n", static_cast<long long>(records), Seconds(start));
  start = Steady::now();
  for (;;) {
    auto built = env.builder->Run();
    Check(built.status(), "tree");
    if (built->leaves_added == 0) break;
  }
  std::printf("tree built in %.1f s\n", Seconds(start));
}

void Throughput(Env& env, tf::security::Detector& detector, int64_t records) {
  tf::audit::AuditRepo repo;
  Steady::time_point start = Steady::now();
  int64_t read = 0;
  for (int64_t from = 0; from < records; from += tf::security::Detector::kBatch) {
    auto batch = env.db->InTx(tf::store::ReadTx(), [&](tf::store::Transaction& tx) {
      return repo.Range(tx, from, tf::security::Detector::kBatch);
    });
    Check(batch.status(), "read");
    read += static_cast<int64_t>(batch->size());
  }
  double read_s = Seconds(start);

  start = Steady::now();
  auto result = detector.Run(records * 2);
  Check(result.status(), "detect");
  double detect_s = Seconds(start);
  std::printf("\nthroughput (%zu rules)\n", env.rules.size());
  std::printf("  read only (peer)   %10.0f records/s  (%lld records, %.2f s)\n", static_cast<double>(read) / read_s,
              static_cast<long long>(read), read_s);
  std::printf("  read + evaluate    %10.0f records/s  (%lld records, %.2f s)\n",
              static_cast<double>(result->evaluated) / detect_s, static_cast<long long>(result->evaluated), detect_s);
  std::printf("  ratio              %10.2f of the read-only rate\n", read_s / detect_s);
  std::printf("  events             %lld raised, %lld added to\n", static_cast<long long>(result->raised),
              static_cast<long long>(result->added));
}

void Latency(Env& env, tf::security::Detector& detector, int rate, int seconds) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> appended{0};
  std::vector<std::thread> threads;
  constexpr int kWriters = 4;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      uint64_t i = 10'000'000'000ULL + static_cast<uint64_t>(w) * 1'000'000'000ULL;
      Steady::time_point next = Steady::now();
      auto period = std::chrono::microseconds(1'000'000 * kWriters / std::max(1, rate));
      while (!stop) {
        Check(env.log->AppendDurable(Mixed(*env.log, i++)), "append");
        appended.fetch_add(1);
        next += period;
        std::this_thread::sleep_until(next);
      }
    });
  }
  threads.emplace_back([&] {  // trustd's scheduler: the tree builder, then detection, every second
    while (!stop) {
      Steady::time_point tick = Steady::now();
      Check(env.builder->Run().status(), "tree");
      Check(detector.Run().status(), "detect");
      std::this_thread::sleep_until(tick + std::chrono::seconds(1));
    }
  });

  std::vector<double> latencies;
  Steady::time_point end = Steady::now() + std::chrono::seconds(seconds);
  for (int burst = 0; Steady::now() < end; ++burst) {
    std::string victim = absl::StrFormat("0190f000-0000-7000-a000-%012d", burst);
    for (int k = 0; k < 6; ++k) {
      tf::audit::RequestInfo info{"req", "", "POST", "/api/auth/login", "/api/auth/login",
                                  absl::StrFormat("192.0.2.%d", k), "bench"};
      tf::audit::RequestScope scope(info);
      Check(env.db->InTx(tf::store::WriteTx(), [&](tf::store::Transaction& tx) {
        return env.log->RecordEvent(tx, TenantId(1), tf::audit::Actor{},
                                    {"login_failed", "LOGIN", std::string("users"), victim, {}, "failure"});
      }), "burst");
    }
    Steady::time_point sixth = Steady::now();
    tf::security::EventFilter f;
    f.rule = "failed_logins";
    f.limit = 5;
    tf::Principal reader;
    reader.tenant_id = TenantId(1);
    reader.permissions.set(static_cast<size_t>(tf::Permission::kSecurityRead));
    bool seen = false;
    while (!seen && Seconds(sixth) < 30) {
      auto list = env.events->List(reader, f);
      Check(list.status(), "list");
      for (const auto& e : *list) seen = seen || e.dedup_key == "resource_id=" + victim;
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!seen) {
      std::fprintf(stderr, "burst %d: no event within 30 s\n", burst);
      std::exit(1);
    }
    latencies.push_back(Seconds(sixth));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  stop = true;
  for (auto& t : threads) t.join();
  std::printf("\nlatency under load (%d records/s offered, %lld appended in %d s, %zu bursts)\n", rate,
              static_cast<long long>(appended.load()), seconds, latencies.size());
  std::printf("  sixth failure -> event   p50 %.2f s   p99 %.2f s   max %.2f s  (target under 10 s)\n",
              Percentile(latencies, 0.5), Percentile(latencies, 0.99), Percentile(latencies, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  int64_t records = 1'000'000;
  int rate = 2000;
  int seconds = 30;
  std::string dir = "build/bench-security";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records")) records = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rate")) rate = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  Check(tf::crypto::InitCrypto(), "crypto");
  Check(tf::log::Init(tf::LogOptions{tf::LogLevel::kWarn, ""}), "log");  // not a line per raised event
  std::unique_ptr<Env> env = Open(dir);
  Fill(*env, records);
  tf::security::Detector detector(*env->db, env->rules, *env->events, tf::SystemClock::Instance(), env->metrics);
  Throughput(*env, detector, records);
  Latency(*env, detector, rate, seconds);
  return 0;
}
