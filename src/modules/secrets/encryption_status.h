#pragma once
// EncryptionStatus: the answer of GET /api/security/encryption-status, for auditors and
// administrators: what is encrypted at rest (each declared column, how many values under which
// data key version), the tenant's data keys and their ages, TLS in transit (and the
// certificate's expiry), and the key management (the KMS provider, its versions, and how far
// the rewrap onto the latest KEK version has come). People's data sealed under their own keys
// is reported apart (each PersonalColumns() column, and how many people have keys or were
// erased).
// Tenants see their own keys; platform operators name a tenant, and also see the rewrap of
// every tenant's keys.
// Thread-safety: safe from any thread.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/principal.h"
#include "modules/secrets/data_keys.h"
#include "modules/secrets/personal_data.h"
#include "modules/secrets/reencrypt.h"
#include "nlohmann/json.hpp"
#include "store/database.h"

namespace tf::secrets {

class EncryptionStatus {
 public:
  EncryptionStatus(Stores stores, DataKeys& keys, PersonalData& personal, const Config& config, const Clock& clock)
      : stores_(stores), keys_(keys), personal_(personal), config_(config), clock_(clock) {}

  absl::StatusOr<nlohmann::json> Get(const Principal& caller, const std::optional<std::string>& tenant_id);

 private:
  absl::StatusOr<nlohmann::json> Columns(const std::string& tenant_id);
  absl::StatusOr<nlohmann::json> PersonalDataStatus(const std::string& tenant_id);
  nlohmann::json InTransit() const;

  Stores stores_;
  DataKeys& keys_;
  PersonalData& personal_;
  const Config& config_;
  const Clock& clock_;
  SecretsRepo repo_;
};

}  // namespace tf::secrets
