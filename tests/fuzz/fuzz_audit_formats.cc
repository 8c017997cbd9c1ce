// libFuzzer target for the audit trail's formats: signed notes and note keys (checkpoints that
// trustctl audit verify opens), export bundles and their manifests (what an auditor's
// trustctl audit verify --bundle reads; the seeds are bundles signed with the key below),
// RFC 8785 canonical JSON of arbitrary JSON (request bodies become audit details) and stored
// tiles. Any crash, leak or undefined behaviour is a finding, as is a
// canonical form that does not parse back to the same value or is not a fixed point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/signed_note.h"
#include "modules/audit/audit_export.h"
#include "modules/audit/bundle_verifier.h"
#include "modules/audit/tile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool init = tf::crypto::InitCrypto().ok();
  (void)init;
  static const tf::note::Verifier verifier =
      tf::note::Verifier::FromKeyString("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").value();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)tf::note::Open(input, verifier);
  (void)tf::note::Verifier::FromKeyString(input);
  (void)tf::note::Signer::FromKeyString(input);
  (void)tf::audit::Manifest::Parse(input);
  for (auto format : {tf::audit::BundleFormat::kJsonl, tf::audit::BundleFormat::kJson}) {
    std::istringstream bundle{std::string(input)};
    (void)tf::audit::VerifyBundle(bundle, format, verifier);
  }

  nlohmann::json value = nlohmann::json::parse(input, nullptr, false);
  if (!value.is_discarded()) {
    auto canonical = tf::CanonicalJson(value);
    if (canonical.ok()) {
      nlohmann::json again = nlohmann::json::parse(*canonical, nullptr, false);
      if (again.is_discarded()) std::abort();
      auto twice = tf::CanonicalJson(again);
      if (!twice.ok() || *twice != *canonical) std::abort();
    }
  }

  int width = size > 0 ? data[0] % 20 : 0;
  tf::audit::StoredTile tile{{0, 0}, width, std::string(input.substr(size > 0 ? 1 : 0))};
  for (int row = 0; row < 4; ++row) (void)tile.At(row, 0);
  (void)tf::audit::Tile::Decode({0, 0}, width, tile.bytes);
  return 0;
}
