// libFuzzer target for the keyring's parsers: versioned ciphertext prefixes, field and wrapped
// key decryption of arbitrary text (which must fail cleanly), field encryption round trips of
// arbitrary plaintext, and the local KMS's key file. Any crash, leak or undefined behaviour,
// or a round trip that does not give back its input, is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/secret_file.h"
#include "modules/secrets/keyring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tf::secrets;
  static const bool init = tf::crypto::InitCrypto().ok();
  (void)init;
  static tf::FakeClock clock{tf::SysTime{}};
  static const DataKeyRing ring = [] {
    DataKeyRing r;
    r.keys[1] = SecretKey(std::string(32, '\x11'));
    r.keys[2] = SecretKey(std::string(32, '\x22'));
    r.latest = 2;
    return r;
  }();
  static const std::unique_ptr<LocalKms> kms =
      std::move(LocalKms::FromValue(tf::crypto::Base64Encode(std::string(32, '\x33')), clock).value());
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const FieldContext where{"tenant", "users", "email", "row"};

  (void)ParseVersioned(input, kFieldPrefix);
  if (DecryptField(ring, where, input).ok()) std::abort();  // no forgery from arbitrary text
  if (kms->Unwrap(input, "ctx").ok()) std::abort();
  auto sealed = EncryptField(ring, where, input);
  if (!sealed.ok() || DecryptField(ring, where, *sealed).value_or("") != input) std::abort();

  static const std::string path = "/dev/shm/tf-fuzz-kek-" + std::to_string(::getpid());
  static const int cleanup = std::atexit([] { ::unlink(path.c_str()); });
  (void)cleanup;
  if (tf::WriteOwnerOnlyFile(path, input, "fuzz").ok()) {
    auto loaded = LocalKms::FromFile(path, clock);
    if (loaded.ok()) {
      auto wrapped = (*loaded)->Wrap("dek", "ctx");
      if (!wrapped.ok() || (*loaded)->Unwrap(*wrapped, "ctx").value_or("") != "dek") std::abort();
    }
  }
  return 0;
}
