#pragma once
// Test support for tests/unit/store and tests/unit/identity: the fake clocks' starting point and
// a global test environment that calls crypto::InitCrypto() once. Databases for tests come from
// support/test_database.h.
// Thread-safety: plain values and a one-time registration.

#include <chrono>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/crypto.h"

namespace tf::store::testing {

//! Two tenants' ids for tests that need a pair.
inline constexpr char kTenantA[] = "0190f000-0000-7000-8000-00000000000a";
inline constexpr char kTenantB[] = "0190f000-0000-7000-8000-00000000000b";

//! 2026-01-01T00:00:00Z: where the fake clocks of these tests start.
inline SysTime TestEpoch() { return SysTime(std::chrono::microseconds(int64_t{1767225600} * 1'000'000)); }

//! Calls crypto::InitCrypto() before any test runs.
class CryptoEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }
};

//! Registers CryptoEnvironment, once in the program, in every test binary that includes this.
[[maybe_unused]] inline const bool kCryptoRegistered = [] {
  ::testing::AddGlobalTestEnvironment(new CryptoEnvironment());
  return true;
}();

}  // namespace tf::store::testing
