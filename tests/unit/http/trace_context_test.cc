// W3C Trace Context `traceparent` parsing, continuation and formatting.
#include "http/trace_context.h"

#include <gtest/gtest.h>

#include <string>

#include "core/rng.h"

namespace tf::http {
namespace {

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kParentId[] = "00f067aa0ba902b7";
constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

bool IsLowerHex(const std::string& s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return s.find_first_not_of('0') != std::string::npos;
}

TEST(TraceparentTest, ParsesTheSpecExample) {
  auto ctx = ParseTraceparent(kValid);
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->trace_id, kTraceId);
  EXPECT_EQ(ctx->parent_id, kParentId);
  EXPECT_EQ(ctx->flags, 1);
  EXPECT_TRUE(ctx->span_id.empty());
}

TEST(TraceparentTest, ParsesEveryFlagValue) {
  auto ctx = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff");
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->flags, 0xff);
  ctx = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->flags, 0);
}

TEST(TraceparentTest, RejectsAllZeroIds) {
  EXPECT_FALSE(ParseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
}

TEST(TraceparentTest, RejectsUpperCaseHex) {
  EXPECT_FALSE(ParseTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
  EXPECT_FALSE(ParseTraceparent("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceparentTest, RejectsWrongLengths) {
  // trace id one short / one long, parent id one short / one long, flags one short
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e47361-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b71-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011"));
  EXPECT_FALSE(ParseTraceparent(""));
  EXPECT_FALSE(ParseTraceparent("00"));
}

TEST(TraceparentTest, RejectsVersionFf) {
  EXPECT_FALSE(ParseTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
}

TEST(TraceparentTest, RejectsVersion00WithExtraFields) {
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"));
}

TEST(TraceparentTest, AcceptsFutureVersionWithExtraFields) {
  auto ctx = ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds");
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->trace_id, kTraceId);
  EXPECT_EQ(ctx->parent_id, kParentId);
  EXPECT_EQ(ctx->flags, 1);
  EXPECT_TRUE(ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").has_value());
}

TEST(TraceparentTest, FutureVersionStillNeedsADashAfterTheFlags) {
  EXPECT_FALSE(ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
  EXPECT_FALSE(ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01abc-def"));
}

TEST(TraceparentTest, RejectsBadSeparatorsAndNonHex) {
  EXPECT_FALSE(ParseTraceparent("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"));
  EXPECT_FALSE(ParseTraceparent("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 "));
  EXPECT_FALSE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7--1"));
}

TEST(TraceContinueTest, ValidHeaderContinuesTheTraceWithANewSpan) {
  SeededRng rng(7);
  TraceContext ctx = ContinueOrStartTrace(std::string_view(kValid), rng);
  EXPECT_EQ(ctx.trace_id, kTraceId);
  EXPECT_EQ(ctx.parent_id, kParentId);
  EXPECT_EQ(ctx.flags, 1);
  EXPECT_TRUE(IsLowerHex(ctx.span_id, 16)) << ctx.span_id;
  EXPECT_NE(ctx.span_id, kParentId);
  EXPECT_EQ(ctx.ToTraceparent(), std::string("00-") + kTraceId + "-" + ctx.span_id + "-01");
}

TEST(TraceContinueTest, EachContinuationGetsItsOwnSpan) {
  SeededRng rng(7);
  TraceContext a = ContinueOrStartTrace(std::string_view(kValid), rng);
  TraceContext b = ContinueOrStartTrace(std::string_view(kValid), rng);
  EXPECT_EQ(a.trace_id, b.trace_id);
  EXPECT_NE(a.span_id, b.span_id);
}

TEST(TraceContinueTest, FutureVersionIsAnsweredAsVersion00) {
  SeededRng rng(7);
  TraceContext ctx =
      ContinueOrStartTrace(std::string_view("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"), rng);
  EXPECT_EQ(ctx.trace_id, kTraceId);
  EXPECT_EQ(ctx.ToTraceparent().substr(0, 36), std::string("00-") + kTraceId + "-");
}

TEST(TraceContinueTest, MissingHeaderStartsANewTrace) {
  SeededRng rng(7);
  TraceContext ctx = ContinueOrStartTrace(std::nullopt, rng);
  EXPECT_TRUE(IsLowerHex(ctx.trace_id, 32)) << ctx.trace_id;
  EXPECT_TRUE(IsLowerHex(ctx.span_id, 16)) << ctx.span_id;
  EXPECT_TRUE(ctx.parent_id.empty());
  EXPECT_EQ(ctx.flags, 0);
}

TEST(TraceContinueTest, InvalidHeadersStartANewTrace) {
  for (const char* header :
       {"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "garbage", ""}) {
    SeededRng rng(11);
    TraceContext ctx = ContinueOrStartTrace(std::string_view(header), rng);
    EXPECT_NE(ctx.trace_id, kTraceId) << header;
    EXPECT_TRUE(IsLowerHex(ctx.trace_id, 32)) << header;
    EXPECT_TRUE(IsLowerHex(ctx.span_id, 16)) << header;
    EXPECT_TRUE(ctx.parent_id.empty()) << header;
    EXPECT_EQ(ctx.flags, 0) << header << ": a rejected header's flags are not kept";
  }
}

// An Rng whose first draws are all zero: ids must never come out all-zero (invalid per spec).
class ZeroThenCountingRng final : public Rng {
 public:
  void Fill(uint8_t* out, size_t n) override {
    for (size_t i = 0; i < n; ++i) out[i] = calls_ < 2 ? 0 : static_cast<uint8_t>(calls_);
    ++calls_;
  }

 private:
  int calls_ = 0;
};

TEST(TraceContinueTest, NeverIssuesAllZeroIds) {
  ZeroThenCountingRng rng;
  TraceContext ctx = ContinueOrStartTrace(std::nullopt, rng);
  EXPECT_TRUE(IsLowerHex(ctx.trace_id, 32)) << ctx.trace_id;
  EXPECT_TRUE(IsLowerHex(ctx.span_id, 16)) << ctx.span_id;
}

TEST(TraceFormatTest, ToTraceparentFormat) {
  TraceContext ctx{kTraceId, kParentId, "b7ad6b7169203331", 0};
  EXPECT_EQ(ctx.ToTraceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-00");
  ctx.flags = 1;
  EXPECT_EQ(ctx.ToTraceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01");
  ctx.flags = 0xab;
  EXPECT_EQ(ctx.ToTraceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-ab");
  EXPECT_EQ(ctx.ToTraceparent().size(), 55u);
}

TEST(TraceFormatTest, OurHeaderParsesBack) {
  SeededRng rng(3);
  TraceContext ctx = ContinueOrStartTrace(std::nullopt, rng);
  auto back = ParseTraceparent(ctx.ToTraceparent());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->trace_id, ctx.trace_id);
  EXPECT_EQ(back->parent_id, ctx.span_id);
}

}  // namespace
}  // namespace tf::http
