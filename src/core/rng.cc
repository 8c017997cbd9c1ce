#include "core/rng.h"

#include <sodium.h>

#include <cstring>

namespace tf {

std::string Rng::Bytes(size_t n) {
  std::string out(n, '\0');
  Fill(reinterpret_cast<uint8_t*>(out.data()), n);
  return out;
}

uint64_t Rng::Uint64() {
  uint64_t v = 0;
  Fill(reinterpret_cast<uint8_t*>(&v), sizeof(v));
  return v;
}

double Rng::Uniform() { return static_cast<double>(Uint64() >> 11) * 0x1.0p-53; }

void SystemRng::Fill(uint8_t* out, size_t n) { randombytes_buf(out, n); }

SystemRng& SystemRng::Instance() {
  static SystemRng rng;
  return rng;
}

void SeededRng::Fill(uint8_t* out, size_t n) {
  std::lock_guard lock(mu_);
  while (n > 0) {
    uint64_t v = engine_();
    size_t take = n < sizeof(v) ? n : sizeof(v);
    std::memcpy(out, &v, take);
    out += take;
    n -= take;
  }
}

}  // namespace tf
