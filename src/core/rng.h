#pragma once
// Rng: the only source of randomness (tokens, ids, jitter), so tests can make it predictable.
// Thread-safety: implementations are safe to call from any thread.

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace tf {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void Fill(uint8_t* out, size_t n) = 0;

  std::string Bytes(size_t n);
  //! `n` random bytes as 2n lower-case hex digits (request, trace and span ids).
  std::string Hex(size_t n);
  uint64_t Uint64();
  //! Uniform double in [0, 1).
  double Uniform();
};

//! Cryptographically secure randomness from libsodium.
class SystemRng final : public Rng {
 public:
  void Fill(uint8_t* out, size_t n) override;
  static SystemRng& Instance();
};

//! Fast non-cryptographic randomness (xoshiro256**, per-thread state seeded from SystemRng) for
//! identifiers that must be unique and unpredictable enough but are not secrets: request ids,
//! trace and span ids. Never for tokens, keys or passwords.
class FastRng final : public Rng {
 public:
  void Fill(uint8_t* out, size_t n) override;
  static FastRng& Instance();
};

//! Deterministic randomness for tests.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(uint64_t seed) : engine_(seed) {}
  void Fill(uint8_t* out, size_t n) override;

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

}  // namespace tf
