// libFuzzer target for the second-factor parsers: base32 decoding (round trip through the
// encoder), TOTP matching of arbitrary codes against arbitrary keys, recovery-code folding and
// user-agent naming. Any crash, leak or undefined behaviour is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/totp.h"
#include "modules/identity/account_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = tf::crypto::InitCrypto().ok();
  (void)init;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = tf::totp::Base32Decode(input);
  if (decoded.ok()) {
    auto again = tf::totp::Base32Decode(tf::totp::Base32Encode(*decoded));
    if (!again.ok() || *again != *decoded) std::abort();  // encode(decode(x)) must decode to the same bytes
  }
  size_t split = size / 2;
  std::string_view key = input.substr(0, split);
  std::string_view code = input.substr(split);
  (void)tf::totp::MatchStep(key, code, static_cast<int64_t>(size) * 977, std::nullopt);
  (void)tf::identity::RecoveryCodeHash("user", code);
  (void)tf::identity::DescribeUserAgent(input);
  return 0;
}
