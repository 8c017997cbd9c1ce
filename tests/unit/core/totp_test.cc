// Tests of core/totp.h against RFC 4226 appendix D and RFC 6238 appendix B, against the codes
// oathtool computes, and of the QR code SVG.

#include "core/totp.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

#include "core/crypto.h"
#include "core/qr_svg.h"
#include "core/rng.h"

namespace tf::totp {
namespace {

constexpr std::string_view kRfcKey = "12345678901234567890";  // both RFCs' SHA-1 seed

TEST(TotpTest, HotpMatchesRfc4226AppendixD) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t counter = 0; counter < 10; ++counter) EXPECT_EQ(Hotp(kRfcKey, counter), expected[counter]);
}

TEST(TotpTest, TotpMatchesRfc6238AppendixBForSha1) {
  struct Vector {
    int64_t time;
    const char* code;
  };
  // The RFC's table gives 8 digits; the 6-digit code is the same value mod 10^6.
  for (Vector v : {Vector{59, "94287082"}, Vector{1111111109, "07081804"}, Vector{1111111111, "14050471"},
                   Vector{1234567890, "89005924"}, Vector{2000000000, "69279037"},
                   Vector{20000000000, "65353130"}}) {
    EXPECT_EQ(Totp(kRfcKey, v.time, 8), v.code) << v.time;
    EXPECT_EQ(Totp(kRfcKey, v.time), std::string(v.code).substr(2)) << v.time;
  }
  EXPECT_EQ(TimeStep(59), 1);
  EXPECT_EQ(TimeStep(1111111109), 0x23523EC);
  EXPECT_EQ(TimeStep(20000000000), 0x27BC86AA);
}

TEST(TotpTest, Base32RoundTripsAndMatchesRfc4648) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(Base32Encode(kRfcKey), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(*Base32Decode("MZXW6YTBOI======"), "foobar");
  EXPECT_EQ(*Base32Decode("mzxw 6ytb oi"), "foobar");
  EXPECT_FALSE(Base32Decode("MZXW1").ok()) << "1 is not in the alphabet";
  EXPECT_FALSE(Base32Decode("MZ=XW").ok());
  Rng& rng = SystemRng::Instance();
  for (int i = 0; i < 50; ++i) {
    std::string bytes = rng.Bytes(static_cast<size_t>(i));
    EXPECT_EQ(*Base32Decode(Base32Encode(bytes)), bytes);
  }
}

TEST(TotpTest, MatchStepAcceptsOneStepOfDriftAndNeverAStepTwice) {
  int64_t t = 1'700'000'000;
  int64_t step = TimeStep(t);
  EXPECT_EQ(MatchStep(kRfcKey, Totp(kRfcKey, t), t, std::nullopt), step);
  EXPECT_EQ(MatchStep(kRfcKey, Totp(kRfcKey, t - 30), t, std::nullopt), step - 1) << "a phone 30 s behind";
  EXPECT_EQ(MatchStep(kRfcKey, Totp(kRfcKey, t + 30), t, std::nullopt), step + 1) << "a phone 30 s ahead";
  EXPECT_EQ(MatchStep(kRfcKey, Totp(kRfcKey, t - 60), t, std::nullopt), std::nullopt) << "two steps is too far";
  EXPECT_EQ(MatchStep(kRfcKey, Totp(kRfcKey, t + 60), t, std::nullopt), std::nullopt);
  EXPECT_EQ(MatchStep(kRfcKey, Totp(kRfcKey, t), t, step), std::nullopt) << "the step was used";
  EXPECT_EQ(MatchStep(kRfcKey, Totp(kRfcKey, t - 30), t, step), std::nullopt) << "and so were the ones before";
  EXPECT_EQ(MatchStep(kRfcKey, Totp(kRfcKey, t + 30), t, step), step + 1);
  EXPECT_EQ(MatchStep(kRfcKey, "12345", t, std::nullopt), std::nullopt);
  EXPECT_EQ(MatchStep(kRfcKey, "", t, std::nullopt), std::nullopt);
  EXPECT_EQ(MatchStep("another key", Totp(kRfcKey, t), t, std::nullopt), std::nullopt);
}

TEST(TotpTest, OtpauthUriFollowsTheKeyUriFormat) {
  EXPECT_EQ(OtpauthUri("Trust Fabric", "ana@example.com", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Trust%20Fabric:ana%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Trust%20Fabric"
            "&algorithm=SHA1&digits=6&period=30");
}

std::string RunCommand(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return "";
  std::array<char, 128> buffer{};
  std::string out;
  while (fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) out += buffer.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(TotpTest, CodesAgreeWithOathtool) {
  Rng& rng = SystemRng::Instance();
  for (int i = 0; i < 5; ++i) {
    std::string secret = Base32Encode(rng.Bytes(20));
    int64_t t = 1'600'000'000 + i * 7919;
    std::string theirs = RunCommand("oathtool --totp -b --now=@" + std::to_string(t) + " " + secret);
    ASSERT_FALSE(theirs.empty()) << "oathtool (Debian package oathtool) must be installed";
    EXPECT_EQ(Totp(*Base32Decode(secret), t), theirs) << secret << " at " << t;
  }
}

TEST(QrSvgTest, DrawsASquareSvgWithDarkModules) {
  auto svg = QrSvg(OtpauthUri("Trust Fabric", "ana@example.com", "JBSWY3DPEHPK3PXP"));
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(svg->rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg->find("<path fill=\"#000\" d=\"M4,4h1v1h-1z"), std::string::npos)
      << "the top-left finder pattern starts after the quiet zone";
  EXPECT_EQ(svg->find("<script"), std::string::npos);
  EXPECT_FALSE(QrSvg(std::string(5000, 'x')).ok());
}

}  // namespace
}  // namespace tf::totp
