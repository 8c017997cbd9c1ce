#include "modules/identity/password_policy.h"
#include "core/strings.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/utf8.h"

namespace tf::identity {

namespace {

// Frequently used passwords of 12 or more characters, and short favourites that people pad to
// length by repetition or suffixes (checked after stripping trailing digits and symbols).
constexpr std::string_view kCommon[] = {
    "123456789012", "1234567890123", "12345678901234", "123456789123", "1234567891011",
    "111111111111", "000000000000", "123123123123", "121212121212", "112233445566",
    "qwertyuiopas", "qwertyuiop123", "qwertyuiopasdfgh", "qwertyuiopasdfghjkl", "1qaz2wsx3edc",
    "1q2w3e4r5t6y", "zaq12wsxcde3", "asdfghjkl123", "zxcvbnm12345", "abcdefghijkl",
    "abc123abc123", "password1234", "password12345", "password123456", "passwordpassword",
    "password123!", "password@123", "iloveyou1234", "iloveyouiloveyou", "letmein12345",
    "welcome12345", "welcome@1234", "changeme1234", "changemenow!", "administrator",
    "administrator1", "admin1234567", "adminadmin123", "trustno1trustno1", "football1234",
    "baseball1234", "basketball12", "superman1234", "princess1234", "sunshine1234",
    "starwars1234", "whatever1234", "michael12345", "jennifer1234", "qwerty123456",
    "qwertyqwerty", "monkeymonkey", "dragondragon", "shadowshadow", "masterkey123",
    "correcthorsebatterystaple", "passw0rdpassw0rd", "p@ssw0rd1234", "p@ssword1234",
    "summer2024!!", "winter2024!!", "spring2025!!", "autumn2025!!", "company12345",
    "accounting123", "bookkeeping1", "taxreturn2024", "letmeinplease", "secretpassword",
};

constexpr std::string_view kCommonStems[] = {
    "password", "passw0rd", "p@ssw0rd", "qwerty", "letmein", "welcome", "iloveyou", "admin",
    "changeme", "monkey", "dragon", "football", "baseball", "master", "sunshine", "princess",
    "trustno1", "abc123", "123456", "654321", "111111", "secret", "login", "starwars",
};

bool IsRepetitionOf(std::string_view s, std::string_view unit) {
  if (unit.empty() || s.size() % unit.size() != 0) return false;
  for (size_t i = 0; i < s.size(); i += unit.size()) {
    if (s.substr(i, unit.size()) != unit) return false;
  }
  return true;
}

}  // namespace

bool IsCommonPassword(std::string_view password) {
  std::string lower = absl::AsciiStrToLower(Sv(password));
  for (std::string_view c : kCommon) {
    if (lower == c) return true;
  }
  // A common stem followed only by digits and symbols ("Password2024!!!"), or repeated.
  std::string stem = lower;
  while (!stem.empty() && !absl::ascii_isalpha(static_cast<unsigned char>(stem.back()))) stem.pop_back();
  for (std::string_view c : kCommonStems) {
    if (stem == c || IsRepetitionOf(lower, c) || (!stem.empty() && IsRepetitionOf(stem, c))) return true;
  }
  // One character repeated, or a run of consecutive characters ("abcdefghijklm", "987654321098").
  if (lower.find_first_not_of(lower[0]) == std::string::npos) return true;
  bool ascending = true, descending = true;
  for (size_t i = 1; i < lower.size(); ++i) {
    int d = static_cast<unsigned char>(lower[i]) - static_cast<unsigned char>(lower[i - 1]);
    ascending = ascending && (d == 1 || (lower[i - 1] == '9' && lower[i] == '0'));
    descending = descending && (d == -1 || (lower[i - 1] == '0' && lower[i] == '9'));
  }
  return ascending || descending;
}

absl::Status CheckPassword(std::string_view password, std::string_view email) {
  if (!IsValidUtf8(password)) return FieldError("password", "must be valid UTF-8 text");
  // Length in characters, not bytes, so non-ASCII passwords are judged fairly.
  size_t chars = std::count_if(password.begin(), password.end(),
                               [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  if (chars < kMinPasswordLength) {
    return FieldError("password", StrCat("must be at least ", kMinPasswordLength, " characters long"));
  }
  if (chars > kMaxPasswordLength) {
    return FieldError("password", StrCat("must be at most ", kMaxPasswordLength, " characters long"));
  }
  if (IsCommonPassword(password)) {
    return FieldError("password", "is too common or too predictable; choose a longer passphrase");
  }
  std::string local = absl::AsciiStrToLower(Sv(email.substr(0, email.find('@'))));
  if (local.size() >= 4 && absl::StrContains(absl::AsciiStrToLower(Sv(password)), local)) {
    return FieldError("password", "must not contain the account's email name");
  }
  return absl::OkStatus();
}

}  // namespace tf::identity
