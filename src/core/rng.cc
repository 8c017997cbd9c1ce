#include "core/rng.h"

#include <sodium.h>

#include <cstring>

namespace tf {

std::string Rng::Bytes(size_t n) {
  std::string out(n, '\0');
  Fill(reinterpret_cast<uint8_t*>(out.data()), n);
  return out;
}

std::string Rng::Hex(size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  // The bytes go in the second half and are expanded from the front: digits 2i and 2i+1 never
  // reach past byte n+i, which is already read.
  std::string out(2 * n, '\0');
  Fill(reinterpret_cast<uint8_t*>(out.data() + n), n);
  for (size_t i = 0; i < n; ++i) {
    auto byte = static_cast<uint8_t>(out[n + i]);
    out[2 * i] = kDigits[byte >> 4];
    out[2 * i + 1] = kDigits[byte & 0xF];
  }
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

namespace {

struct Xoshiro256 {
  uint64_t s[4];
  Xoshiro256() {
    do {
      SystemRng::Instance().Fill(reinterpret_cast<uint8_t*>(s), sizeof(s));
    } while ((s[0] | s[1] | s[2] | s[3]) == 0);
  }
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t Next() {
    uint64_t result = Rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = Rotl(s[3], 45);
    return result;
  }
};

}  // namespace

void FastRng::Fill(uint8_t* out, size_t n) {
  thread_local Xoshiro256 state;
  while (n > 0) {
    uint64_t v = state.Next();
    size_t take = n < sizeof(v) ? n : sizeof(v);
    std::memcpy(out, &v, take);
    out += take;
    n -= take;
  }
}

FastRng& FastRng::Instance() {
  static FastRng rng;
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
