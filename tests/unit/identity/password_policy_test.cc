// Tests of the password rules (src/modules/identity/password_policy.h).

#include "modules/identity/password_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "core/errors.h"
#include "core/strings.h"
#include "nlohmann/json.hpp"
#include "support/status_macros.h"

namespace tf::identity {
namespace {

constexpr std::string_view kEmail = "alice@example.com";

using tf::testing::FieldOf;

// Expects InvalidArgument on the "password" field whose message contains `fragment` and never
// the password itself.
void ExpectRefused(std::string_view password, std::string_view fragment, std::string_view email = kEmail) {
  absl::Status s = CheckPassword(password, email);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "accepted: " << password;
  EXPECT_NE(s.message().find(Sv(fragment)), absl::string_view::npos) << s.message();
  EXPECT_EQ(FieldOf(s), "password");
  if (!password.empty()) {
    EXPECT_EQ(s.message().find(Sv(password)), absl::string_view::npos) << "echoes the password";
  }
}

void ExpectAccepted(std::string_view password, std::string_view email = kEmail) {
  absl::Status s = CheckPassword(password, email);
  EXPECT_TRUE(s.ok()) << "refused '" << password << "': " << s;
}

// --------------------------------------------------------------------------------------------
// Length

TEST(PasswordPolicyTest, AcceptsOrdinaryPassphrases) {
  ExpectAccepted("violet-kettle-orbit-42");
  ExpectAccepted("correct horse battery staple");
  ExpectAccepted("Tr0ub4dor&3-xylophone");
}

TEST(PasswordPolicyTest, LengthBoundsAreTwelveToOneHundredTwentyEight) {
  ExpectRefused("", "at least 12 characters");
  ExpectRefused("gr4ss-Lamp-", "at least 12 characters");  // 11
  ExpectAccepted("gr4ss-Lamp-q");                            // 12
  std::string longest;
  for (int i = 0; i < 128; ++i) longest.push_back("qwfpgjluyarstdhneiozxcvbkm"[i % 26] ^ (i / 26 % 2 ? 0x20 : 0));
  ASSERT_EQ(longest.size(), 128u);
  ExpectAccepted(longest);
  ExpectRefused(longest + "x", "at most 128 characters");
}

TEST(PasswordPolicyTest, LengthIsCountedInCharactersNotBytes) {
  // 11 characters in 15 bytes: too short although it has more than 12 bytes.
  ExpectRefused("\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9-w\xc3\xb6r", "at least 12 characters");  // ünïcödé-wör
  // 12 characters in 17 bytes.
  ExpectAccepted("\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9-w\xc3\xb6rd");  // ünïcödé-wörd
  // 4-byte characters count once each: 8 keys + 4 letters = 12 characters, 36 bytes.
  std::string keys;
  for (int i = 0; i < 8; ++i) keys += "\xf0\x9f\x94\x91";
  ExpectRefused(keys + "lux", "at least 12 characters");
  ExpectAccepted(keys + "luxe");
  // 128 two-or-one-byte characters (192 bytes) are fine; 129 are too many.
  std::string wide;
  for (int i = 0; i < 64; ++i) {
    wide += "\xc3\xa9";
    wide.push_back(static_cast<char>('a' + i % 26));
  }
  ASSERT_EQ(wide.size(), 192u);
  ExpectAccepted(wide);
  ExpectRefused("\xc3\xa9" + wide, "at most 128 characters");
}

// --------------------------------------------------------------------------------------------
// Common and predictable passwords

TEST(PasswordPolicyTest, RefusesPasswordsOnTheCommonList) {
  for (std::string_view p : {"password1234", "PassWord1234", "correcthorsebatterystaple", "administrator",
                             "QWERTYUIOPASDFGH", "1qaz2wsx3edc", "taxreturn2024"}) {
    ExpectRefused(p, "too common");
    EXPECT_TRUE(IsCommonPassword(p)) << p;
  }
}

TEST(PasswordPolicyTest, RefusesCommonStemsPaddedWithDigitsAndSymbols) {
  for (std::string_view p : {"Password2024!!!", "Welcome@2025#", "dragon_1234567", "qwerty123456789", "Secret!!!!!!!!",
                             "LETMEIN-0000000", "p@ssw0rd-2025-!"}) {
    ExpectRefused(p, "too common");
  }
}

TEST(PasswordPolicyTest, AcceptsStemsFollowedByLetters) {
  // Only digits and symbols after a common stem are suspicious; real words are not.
  ExpectAccepted("dragonfly-meadow");
  ExpectAccepted("masterpiece-of-cake");
}

TEST(PasswordPolicyTest, RefusesRepetitions) {
  for (std::string_view p : {"monkeymonkeymonkey", "abc123abc123abc123", "loginloginlogin", "monkeymonkey99!",
                             "aaaaaaaaaaaa", "ZZZZZZZZZZZZZZZZ", "############"}) {
    ExpectRefused(p, "too common");
  }
}

TEST(PasswordPolicyTest, RefusesRunsOfConsecutiveCharacters) {
  for (std::string_view p : {"abcdefghijklm", "ABCDEFGHIJKLMNOP", "zyxwvutsrqpo", "987654321098", "1234567890123",
                             "3456789012345"}) {
    ExpectRefused(p, "too common");
  }
  // Almost a run is not a run.
  ExpectAccepted("abcdefghijkm-x");
}

TEST(PasswordPolicyTest, RefusesTheEmailNameInThePassword) {
  ExpectRefused("Alice-in-wonderland-77", "email name");
  ExpectRefused("my-secret-ALICE-key", "email name");
  // Names shorter than four characters are not checked (too many false positives).
  ExpectAccepted("bobsled-racing-team", "bob@example.com");
  // The domain is not the name.
  ExpectAccepted("example-violet-kettle", kEmail);
}

TEST(PasswordPolicyTest, RefusesInvalidUtf8) {
  for (std::string_view p : {
           std::string_view("\xff\xfe-valid-looking-text"),
           std::string_view("overlong-\xc0\xaf-slash-xx"),
           std::string_view("surrogate-\xed\xa0\x80-half-xx"),
           std::string_view("too-big-\xf4\x90\x80\x80-codepoint"),
           std::string_view("truncated-sequence-\xe2\x82"),
           std::string_view("lone-continuation-\x80-bytes"),
       }) {
    ExpectRefused(p, "valid UTF-8");
  }
}

TEST(PasswordPolicyTest, IsCommonPasswordIsCaseInsensitiveAndSpecific) {
  EXPECT_TRUE(IsCommonPassword("IloveYou1234"));
  EXPECT_TRUE(IsCommonPassword("PASSWORD"));
  EXPECT_FALSE(IsCommonPassword("violet-kettle-orbit-42"));
  EXPECT_FALSE(IsCommonPassword("correct horse battery staple"));
}

// Any characters are allowed: passphrases without ASCII letters are judged on length and the
// common list like any other.
TEST(PasswordPolicyTest, AcceptsPassphrasesWithoutAsciiLetters) {
  // "медведь идёт по лесу" (a bear walks in the forest), 20 characters.
  ExpectAccepted(
      "\xd0\xbc\xd0\xb5\xd0\xb4\xd0\xb2\xd0\xb5\xd0\xb4\xd1\x8c \xd0\xb8\xd0\xb4\xd1\x91\xd1\x82 "
      "\xd0\xbf\xd0\xbe \xd0\xbb\xd0\xb5\xd1\x81\xd1\x83");
  // "κρυφό μονοπάτι στο βουνό" (a hidden path on the mountain), 24 characters.
  ExpectAccepted(
      "\xce\xba\xcf\x81\xcf\x85\xcf\x86\xcf\x8c \xce\xbc\xce\xbf\xce\xbd\xce\xbf\xcf\x80\xce\xac\xcf\x84\xce\xb9 "
      "\xcf\x83\xcf\x84\xce\xbf \xce\xb2\xce\xbf\xcf\x85\xce\xbd\xcf\x8c");
  // A random 16-digit number with separators.
  ExpectAccepted("7305-9128-4467-0391");
  EXPECT_FALSE(IsCommonPassword("7305-9128-4467-0391"));
}

}  // namespace
}  // namespace tf::identity
