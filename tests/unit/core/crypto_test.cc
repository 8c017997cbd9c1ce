// Tests of core/crypto.h against published vectors (FIPS 180-2 / RFC 4231 / RFC 2202 /
// RFC 4648 / draft-irtf-cfrg-xchacha) and of the argon2id and token helpers.

#include "core/crypto.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/rng.h"

namespace tf::crypto {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(InitCrypto().ok()); }
};

std::string Hex(std::string_view bytes) { return HexEncode(bytes); }
std::string Rep(char c, size_t n) { return std::string(n, c); }
std::string Unhex(std::string_view hex) {
  auto out = HexDecode(hex);
  EXPECT_TRUE(out.ok()) << hex;
  return out.ok() ? *out : std::string();
}

TEST_F(CryptoTest, Sha256Vectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(Rep('a', 1000000)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(Sha256("abc").size(), 32u);
  EXPECT_EQ(Hex(Sha256("abc")), Sha256Hex("abc"));
  // Binary input with NUL bytes is hashed in full.
  EXPECT_NE(Sha256Hex(std::string("a\0b", 3)), Sha256Hex("a"));
}

TEST_F(CryptoTest, HmacSha256Rfc4231Vectors) {
  // Test case 1
  EXPECT_EQ(Hex(HmacSha256(Rep('\x0b', 20), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 3
  EXPECT_EQ(Hex(HmacSha256(Rep('\xaa', 20), Rep('\xdd', 50))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  // Test case 4
  EXPECT_EQ(Hex(HmacSha256(Unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Rep('\xcd', 50))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 5: truncation to 128 bits
  EXPECT_EQ(Hex(HmacSha256(Rep('\x0c', 20), "Test With Truncation")).substr(0, 32),
            "a3b6167473100ee06e0c796c2955552b");
  // Test case 6: a key larger than the block size
  EXPECT_EQ(Hex(HmacSha256(Rep('\xaa', 131), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Test case 7: key and data larger than the block size
  EXPECT_EQ(Hex(HmacSha256(Rep('\xaa', 131),
                           "This is a test using a larger than block-size key and a larger than block-size data. "
                           "The key needs to be hashed before being used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_F(CryptoTest, HmacSha1Rfc2202Vectors) {
  EXPECT_EQ(Hex(HmacSha1(Rep('\x0b', 20), "Hi There")), "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(Hex(HmacSha1("Jefe", "what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(Hex(HmacSha1(Rep('\xaa', 20), Rep('\xdd', 50))), "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  EXPECT_EQ(Hex(HmacSha1(Rep('\xaa', 80), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  // The TOTP seed of RFC 6238 appendix B: a 20-byte ASCII key.
  EXPECT_EQ(HmacSha1("12345678901234567890", "").size(), 20u);
}

TEST_F(CryptoTest, HexRoundTripAndBadInput) {
  const std::string all = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
    return s;
  }();
  std::string hex = HexEncode(all);
  EXPECT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(504), "fcfdfeff");  // lower case
  auto back = HexDecode(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
  EXPECT_EQ(HexEncode(""), "");
  ASSERT_TRUE(HexDecode("").ok());
  EXPECT_EQ(*HexDecode(""), "");
  // Upper case decodes too.
  ASSERT_TRUE(HexDecode("DEADbeef").ok());
  EXPECT_EQ(*HexDecode("DEADbeef"), "\xde\xad\xbe\xef");

  EXPECT_EQ(HexDecode("abc").status().code(), absl::StatusCode::kInvalidArgument);   // odd length
  EXPECT_EQ(HexDecode("zz").status().code(), absl::StatusCode::kInvalidArgument);    // not hex
  EXPECT_EQ(HexDecode("0x12").status().code(), absl::StatusCode::kInvalidArgument);  // prefix
  EXPECT_EQ(HexDecode("12 34").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HexDecode(std::string("1\0", 2)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoTest, Base64Rfc4648VectorsAndRoundTrip) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
  std::string binary;
  for (int i = 0; i < 300; ++i) binary.push_back(static_cast<char>(i * 7));
  auto round = Base64Decode(Base64Encode(binary));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(*round, binary);
  // Standard alphabet uses + and /.
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf"), "+/+/");
}

TEST_F(CryptoTest, Base64DecodeRejectsBadInput) {
  for (std::string_view bad : {"Zm9v!", "Zm9v$A==", "Z", "Zm9vY", "====", "Zg==Zg==x", "Zm 9v\x01"}) {
    EXPECT_EQ(Base64Decode(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(CryptoTest, Base64UrlIsUrlSafeAndUnpadded) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode(""), "");
}

TEST_F(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "Abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
  std::string h = Sha256Hex("x");
  EXPECT_TRUE(ConstantTimeEquals(h, Sha256Hex("x")));
  EXPECT_FALSE(ConstantTimeEquals(h, Sha256Hex("y")));
}

TEST_F(CryptoTest, XChaCha20Poly1305DraftVectorA31SealsAndOpens) {
  // draft-irtf-cfrg-xchacha-03, appendix A.3.1.
  std::string key = Unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  std::string nonce = Unhex("404142434445464748494a4b4c4d4e4f5051525354555657");
  std::string aad = Unhex("50515253c0c1c2c3c4c5c6c7");
  std::string plaintext =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would "
      "be it.";
  std::string expected =
      "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54"
      "c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f6"
      "15c68b13b52e"
      "c0875924c1c7987947deafd8780acf49";
  auto sealed = AeadSeal(key, nonce, plaintext, aad);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(Hex(*sealed), expected);
  auto opened = AeadOpen(key, nonce, *sealed, aad);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, plaintext);
}

TEST_F(CryptoTest, AeadOpenRefusesAnyChangeAndBadSizes) {
  std::string key = RandomBytes(kAeadKeyBytes), nonce = RandomBytes(kAeadNonceBytes);
  std::string sealed = AeadSeal(key, nonce, "salary 85,000", "users/42/email").value();
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string flipped = sealed;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    EXPECT_EQ(AeadOpen(key, nonce, flipped, "users/42/email").status().code(), absl::StatusCode::kInvalidArgument)
        << "byte " << i;
  }
  EXPECT_FALSE(AeadOpen(key, nonce, sealed, "users/43/email").ok()) << "another context";
  EXPECT_FALSE(AeadOpen(RandomBytes(kAeadKeyBytes), nonce, sealed, "users/42/email").ok()) << "another key";
  EXPECT_FALSE(AeadOpen(key, nonce, sealed.substr(0, 10), "users/42/email").ok()) << "shorter than the tag";
  EXPECT_EQ(AeadSeal(key.substr(1), nonce, "x", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AeadSeal(key, nonce.substr(1), "x", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

TEST_F(CryptoTest, HashPasswordIsArgon2idWithOwaspParametersAndVerifies) {
  auto hash = HashPassword("violet-kettle-orbit-42");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "violet-kettle-orbit-42"));
  EXPECT_FALSE(VerifyPassword(*hash, "violet-kettle-orbit-43"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_FALSE(VerifyPassword(*hash, "Violet-kettle-orbit-42"));
  // A fresh salt each time: same password, different strings, both verify.
  auto again = HashPassword("violet-kettle-orbit-42");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *hash);
  EXPECT_TRUE(VerifyPassword(*again, "violet-kettle-orbit-42"));
}

TEST_F(CryptoTest, VerifyPasswordHandlesBinaryPasswordsAndGarbageHashes) {
  std::string binary("pass\0word-with-nul", 18);
  auto hash = HashPassword(binary);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(VerifyPassword(*hash, binary));
  EXPECT_FALSE(VerifyPassword(*hash, "pass"));  // not truncated at the NUL
  EXPECT_FALSE(VerifyPassword("", "anything"));
  EXPECT_FALSE(VerifyPassword("not a hash", "anything"));
  EXPECT_FALSE(VerifyPassword("$argon2id$v=19$m=19456,t=2,p=1$garbage", "anything"));
  BurnPasswordVerification("anything");  // must not crash
}

TEST_F(CryptoTest, NewTokenHasPrefixLengthAndIsUnique) {
  SeededRng rng(42);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string t = NewToken(rng, "tfs_");
    ASSERT_EQ(t.rfind("tfs_", 0), 0u);
    EXPECT_EQ(t.size(), 4u + 43u) << t;  // 32 bytes -> 43 unpadded base64url characters
    EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4),
              std::string::npos)
        << t;
    EXPECT_TRUE(seen.insert(t).second) << "duplicate " << t;
  }
  EXPECT_EQ(NewToken(rng, "").size(), 43u);
  // Deterministic for a seeded Rng; independent of the prefix.
  SeededRng a(7), b(7);
  EXPECT_EQ(NewToken(a, "x_").substr(2), NewToken(b, "y_").substr(2));
  // The system Rng works too.
  EXPECT_NE(NewToken(SystemRng::Instance(), "tft_"), NewToken(SystemRng::Instance(), "tft_"));
}

}  // namespace
}  // namespace tf::crypto
