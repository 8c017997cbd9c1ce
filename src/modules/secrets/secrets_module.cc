#include "modules/secrets/secrets_module.h"

#include <filesystem>

#include "core/clock.h"
#include "core/status.h"
#include "core/time_format.h"
#include "modules/secrets/secrets_routes.h"
#include "modules/secrets/vault_kms.h"

namespace tf::secrets {

absl::StatusOr<std::unique_ptr<Kms>> OpenKms(const Config& config, const Clock& clock) {
  const SecretsConfig& c = config.secrets;
  if (c.kms == "vault-transit") {
    VaultOptions options{c.vault_address, c.vault_token, c.vault_namespace, c.vault_mount, c.vault_key, {}};
    options.http.timeout = std::chrono::milliseconds(c.vault_timeout_ms);
    options.http.ca_file = c.vault_ca_file;
    TF_ASSIGN_OR_RETURN(std::unique_ptr<VaultTransitKms> kms, VaultTransitKms::Open(std::move(options), clock));
    return std::unique_ptr<Kms>(std::move(kms));
  }
  if (!config.secrets.kek.empty()) {
    absl::StatusOr<std::unique_ptr<LocalKms>> kms = LocalKms::FromValue(config.secrets.kek, clock);
    if (!kms.ok()) return absl::InvalidArgumentError(StrCat("secrets.kek: ", kms.status().message()));
    return std::unique_ptr<Kms>(std::move(*kms));
  }
  std::string path = config.secrets.kek_file.empty()
                         ? (std::filesystem::path(config.data_dir) / "kek.keys").string()
                         : config.secrets.kek_file;
  TF_ASSIGN_OR_RETURN(std::unique_ptr<LocalKms> kms, LocalKms::FromFile(path, clock));
  return std::unique_ptr<Kms>(std::move(kms));
}

absl::StatusOr<KeyServices> OpenKeyServices(const Config& config, store::Database& db, const Clock& clock) {
  KeyServices k;
  TF_ASSIGN_OR_RETURN(k.kms, OpenKms(config, clock));
  k.data_keys = std::make_unique<DataKeys>(db, *k.kms, clock);
  TF_ASSIGN_OR_RETURN(k.key_store, OpenSubjectKeyStore(config, clock));
  k.personal_data = std::make_unique<PersonalData>(*k.key_store, *k.data_keys, clock);
  return k;
}

namespace {

//! Values one tenant's re-encryption changes per minute in trustd (trustctl keys reencrypt
//! does them all at once).
constexpr int64_t kReencryptPerRun = 5000;

}  // namespace

absl::Status SecretsModule::Register(ModuleContext& context) {
  TF_ASSIGN_OR_RETURN(keys_, OpenKeyServices(context.config, context.db, context.clock));
  // The platform's keys (made on first start) unwrap only under the KEK that made them: a
  // trustd given another KEK than the instances it shares the database with stops here.
  if (absl::StatusOr<DataKeyRing> ring = keys_.data_keys->Ring(std::string(kPlatformKeysTenant)); !ring.ok()) {
    return absl::FailedPreconditionError(
        StrCat("secrets: the KEK does not unwrap the data keys stored in the database (", ring.status().message(),
               "); every trustd sharing a database needs the same KEK (secrets.kek, secrets.kek_file or Vault)"));
  }
  context.data_keys = keys_.data_keys.get();
  context.personal_data = keys_.personal_data.get();
  context.health_checks.push_back({"subject_key_store", true, [this](nlohmann::json& details) {
                                     details["store"] = keys_.key_store->Describe();
                                     return keys_.key_store->Ping();
                                   }});
  context.health_checks.push_back({"keyring", false, [this, &clock = context.clock](nlohmann::json& details) {
                                     KmsStatus s = keys_.kms->Status();
                                     details["provider"] = s.provider;
                                     details["kek_latest_version"] = s.latest_version;
                                     details["kek_min_decryption_version"] = s.min_decryption_version;
                                     int64_t created = s.versions.empty() ? 0 : s.versions.back().created_at;
                                     details["kek_latest_created_at"] = FormatRfc3339Micros(created);
                                     details["kek_latest_age_days"] =
                                         (clock.NowMicros() - created) / kMicrosPerDay;
                                     return absl::OkStatus();
                                   }});
  if (!context.audit) return absl::FailedPreconditionError("the secrets module needs the audit module before it");
  inventory_ = std::make_unique<InventoryService>(context.db, *keys_.data_keys, *context.audit, context.clock, context.rng,
                                                  context.metrics);
  status_ = std::make_unique<EncryptionStatus>(keys_.stores(context.db), *keys_.data_keys, *keys_.personal_data, context.config, context.clock);
  RegisterSecretsRoutes(context.router, *inventory_, *status_, context.clock);
  TF_RETURN_IF_ERROR(context.scheduler.Every("secrets.sweep", std::chrono::minutes(1),
                                             [this]() -> absl::Status { return inventory_->Sweep().status(); }));
  reencryptor_ = std::make_unique<Reencryptor>(keys_.stores(context.db), *keys_.data_keys);
  metrics::Counter& reencrypted =
      context.metrics
          .AddCounter("secret_values_reencrypted_total", "Encrypted values moved to their tenant's latest data key.")
          .Get();
  metrics::Gauge& pending =
      context.metrics
          .AddGauge("secret_values_pending_reencryption",
                    "Encrypted values still under an older data key version (after the last re-encryption run).")
          .Get();
  return context.scheduler.Every("secrets.reencrypt", std::chrono::minutes(1), [this, &reencrypted, &pending]() -> absl::Status {
    TF_ASSIGN_OR_RETURN(std::vector<ReencryptResult> results, reencryptor_->Run(std::nullopt, 500, kReencryptPerRun));
    int64_t remaining = 0;
    for (const ReencryptResult& r : results) {
      reencrypted.Inc(static_cast<double>(r.reencrypted));
      remaining += r.remaining;
    }
    pending.Set(static_cast<double>(remaining));
    return absl::OkStatus();
  });
}

}  // namespace tf::secrets
