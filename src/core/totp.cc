#include "core/totp.h"

#include <array>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "core/crypto.h"
#include "core/strings.h"

namespace tf::totp {

namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

//! RFC 3986 percent-encoding of everything but the unreserved characters.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

absl::StatusOr<std::string> Base32Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char raw : text) {
    if (raw == ' ') continue;
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    size_t v = kBase32Alphabet.find(c);
    if (v == std::string_view::npos) return absl::InvalidArgumentError("not base32 (RFC 4648: A-Z, 2-7)");
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string Hotp(std::string_view key, uint64_t counter, int digits) {
  std::array<char, 8> message{};
  for (int i = 7; i >= 0; --i) {
    message[i] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
  std::string mac = crypto::HmacSha1(key, std::string_view(message.data(), message.size()));
  // Dynamic truncation (RFC 4226 section 5.3).
  int offset = static_cast<unsigned char>(mac[19]) & 0x0f;
  uint32_t binary = (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset]) & 0x7f) << 24) |
                    (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 1])) << 16) |
                    (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 2])) << 8) |
                    static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 3]));
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

int64_t TimeStep(int64_t unix_seconds) {
  // Floor division, so times before T0 (never used in practice) stay monotonic.
  int64_t q = unix_seconds / kStepSeconds;
  return (unix_seconds % kStepSeconds < 0) ? q - 1 : q;
}

std::string Totp(std::string_view key, int64_t unix_seconds, int digits) {
  return Hotp(key, static_cast<uint64_t>(TimeStep(unix_seconds)), digits);
}

std::optional<int64_t> MatchStep(std::string_view key, std::string_view code, int64_t unix_seconds,
                                 std::optional<int64_t> last_used_step) {
  if (code.size() != kDigits) return std::nullopt;
  int64_t now = TimeStep(unix_seconds);
  std::optional<int64_t> match;
  // Every candidate is computed and compared, so the time taken says nothing about which matched.
  for (int64_t step = now - 1; step <= now + 1; ++step) {
    bool equal = crypto::ConstantTimeEquals(Hotp(key, static_cast<uint64_t>(step)), code);
    if (equal && !match && (!last_used_step || step > *last_used_step)) match = step;
  }
  return match;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view base32_secret) {
  return StrCat("otpauth://totp/", PercentEncode(issuer), ":", PercentEncode(account), "?secret=", base32_secret,
                "&issuer=", PercentEncode(issuer), "&algorithm=SHA1&digits=", kDigits, "&period=", kStepSeconds);
}

}  // namespace tf::totp
