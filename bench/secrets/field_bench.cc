// Field encryption as the keyring does it for every encrypted column: XChaCha20-Poly1305 under
// a tenant's data key with the tenant, table, column and row as associated data, and the
// re-encryption a data key rotation needs (open under the old version, seal under the new),
// run over one million values. The peer is copying the plaintext, what a plaintext column
// costs at this level.
//   build/bench/bench_field_crypto
#include <benchmark/benchmark.h>

#include <string>

#include "core/crypto.h"
#include "modules/secrets/keyring.h"

namespace tf::secrets {
namespace {

DataKeyRing Ring() {
  static const bool init = crypto::InitCrypto().ok();
  (void)init;
  DataKeyRing ring;
  ring.keys[1] = SecretKey(crypto::RandomBytes(crypto::kAeadKeyBytes));
  ring.keys[2] = SecretKey(crypto::RandomBytes(crypto::kAeadKeyBytes));
  ring.latest = 1;
  return ring;
}

const FieldContext kWhere{"0190f000-0000-7000-8000-0000000000aa", "users", "email",
                          "0190f000-0000-7000-8000-0000000000bb"};

std::string Value(int64_t bytes) { return std::string(static_cast<size_t>(bytes), 'x'); }

void BM_PlaintextCopy(benchmark::State& state) {
  std::string value = Value(state.range(0));
  for (auto _ : state) {
    std::string copy = value;
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlaintextCopy)->Arg(32)->Arg(1024);

void BM_EncryptField(benchmark::State& state) {
  DataKeyRing ring = Ring();
  std::string value = Value(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(EncryptField(ring, kWhere, value));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncryptField)->Arg(32)->Arg(1024);

void BM_DecryptField(benchmark::State& state) {
  DataKeyRing ring = Ring();
  std::string sealed = EncryptField(ring, kWhere, Value(state.range(0))).value();
  for (auto _ : state) benchmark::DoNotOptimize(DecryptField(ring, kWhere, sealed));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecryptField)->Arg(32)->Arg(1024);

//! One value moved from data key v1 to v2, a million times.
void BM_ReencryptMillionValues(benchmark::State& state) {
  DataKeyRing ring = Ring();
  std::string sealed = EncryptField(ring, kWhere, Value(32)).value();
  ring.latest = 2;
  for (auto _ : state) {
    absl::StatusOr<std::string> plain = DecryptField(ring, kWhere, sealed);
    benchmark::DoNotOptimize(EncryptField(ring, kWhere, *plain));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReencryptMillionValues)->Iterations(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tf::secrets
