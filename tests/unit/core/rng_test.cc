// Rng::Hex: the same bytes Rng::Bytes draws, as lower-case hex, at any length.
#include "core/rng.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace tf {
namespace {

TEST(RngTest, HexIsTheHexOfTheBytesDrawn) {
  for (size_t n : {0, 1, 7, 8, 15, 16, 17, 33, 100}) {
    SeededRng a(n + 1), b(n + 1);
    std::string hex = a.Hex(n);
    EXPECT_EQ(hex, crypto::HexEncode(b.Bytes(n))) << n;
    EXPECT_EQ(hex.size(), 2 * n);
  }
}

}  // namespace
}  // namespace tf
