#pragma once
// The secrets module: opens the KMS named by the configuration (the local key file, or a KEK
// from the environment), builds DataKeys for the modules that encrypt fields (handed out
// through ModuleContext::data_keys), and reports the keyring in /health/detailed. It also
// serves the secret inventory and rotation ledger (InventoryService, secrets_routes.h) and
// sweeps it every minute, and every minute re-encrypts values still under older data key
// versions (Reencryptor). Registered right after the audit module, so every later module can
// encrypt. It opens the personal-data key store too (PersonalData, handed out through
// ModuleContext::personal_data).
// Thread-safety: see Module.

#include <memory>

#include "modules/module.h"
#include "modules/secrets/data_keys.h"
#include "modules/secrets/encryption_status.h"
#include "modules/secrets/inventory_service.h"
#include "modules/secrets/keyring.h"
#include "modules/secrets/personal_data.h"
#include "modules/secrets/reencrypt.h"

namespace tf::secrets {

//! The KMS the configuration names: Vault's Transit engine (secrets.kms = vault-transit);
//! else secrets.kek when set, else the key file secrets.kek_file (default kek.keys in
//! data_dir), created with a first version when absent.
absl::StatusOr<std::unique_ptr<Kms>> OpenKms(const Config& config, const Clock& clock);

//! What a process encrypts with: the KMS, each tenant's data keys in `db`, the personal-data
//! key store and PersonalData over them. trustd (this module) and trustctl open the same.
struct KeyServices {
  std::unique_ptr<Kms> kms;
  std::unique_ptr<DataKeys> data_keys;
  std::unique_ptr<store::Database> key_store;
  std::unique_ptr<PersonalData> personal_data;
  Stores stores(store::Database& db) const { return Stores{db, *key_store}; }
};
absl::StatusOr<KeyServices> OpenKeyServices(const Config& config, store::Database& db, const Clock& clock);

class SecretsModule final : public Module {
 public:
  std::string_view name() const override { return "secrets"; }
  absl::Status Register(ModuleContext& context) override;

 private:
  KeyServices keys_;
  std::unique_ptr<InventoryService> inventory_;
  std::unique_ptr<EncryptionStatus> status_;
  std::unique_ptr<Reencryptor> reencryptor_;
};

}  // namespace tf::secrets
