// Durable audit appends on SQLite: the same records written by the same group commit from the
// same threads, as plain inserts (redacted details, but no canonical JSON, no hashes, no tree)
// and through AuditLog with the tree builder running beside it, as in trustd, in alternating
// rounds on fresh databases. Prints each round's appends per second and append-to-durable p99,
// the median ratio of plain to audited, where the CPU went, the time for the tree to cover every
// record, the speed of `trustctl audit verify` over the last trail, and that of an export of it
// (GET /api/audit/export) and its offline verification (trustctl audit verify --bundle).
//
//   build/bench/bench_audit_append [--records N] [--rounds R] [--threads T] [--in-flight N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <time.h>
#include <unistd.h>
#include <string>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/redact.h"
#include "core/signed_note.h"
#include "modules/audit/audit_export.h"
#include "modules/audit/audit_log.h"
#include "modules/audit/audit_record.h"
#include "modules/audit/bundle_verifier.h"
#include "modules/audit/trail_verifier.h"
#include "modules/audit/tree_builder.h"
#include "store/group_commit.h"
#include "store/migrator.h"
#include "store/open.h"

namespace {

using Clock = std::chrono::steady_clock;
using tf::audit::AuditRecord;

double ThisThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

//! CPU seconds of this process's live threads called `name` (the group commit's writer and
//! SQLite's checkpointer name theirs), from /proc/self/task/*/stat, and the bytes they have
//! passed to write(2) and pwrite(2) (`wchar` in /proc/self/task/*/io).
struct ThreadTotals {
  double cpu_seconds = 0;
  double written_bytes = 0;
};
ThreadTotals NamedThreads(std::string_view name) {
  ThreadTotals totals;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string comm, stat, io;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    std::getline(std::ifstream(task.path() / "stat"), stat);
    if (comm != name || stat.rfind(')') == std::string::npos) continue;
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // from field 3, the state
    std::string field;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) {  // utime, stime
        totals.cpu_seconds += std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
      }
    }
    std::ifstream counters(task.path() / "io");
    while (std::getline(counters, io)) {
      if (io.rfind("wchar: ", 0) == 0) totals.written_bytes += std::stod(io.substr(7));
    }
  }
  return totals;
}

//! Where a phase's CPU went, in seconds.
struct Cpu {
  double producers = 0, writer = 0, checkpointer = 0, builder = 0;
  double writer_bytes = 0;  //!< written by the writer (the WAL's frames)
  double Total() const { return producers + writer + checkpointer + builder; }
};

struct Run {
  double seconds = 0;
  Cpu cpu;
  std::vector<double> latencies_ms;
};

struct Phase {
  Run run;
  double batch_size = 0;  //!< records a group commit on average (plain inserts)
  double covered = 0;     //!< seconds until a checkpoint covers every record (audit trail)
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::unique_ptr<tf::store::Database> FreshDatabase(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  tf::DatabaseConfig config;
  auto db = tf::store::OpenDatabase(config, dir);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    std::exit(1);
  }
  auto applied = tf::store::ApplyMigrations(**db, tf::SystemClock::Instance(), tf::store::BuiltinMigrations());
  if (!applied.ok()) std::exit(1);
  return std::move(*db);
}

//! A request record as the middleware makes one (query parameters as details).
AuditRecord Request(int thread, int i) {
  AuditRecord r;
  r.id = "0190f000-0000-7000-8000-" + std::to_string(1000000000000LL + thread * 10000000LL + i);
  r.time = tf::SystemClock::Instance().NowMicros();
  r.tenant_id = "0190f000-0000-7000-8000-00000000000a";
  r.kind = "request";
  r.actor_type = "user";
  r.actor_id = r.actor_user_id = "0190f000-0000-7000-8000-0000000000ff";
  r.action = "READ";
  r.resource_type = "users";
  r.method = "GET";
  r.route = "/api/users";
  r.path = "/api/users";
  r.status = 200;
  r.outcome = "success";
  r.source_ip = "10.0.0." + std::to_string(thread);
  r.user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";
  r.request_id = std::to_string(i);
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  return r;
}

nlohmann::json Details(int i) { return {{"query", {{"limit", "50"}, {"page", std::to_string(i)}}}}; }

//! At most `size` appends in flight: a producer parks (never spins) while the window is full,
//! as a request thread waits for its record, and a commit's callback frees a place.
class Window {
 public:
  explicit Window(int size) : free_(size) {}
  void Acquire() {
    std::unique_lock lock(mu_);
    freed_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  void Release() {
    std::lock_guard lock(mu_);
    if (free_++ == 0) freed_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable freed_;
  int free_;
};

//! `producers` threads each keep up to `in_flight / producers` appends waiting for their
//! commit, as requests in flight do: `append(producer, i, done)` queues record i and calls
//! `done` once it is durable. Latency is from the append to its `done`.
template <typename Append>
Run Drive(int producers, int in_flight, int per_producer, Append append) {
  Run run;
  std::vector<std::vector<double>> lat(static_cast<size_t>(producers));
  auto start = Clock::now();
  ThreadTotals writer_start = NamedThreads("group-commit");
  double checkpointer_start = NamedThreads("sqlite-ckpt").cpu_seconds;
  std::atomic<double> producers_cpu{0};
  std::vector<std::thread> pool;
  for (int p = 0; p < producers; ++p) {
    pool.emplace_back([&, p] {
      pthread_setname_np(pthread_self(), "producer");
      std::vector<double>& mine = lat[static_cast<size_t>(p)];
      mine.resize(static_cast<size_t>(per_producer));
      Window window(std::max(1, in_flight / producers));
      std::atomic<int> pending{0};
      for (int i = 0; i < per_producer; ++i) {
        window.Acquire();
        ++pending;
        auto a = Clock::now();
        absl::Status queued = append(p, i, [&, i, a](const absl::Status& status) {
          if (!status.ok()) std::abort();
          mine[static_cast<size_t>(i)] = std::chrono::duration<double, std::milli>(Clock::now() - a).count();
          window.Release();
          --pending;  // last: the producer may return once it reads 0
        });
        if (!queued.ok()) std::abort();
      }
      while (pending.load() > 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
      producers_cpu += ThisThreadCpuSeconds();
    });
  }
  for (auto& th : pool) th.join();
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.cpu.producers = producers_cpu;
  ThreadTotals writer_end = NamedThreads("group-commit");
  run.cpu.writer = writer_end.cpu_seconds - writer_start.cpu_seconds;
  run.cpu.writer_bytes = writer_end.written_bytes - writer_start.written_bytes;
  run.cpu.checkpointer = NamedThreads("sqlite-ckpt").cpu_seconds - checkpointer_start;
  for (auto& v : lat) run.latencies_ms.insert(run.latencies_ms.end(), v.begin(), v.end());
  return run;
}

//! Plain inserts of the same rows through the same group commit: details redacted as the trail
//! keeps them, but no canonical JSON, no SHA-256 and no tree.
Phase PlainRound(const std::string& dir, int threads, int in_flight, int per_thread) {
  auto db = FreshDatabase(dir);
  if (!db->InTx(tf::store::WriteTx(), [](tf::store::Transaction& tx) {
        return tx.ExecScript("DROP TRIGGER audit_records_immutable; DROP TRIGGER audit_records_no_delete;");
      }).ok()) {
    std::exit(1);
  }
  int64_t next_index = 0;
  std::atomic<int64_t> batches{0}, items{0};
  tf::store::GroupCommit<AuditRecord> plain(
      *db,
      [&next_index](tf::store::Transaction& tx, std::vector<AuditRecord>& batch) -> absl::Status {
        for (AuditRecord& r : batch) {
          auto done = tx.Exec(
              "INSERT INTO audit_records (leaf_index, id, tenant_id, time, kind, actor_type, actor_id, actor_user_id, "
              "action, resource_type, method, route, path, status, outcome, source_ip, user_agent, request_id, "
              "trace_id, details, details_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
              {next_index++, r.id, *r.tenant_id, r.time, r.kind, r.actor_type, *r.actor_id, *r.actor_user_id, r.action,
               *r.resource_type, *r.method, *r.route, *r.path, *r.status, r.outcome, *r.source_ip, *r.user_agent,
               *r.request_id, *r.trace_id, *r.details});
          if (!done.ok()) return done.status();
        }
        return absl::OkStatus();
      },
      tf::audit::AuditLog::kMaxBatch, [&](const std::vector<AuditRecord>& batch, const absl::Status&) {
        ++batches;
        items += static_cast<int64_t>(batch.size());
      });
  Phase phase;
  phase.run = Drive(threads, in_flight, per_thread, [&](int t, int i, auto done) {
    AuditRecord r = Request(t, i);
    r.details = tf::RedactJson(Details(i)).dump();
    return plain.SubmitAsync(std::move(r), std::move(done));
  });
  phase.batch_size = static_cast<double>(items) / static_cast<double>(std::max<int64_t>(1, batches));
  return phase;
}

//! AuditLog's appends with the tree builder running beside them, as in trustd. `covered` is
//! the time from the first append until a checkpoint covers every record.
Phase AuditedRound(tf::store::Database& db, const tf::note::Signer& signer, int threads, int in_flight,
                   int per_thread) {
  const int records = threads * per_thread;
  tf::metrics::Registry metrics;
  tf::audit::AuditLog log(db, tf::SystemClock::Instance(), metrics);
  const tf::note::Verifier& key = signer.verifier();
  if (!db.InTx(tf::store::WriteTx(), [&](tf::store::Transaction& tx) {
        return tf::audit::AuditRepo().InsertKeyIfAbsent(
            tx, {absl::StrFormat("%08x", key.key_id()), key.name(), tf::crypto::Base64Encode(key.public_key()),
                 key.KeyString(), 0});
      }).ok()) {
    std::exit(1);
  }
  tf::audit::TreeBuilder builder(db, tf::SystemClock::Instance(), signer, {signer.name()}, metrics,
                                 &log.leaf_feed());
  std::atomic<bool> appending{true};
  Clock::time_point covered_at;
  double builder_cpu = 0;
  std::thread build([&] {
    pthread_setname_np(pthread_self(), "tree-builder");
    while (true) {
      auto built = builder.Run();
      if (!built.ok()) {
        std::fprintf(stderr, "build: %s\n", built.status().ToString().c_str());
        std::abort();
      }
      if (!appending && built->tree_size == records) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    covered_at = Clock::now();
    builder_cpu = ThisThreadCpuSeconds();
  });
  auto start = Clock::now();
  Phase phase;
  phase.run = Drive(threads, in_flight, per_thread, [&](int t, int i, auto done) {
    AuditRecord r = Request(t, i);
    tf::audit::SetDetails(r, Details(i));
    return log.AppendAsync(std::move(r), std::move(done));
  });
  appending = false;
  build.join();
  phase.run.cpu.builder = builder_cpu;
  phase.covered = std::chrono::duration<double>(covered_at - start).count();
  return phase;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int records = 100000, threads = 2, in_flight = 128, rounds = 9;
  if (argc > 1 && std::string_view(argv[1]) == "--help") {
    std::printf("usage: bench_audit_append [--records N] [--rounds R] [--threads T] [--in-flight N]\n"
                "Durable audit appends against plain inserts of the same rows (docs/benchmarks.md).\n"
                "  --records N    records a round (100000)\n  --rounds R     rounds of each (9)\n"
                "  --threads T    producer threads (2)\n  --in-flight N  appends waiting for their commit (128)\n");
    return 0;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--records") records = std::atoi(argv[i + 1]);
    else if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    else if (flag == "--in-flight") in_flight = std::atoi(argv[i + 1]);
    else if (flag == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  if (!tf::crypto::InitCrypto().ok()) return 1;
  int per_thread = records / threads;
  records = per_thread * threads;
  std::string base = (std::filesystem::temp_directory_path() / "tf-bench-audit").string();
  tf::note::Signer signer = tf::note::Signer::Generate("bench.local/audit").value();
  const tf::note::Verifier& key = signer.verifier();

  // 1-2. Rounds of plain inserts and of the audit trail, each into a fresh database, in the
  //      order plain, audited, audited, plain, ... so that a drift in the machine's speed
  //      weighs on both alike. The last audited trail is kept for the checks below.
  std::vector<Phase> plain_rounds, audited_rounds;
  std::unique_ptr<tf::store::Database> db;
  for (int round = 0; round < rounds; ++round) {
    for (int half = 0; half < 2; ++half) {
      if ((half == 0) == (round % 2 == 0)) {
        plain_rounds.push_back(PlainRound(base + "/plain", threads, in_flight, per_thread));
      } else {
        db.reset();
        db = FreshDatabase(base + "/audited");
        audited_rounds.push_back(AuditedRound(*db, signer, threads, in_flight, per_thread));
      }
    }
  }

  // 3. The whole trail verified as trustctl audit verify does.
  auto verify_start = Clock::now();
  auto report = tf::audit::TrailVerifier(*db, {signer.verifier()}).Run();
  double verify_seconds = std::chrono::duration<double>(Clock::now() - verify_start).count();
  if (!report.ok() || !report->ok()) {
    std::fprintf(stderr, "verify failed\n");
    return 1;
  }

  // 4. The whole trail exported as GET /api/audit/export?format=jsonl streams it (a record, its
  //    leaf and its inclusion proof per line, a signed manifest at the end), then verified
  //    offline as trustctl audit verify --bundle does. Resident memory before and after shows
  //    the export holds a page of records, not the trail.
  auto resident_kib = [] {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
  };
  tf::audit::AuditService service(*db, tf::SystemClock::Instance(), signer);
  auto checkpoint = service.LatestCheckpoint();
  if (!checkpoint.ok()) return 1;
  tf::Principal operator_principal;
  operator_principal.permissions.set(static_cast<size_t>(tf::Permission::kTenantsRead));  // platform-wide
  long rss_before = resident_kib();
  std::string bundle_path = base + "/export.jsonl";
  auto export_start = Clock::now();
  {
    std::ofstream bundle(bundle_path, std::ios::binary);
    tf::audit::ExportEncoder encoder(tf::audit::ExportFormat::kJsonl, *checkpoint, {},
                                     tf::SystemClock::Instance().NowMicros(), signer);
    bundle << encoder.Begin();
    absl::Status exported = service.ForEachProven(operator_principal, {}, *checkpoint,
                                                  [&](const tf::audit::RecordWithProof& item) {
                                                    bundle << encoder.Add(item).value();
                                                    return true;
                                                  });
    if (!exported.ok()) return 1;
    bundle << encoder.End();
  }
  double export_seconds = std::chrono::duration<double>(Clock::now() - export_start).count();
  long rss_after = resident_kib();
  auto bundle_bytes = std::filesystem::file_size(bundle_path);
  auto offline_start = Clock::now();
  std::ifstream bundle_in(bundle_path, std::ios::binary);
  tf::audit::BundleReport offline = tf::audit::VerifyBundle(bundle_in, tf::audit::BundleFormat::kJsonl, key);
  double offline_seconds = std::chrono::duration<double>(Clock::now() - offline_start).count();
  if (!offline.ok()) {
    std::fprintf(stderr, "bundle verify failed: %s\n", offline.problem->message.c_str());
    return 1;
  }

  std::printf("records %d a round, %d rounds, %d producer threads keeping %d appends in flight, SQLite "
              "synchronous=FULL (WAL), group commit up to %zu\n\n",
              records, rounds, threads, in_flight, tf::audit::AuditLog::kMaxBatch);
  auto rate = [records](const Phase& p) { return records / p.run.seconds; };
  std::printf("| round | plain inserts/s | plain p99 ms | AuditLog appends/s | AuditLog p99 ms | plain/audited |\n"
              "|---:|---:|---:|---:|---:|---:|\n");
  std::vector<double> ratios, plain_rates, audited_rates, covered_rates;
  Run plain_all, audited_all;
  for (int r = 0; r < rounds; ++r) {
    const Phase& p = plain_rounds[static_cast<size_t>(r)];
    const Phase& a = audited_rounds[static_cast<size_t>(r)];
    ratios.push_back(rate(p) / rate(a));
    plain_rates.push_back(rate(p));
    audited_rates.push_back(rate(a));
    covered_rates.push_back(records / a.covered);
    std::printf("| %d | %.0f | %.2f | %.0f | %.2f | %.3f |\n", r + 1, rate(p), Percentile(p.run.latencies_ms, 0.99),
                rate(a), Percentile(a.run.latencies_ms, 0.99), ratios.back());
    for (auto [all, phase] : {std::pair<Run*, const Phase*>{&plain_all, &p}, {&audited_all, &a}}) {
      all->seconds += phase->run.seconds;
      all->cpu.producers += phase->run.cpu.producers;
      all->cpu.writer += phase->run.cpu.writer;
      all->cpu.checkpointer += phase->run.cpu.checkpointer;
      all->cpu.builder += phase->run.cpu.builder;
      all->cpu.writer_bytes += phase->run.cpu.writer_bytes;
      all->latencies_ms.insert(all->latencies_ms.end(), phase->run.latencies_ms.begin(),
                               phase->run.latencies_ms.end());
    }
  }
  std::printf("\nplain inserts: group commits of %.1f records on average (first round)\n\n",
              plain_rounds.front().batch_size);
  std::printf("| writer, all rounds | median durable appends/s | p50 ms | p99 ms |\n|---|---:|---:|---:|\n");
  std::printf("| plain inserts (redacted details; no canonical JSON, hashes or tree) | %.0f | %.2f | %.2f |\n",
              Median(plain_rates), Percentile(plain_all.latencies_ms, 0.5), Percentile(plain_all.latencies_ms, 0.99));
  std::printf("| AuditLog, tree builder running | %.0f | %.2f | %.2f |\n\n", Median(audited_rates),
              Percentile(audited_all.latencies_ms, 0.5), Percentile(audited_all.latencies_ms, 0.99));
  const double all_records = static_cast<double>(records) * rounds;
  auto us = [all_records](double seconds) { return 1e6 * seconds / all_records; };
  std::printf("| CPU µs a record | producers | writer | checkpointer | tree builder | total "
              "| bytes the writer wrote a record |\n|---|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& [name, run] : {std::pair<const char*, const Run&>{"plain inserts", plain_all},
                                  std::pair<const char*, const Run&>{"AuditLog", audited_all}}) {
    std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f |\n", name, us(run.cpu.producers),
                us(run.cpu.writer), us(run.cpu.checkpointer), us(run.cpu.builder), us(run.cpu.Total()),
                run.cpu.writer_bytes / all_records);
  }
  std::printf("\ntamper-evidence overhead on appends: %.1f%% (median over the rounds of plain/audited = %.3f)\n",
              100.0 * (Median(ratios) - 1), Median(ratios));
  std::printf("tree covering every record (checkpointed): median %.0f records/s end to end from the first append\n",
              Median(covered_rates));
  std::printf("trustctl audit verify: %lld records, %lld checkpoints in %.2f s = %.0f records/s\n",
              static_cast<long long>(report->records), static_cast<long long>(report->checkpoints), verify_seconds,
              static_cast<double>(report->records) / verify_seconds);
  std::printf("export (jsonl, with proofs): %lld records in %.2f s = %.0f records/s, %.1f MB, resident memory "
              "%ld KiB before and %ld KiB after\n",
              static_cast<long long>(offline.records), export_seconds, static_cast<double>(offline.records) / export_seconds,
              static_cast<double>(bundle_bytes) / 1e6, rss_before, rss_after);
  std::printf("trustctl audit verify --bundle: %lld records in %.2f s = %.0f records/s\n",
              static_cast<long long>(offline.records), offline_seconds,
              static_cast<double>(offline.records) / offline_seconds);
  std::filesystem::remove_all(base);
  return 0;
}
