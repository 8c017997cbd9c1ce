// Tests of UUIDv7 generation (RFC 9562 §5.7) and IsUuid (core/ids.h).

#include "core/ids.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/rng.h"

namespace tf {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// 2026-01-01T00:00:00.123456Z
constexpr int64_t kStartMicros = int64_t{1767225600} * 1'000'000 + 123'456;

uint64_t HexValue(std::string_view hex) { return std::stoull(std::string(hex), nullptr, 16); }

TEST(UuidV7Test, HasVersionSevenAndRfcVariant) {
  FakeClock clock{SysTime(microseconds(kStartMicros))};
  SeededRng rng(1);
  for (int i = 0; i < 500; ++i) {
    std::string id = NewUuidV7(clock, rng);
    ASSERT_EQ(id.size(), 36u);
    EXPECT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant 10xx
  }
}

TEST(UuidV7Test, TimestampIsTheClocksUnixMilliseconds) {
  FakeClock clock{SysTime(microseconds(kStartMicros))};
  SeededRng rng(2);
  std::string id = NewUuidV7(clock, rng);
  // First 48 bits: 8 hex digits, a dash, 4 hex digits.
  uint64_t ms = HexValue(id.substr(0, 8) + id.substr(9, 4));
  EXPECT_EQ(ms, static_cast<uint64_t>(kStartMicros / 1000));
  EXPECT_EQ(ms, 1767225600123u);
  EXPECT_EQ(id.substr(0, 13), "019b76da-a87b") << id;  // 0x019b76daa87b == 1767225600123

  clock.Advance(milliseconds(1));
  std::string next = NewUuidV7(clock, rng);
  EXPECT_EQ(HexValue(next.substr(0, 8) + next.substr(9, 4)), ms + 1);
  // Sub-millisecond changes do not move the timestamp.
  clock.Advance(microseconds(500));
  std::string same_ms = NewUuidV7(clock, rng);
  EXPECT_EQ(same_ms.substr(0, 13), next.substr(0, 13));
}

TEST(UuidV7Test, TimestampAtTheEpochAndAtTheEndOf48Bits) {
  SeededRng rng(3);
  FakeClock epoch{SysTime(microseconds(0))};
  EXPECT_EQ(NewUuidV7(epoch, rng).substr(0, 13), "00000000-0000");
  FakeClock last{SysTime(microseconds(int64_t{0xFFFFFFFFFFFF} * 1000))};
  EXPECT_EQ(NewUuidV7(last, rng).substr(0, 13), "ffffffff-ffff");
}

TEST(UuidV7Test, IdsFromLaterMillisecondsSortAfterEarlierOnes) {
  FakeClock clock{SysTime(microseconds(kStartMicros))};
  SeededRng rng(4);
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    ids.push_back(NewUuidV7(clock, rng));
    clock.Advance(milliseconds(1 + i % 3));
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(UuidV7Test, IdsInTheSameMillisecondAreDistinct) {
  FakeClock clock{SysTime(microseconds(kStartMicros))};
  SeededRng rng(5);
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(NewUuidV7(clock, rng));
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(UuidV7Test, DeterministicForASeededRngAndClock) {
  FakeClock clock{SysTime(microseconds(kStartMicros))};
  SeededRng a(9), b(9), c(10);
  std::string x = NewUuidV7(clock, a);
  EXPECT_EQ(x, NewUuidV7(clock, b));
  EXPECT_NE(x, NewUuidV7(clock, c));
}

TEST(IdsTest, IsUuidAcceptsTheCanonicalLowerCaseForm) {
  EXPECT_TRUE(IsUuid("019b7724-f3fb-7abc-8def-0123456789ab"));
  EXPECT_TRUE(IsUuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_TRUE(IsUuid("123e4567-e89b-12d3-a456-426614174000"));  // any version
}

TEST(IdsTest, IsUuidRejectsEverythingElse) {
  for (std::string_view bad : {
           "",
           "019B7724-F3FB-7ABC-8DEF-0123456789AB",    // upper case
           "019b7724f3fb7abc8def0123456789ab",        // no dashes
           "019b7724-f3fb-7abc-8def-0123456789a",     // short
           "019b7724-f3fb-7abc-8def-0123456789abc",   // long
           "019b7724-f3fb-7abc-8def_0123456789ab",    // wrong separator
           "019b772-4f3fb-7abc-8def-0123456789ab",    // dash misplaced
           "{019b7724-f3fb-7abc-8def-0123456789ab}",  // braces
           "019b7724-f3fb-7abc-8def-0123456789ag",    // not hex
            "urn:uuid:019b7724-f3fb-7abc-8def-012",   // 36 characters of something else
           " 019b7724-f3fb-7abc-8def-0123456789a",
       }) {
    EXPECT_FALSE(IsUuid(bad)) << bad;
  }
  EXPECT_FALSE(IsUuid(std::string_view("019b7724-f3fb-7abc-8def-0123456789a\0", 36)));
}

}  // namespace
}  // namespace tf
