#include "app/trustctl_keys.h"

#include <cstdio>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/time_format.h"
#include "modules/audit/audit_log.h"
#include "modules/secrets/data_keys.h"
#include "modules/secrets/reencrypt.h"
#include "modules/secrets/secrets_module.h"
#include "store/migrator.h"
#include "store/open.h"

namespace tf::keys_cli {

namespace {

struct Opened {
  std::unique_ptr<store::Database> db;
  secrets::KeyServices keys;
};

absl::StatusOr<Opened> Open(const Config& config) {
  Opened o;
  absl::StatusOr<std::unique_ptr<store::Database>> db = store::OpenDatabase(config.database, config.data_dir);
  if (!db.ok()) return db.status();
  if (absl::Status ready = store::CheckReadyToServe(**db); !ready.ok()) return ready;
  o.db = std::move(*db);
  absl::StatusOr<secrets::KeyServices> keys = secrets::OpenKeyServices(config, *o.db, SystemClock::Instance());
  if (!keys.ok()) return keys.status();
  o.keys = std::move(*keys);
  return o;
}

absl::Status Record(store::Database& db, const std::optional<std::string>& tenant, audit::AuditEvent event) {
  metrics::Registry metrics;
  audit::AuditLog log(db, SystemClock::Instance(), metrics);
  return log.RecordEventDurable(tenant, audit::Actor::System(), event);
}

//! Whether the tenant's data key `version` is old enough that no instance writes under an
//! older one any more.
absl::StatusOr<bool> Settled(secrets::DataKeys& keys, const std::string& tenant, int version) {
  TF_ASSIGN_OR_RETURN(auto stored, keys.Stored(tenant));
  int64_t now = SystemClock::Instance().NowMicros();
  for (const secrets::StoredDataKey& k : stored.second) {
    if (k.version == version) {
      return now - k.created_at >= std::chrono::microseconds(secrets::DataKeys::kSettleTime).count();
    }
  }
  return false;
}

}  // namespace

absl::Status Status(const Config& config) {
  absl::StatusOr<Opened> o = Open(config);
  if (!o.ok()) return o.status();
  secrets::KmsStatus s = o->keys.kms->Status();
  std::printf("provider: %s\nKEK latest version: %d\nKEK min_decryption_version: %d\n", s.provider.c_str(),
              s.latest_version, s.min_decryption_version);
  int64_t now = SystemClock::Instance().NowMicros();
  for (const secrets::KekVersion& v : s.versions) {
    std::printf("  v%d  created %s  (%lld days ago)%s\n", v.version,
                FormatRfc3339(FromUnixMicros(v.created_at)).c_str(),
                static_cast<long long>((now - v.created_at) / kMicrosPerDay),
                v.version < s.min_decryption_version ? "  retired" : "");
  }
  absl::StatusOr<std::vector<std::pair<int, int64_t>>> counts = o->db->InTx(
      store::ReadTx(), [](store::Transaction& tx) { return secrets::SecretsRepo().CountByKekVersion(tx); });
  if (!counts.ok()) return counts.status();
  int64_t total = 0, current = 0;
  for (const auto& [version, n] : *counts) {
    std::printf("data keys wrapped by KEK v%d: %lld\n", version, static_cast<long long>(n));
    total += n;
    if (version == s.latest_version) current = n;
  }
  std::printf("data keys under the latest KEK version: %lld of %lld\n", static_cast<long long>(current),
              static_cast<long long>(total));
  return absl::OkStatus();
}

absl::Status Rotate(const Config& config, const std::optional<std::string>& tenant) {
  absl::StatusOr<Opened> o = Open(config);
  if (!o.ok()) return o.status();
  if (tenant) {
    absl::StatusOr<store::Rows> found = o->db->InTx(store::ReadTx(), [&](store::Transaction& tx) {
      return tx.Query("SELECT id FROM tenants WHERE id = ?", {*tenant});
    });
    if (!found.ok()) return found.status();
    if (found->empty()) return absl::NotFoundError(StrCat("there is no tenant ", *tenant));
    secrets::DataKeys& keys = *o->keys.data_keys;
    metrics::Registry metrics;
    audit::AuditLog log(*o->db, SystemClock::Instance(), metrics);
    absl::StatusOr<int> version = keys.Rotate(*tenant, [&](store::Transaction& tx, int v) {
      return log.RecordEvent(tx, *tenant, audit::Actor::System(),
                             {"key.rotated", "UPDATE", "data_key", *tenant, {{"version", v}}});
    });
    if (!version.ok()) return version.status();
    std::printf("data key of tenant %s rotated: new values use v%d; older values still decrypt\n",
                tenant->c_str(), *version);
    return absl::OkStatus();
  }
  // The KEK lives in the KMS (a file or Vault Transit), outside the database's transactions: its
  // record follows it, and should that fail, the secret inventory's next sweep records the
  // rotation as made outside it.
  absl::StatusOr<int> version = o->keys.kms->Rotate();
  if (!version.ok()) return version.status();
  TF_RETURN_IF_ERROR(
      Record(*o->db, std::nullopt,
             {"key.rotated", "UPDATE", "kek", o->keys.kms->Status().provider, {{"version", *version}}}));
  std::printf(
      "KEK rotated: new data keys are wrapped by v%d. Run `trustctl keys rewrap --retire` to move the "
      "existing ones and retire the older versions.\n",
      *version);
  return absl::OkStatus();
}

absl::Status Rewrap(const Config& config, bool retire, bool quiet) {
  absl::StatusOr<Opened> o = Open(config);
  if (!o.ok()) return o.status();
  secrets::DataKeys& keys = *o->keys.data_keys;
  absl::StatusOr<secrets::RewrapResult> result = keys.RewrapAll(500, [quiet](int64_t done) {
    if (!quiet) std::fprintf(stderr, "rewrapped %lld data keys\n", static_cast<long long>(done));
  });
  if (!result.ok()) return result.status();
  if (retire) TF_RETURN_IF_ERROR(o->keys.kms->SetMinDecryptionVersion(result->kek_version));
  nlohmann::json details = {{"rewrapped", result->rewrapped},
                            {"kek_version", result->kek_version},
                            {"retired_below", retire ? result->kek_version : 0}};
  TF_RETURN_IF_ERROR(
      Record(*o->db, std::nullopt, {"keys.rewrapped", "UPDATE", "kek", o->keys.kms->Status().provider, details}));
  std::printf("%lld data keys rewrapped; every data key is now wrapped by KEK v%d%s\n",
              static_cast<long long>(result->rewrapped), result->kek_version,
              retire ? "; older KEK versions are retired" : "");
  return absl::OkStatus();
}

absl::Status Reencrypt(const Config& config, const std::optional<std::string>& tenant, bool retire, bool quiet) {
  absl::StatusOr<Opened> o = Open(config);
  if (!o.ok()) return o.status();
  secrets::DataKeys& keys = *o->keys.data_keys;
  secrets::Reencryptor reencryptor(o->keys.stores(*o->db), keys);
  if (tenant) {
    absl::StatusOr<std::pair<std::optional<secrets::KeyState>, std::vector<secrets::StoredDataKey>>> stored =
        keys.Stored(*tenant);
    if (!stored.ok()) return stored.status();
    if (!stored->first) return absl::NotFoundError(StrCat("no tenant ", *tenant, " with data keys"));
  }
  absl::StatusOr<std::vector<secrets::ReencryptResult>> results =
      reencryptor.Run(tenant, 500, 0, [quiet](const std::string& t, int64_t done) {
        if (!quiet) std::fprintf(stderr, "tenant %s: re-encrypted %lld values\n", t.c_str(), static_cast<long long>(done));
      });
  if (!results.ok()) return results.status();
  int64_t failed = 0;
  for (const secrets::ReencryptResult& r : *results) {
    bool retired = false;
    if (retire && r.remaining == 0 && r.failed == 0) {
      TF_ASSIGN_OR_RETURN(bool settled, Settled(keys, r.tenant_id, r.latest_version));
      // Counted again at the last moment: a value written meanwhile keeps the versions.
      TF_ASSIGN_OR_RETURN(int64_t remaining, reencryptor.Remaining(r.tenant_id, r.latest_version));
      retired = settled && remaining == 0;
      if (!settled) {
        std::printf("tenant %s: data key v%d is newer than %lld s, so instances may still write under older "
                    "versions; run this again shortly to retire them\n",
                    r.tenant_id.c_str(), r.latest_version,
                    static_cast<long long>(secrets::DataKeys::kSettleTime.count()));
      }
    }
    if (retired) TF_RETURN_IF_ERROR(keys.Retire(r.tenant_id, r.latest_version));
    failed += r.failed;
    nlohmann::json details = {{"reencrypted", r.reencrypted},
                              {"failed", r.failed},
                              {"remaining", r.remaining},
                              {"data_key_version", r.latest_version},
                              {"retired_below", retired ? r.latest_version : 0}};
    TF_RETURN_IF_ERROR(Record(*o->db, r.tenant_id, {"keys.reencrypted", "UPDATE", "data_key", r.tenant_id, details}));
    std::printf("tenant %s: %lld values re-encrypted under data key v%d; %lld failed, %lld still under older "
                "versions%s\n",
                r.tenant_id.c_str(), static_cast<long long>(r.reencrypted), r.latest_version,
                static_cast<long long>(r.failed), static_cast<long long>(r.remaining),
                retired ? "; older versions retired" : retire ? "; nothing retired" : "");
  }
  if (failed > 0) {
    return absl::DataLossError(StrCat(failed, " values did not decrypt (tampered, or under a retired version); "
                                              "their tenants' older versions were not retired"));
  }
  return absl::OkStatus();
}

}  // namespace tf::keys_cli
