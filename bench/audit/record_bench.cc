// What one request record costs the thread that appends it, piece by piece: redacting and
// canonicalising its details, hashing them, and its leaf hash (RFC 8785 text and SHA-256),
// against serialising the same details with nlohmann's dump, what a plain insert does.
//   build/bench/bench_audit_record
#include <benchmark/benchmark.h>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/redact.h"
#include "modules/audit/audit_record.h"

namespace tf::audit {
namespace {

AuditRecord Request() {
  AuditRecord r;
  r.id = "0190f000-0000-7000-8000-001000000001";
  r.time = 1764547200123456;
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
  r.source_ip = "10.0.0.1";
  r.user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";
  r.request_id = "12345";
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  return r;
}

const nlohmann::json kDetails = {{"query", {{"limit", "50"}, {"page", "17"}}}};

void BM_PlainDump(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(kDetails.dump());
}
BENCHMARK(BM_PlainDump);

void BM_Redact(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(RedactJson(kDetails));
}
BENCHMARK(BM_Redact);

void BM_Canonical(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(CanonicalJson(kDetails));
}
BENCHMARK(BM_Canonical);

void BM_SetDetails(benchmark::State& state) {
  AuditRecord r = Request();
  for (auto _ : state) SetDetails(r, kDetails);
}
BENCHMARK(BM_SetDetails);

void BM_LeafBytes(benchmark::State& state) {
  AuditRecord r = Request();
  SetDetails(r, kDetails);
  for (auto _ : state) benchmark::DoNotOptimize(LeafBytes(r));
}
BENCHMARK(BM_LeafBytes);

void BM_SetLeafHash(benchmark::State& state) {
  AuditRecord r = Request();
  SetDetails(r, kDetails);
  for (auto _ : state) benchmark::DoNotOptimize(SetLeafHash(r));
}
BENCHMARK(BM_SetLeafHash);

void BM_Sha256Hex(benchmark::State& state) {
  std::string text(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(crypto::Sha256Hex(text));
}
BENCHMARK(BM_Sha256Hex)->Arg(40)->Arg(700);

}  // namespace
}  // namespace tf::audit
