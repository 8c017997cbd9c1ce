#pragma once
// One-time passwords exactly as RFC 4226 (HOTP) and RFC 6238 (TOTP) define them: HMAC-SHA1,
// dynamic truncation, 6 digits, T0 = 0 and a 30-second step, plus the RFC 4648 base32 that
// authenticator apps exchange secrets in and the otpauth:// URI they scan.
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tf::totp {

inline constexpr int kDigits = 6;
inline constexpr int kStepSeconds = 30;

//! RFC 4648 base32, upper case, without padding (as otpauth URIs carry it).
std::string Base32Encode(std::string_view bytes);
//! Accepts upper or lower case, spaces and trailing '=' padding; InvalidArgument otherwise.
absl::StatusOr<std::string> Base32Decode(std::string_view text);

//! RFC 4226: the `digits`-digit code for `counter`, zero-padded.
std::string Hotp(std::string_view key, uint64_t counter, int digits = kDigits);
//! RFC 6238 time step of a Unix time (floor((t - T0) / X)).
int64_t TimeStep(int64_t unix_seconds);
//! RFC 6238 code at a Unix time.
std::string Totp(std::string_view key, int64_t unix_seconds, int digits = kDigits);

//! The time step whose code `code` is, searched from one step behind `unix_seconds` to one
//! ahead (one step of clock drift either way), and only among steps after `last_used_step` so a
//! code cannot be used twice. Compares in constant time; nullopt when nothing matches.
std::optional<int64_t> MatchStep(std::string_view key, std::string_view code, int64_t unix_seconds,
                                 std::optional<int64_t> last_used_step);

//! The Key Uri Format authenticator apps scan:
//! otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view base32_secret);

}  // namespace tf::totp
