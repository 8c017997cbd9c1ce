#pragma once
// InventoryService: the secret inventory and its rotation ledger.
//  - Register: a secret's type, owner, rotation policy and where its value lives. A managed
//    secret's value is held here, field-encrypted with the tenant's data key; it is generated
//    to a format (and then rotates itself when due) or supplied by people. External secrets
//    are inventoried only: their rotations are recorded here, their values never are.
//  - Rotate: a new version (generated, supplied, or done elsewhere and recorded). The previous
//    version stays valid through the secret's grace period and is then destroyed; only the
//    current and one previous version are ever valid. Each rotation is a ledger row holding a
//    keyed hash of the previous value, never a value.
//  - Fetch: the current (and, in its grace period, the previous) value, for API tokens.
//  - Sweep, every minute: ends grace periods, destroys the values of ended versions, rotates
//    the self-rotating secrets that are due, raises the due/overdue reminders once per due
//    date (as audit events), and sets the secret_rotation_due/overdue gauges.
//  - Trust Fabric's own keys: each tenant's data key is in its inventory as the managed,
//    self-rotating secret kDataKeySecret (registered by the sweep once the tenant has one;
//    90 days by default, a policy like any other). Rotating it rotates the data key
//    (DataKeys::Rotate; values move to the new version in the background), and its version is
//    the data key's: a rotation made with `trustctl keys rotate` is recorded by the next sweep.
//    Its value never leaves the keyring, so it is never fetched. So is the KEK, as kKekSecret
//    in the system tenant (365 days); after a KEK rotation, made here or by trustctl, the
//    sweep rewraps every data key under the new version.
// Every change is audited in its own transaction; values never reach a response other than
// Fetch's, nor a log or an audit record.
// Platform operators act on any tenant (`tenant_id`, default their own); everyone else on
// their own tenant, and another tenant's secrets are NotFound.
// Thread-safety: safe from any thread; instances sharing a database may race on a rotation or
// a sweep, and each change is then made and recorded once.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/principal.h"
#include "core/rng.h"
#include "modules/audit/audit_log.h"
#include "modules/secrets/data_keys.h"
#include "modules/secrets/inventory_repo.h"
#include "nlohmann/json.hpp"
#include "store/database.h"

namespace tf::secrets {

struct NewSecret {
  std::optional<std::string> tenant_id;
  std::string name, type;
  std::optional<std::string> owner, description, location;
  bool managed = false;
  int64_t rotation_days = 0;
  int64_t grace_days = 0;
  std::optional<std::string> value;   //!< managed only; omitted: generated
  std::optional<std::string> format;  //!< generated values: base64url (default), hex, alphanumeric
  std::optional<int64_t> length;      //!< generated values' characters (default 43)
  std::optional<bool> auto_rotate;    //!< default: true for generated values
};

struct RotationRequest {
  std::optional<std::string> tenant_id;
  std::string secret_name;
  std::string reason;
  std::optional<std::string> value;  //!< managed secrets whose values people supply
  bool failed = false;               //!< an external rotation that failed
  std::optional<std::string> error;  //!< what went wrong (failed only)
  nlohmann::json metadata = nlohmann::json::object();
};

struct PolicyChange {
  std::optional<std::string> tenant_id;
  std::optional<std::string> secret_name;  //!< exactly one of secret_name and type
  std::optional<std::string> type;         //!< every secret of the type in the tenant
  int64_t rotation_days = 0;
  std::optional<int64_t> grace_days;
  std::optional<bool> auto_rotate;
};

//! A managed secret's valid values.
struct FetchedSecret {
  Secret secret;
  std::string value;
  struct Previous {
    int64_t version = 0;
    std::string value;
    int64_t valid_until = 0;
  };
  std::optional<Previous> previous;  //!< in the previous version's grace period
};

struct SweepResult {
  int64_t grace_ended = 0, values_destroyed = 0, rotated = 0, failed = 0, reminders = 0;
};

class InventoryService {
 public:
  InventoryService(store::Database& db, DataKeys& keys, audit::AuditLog& audit, const Clock& clock, Rng& rng,
                   metrics::Registry& metrics);

  absl::StatusOr<Secret> Register(const Principal& caller, NewSecret s);
  absl::StatusOr<std::vector<Secret>> List(const Principal& caller, SecretFilter filter,
                                           std::optional<DueState> state = std::nullopt);
  //! Secrets due within `within` microseconds (overdue ones first), soonest first.
  absl::StatusOr<std::vector<Secret>> Due(const Principal& caller, const std::optional<std::string>& tenant_id,
                                          int64_t within, const std::optional<std::pair<int64_t, std::string>>& after,
                                          int limit);
  absl::StatusOr<FetchedSecret> Fetch(const Principal& caller, const std::optional<std::string>& tenant_id,
                                      const std::string& name);
  //! The ledger row; FailedPrecondition (with the FAILED row recorded) when a managed
  //! rotation could not be made.
  absl::StatusOr<Rotation> Rotate(const Principal& caller, RotationRequest r);
  absl::StatusOr<std::vector<Rotation>> Rotations(const Principal& caller, RotationFilter filter);
  absl::StatusOr<std::vector<Secret>> SetPolicy(const Principal& caller, const PolicyChange& change);
  absl::StatusOr<SweepResult> Sweep();

  DueState StateOf(const Secret& s) const;

  //! The inventory name of a tenant's data key.
  static constexpr std::string_view kDataKeySecret = "trust-fabric.data-key";
  static constexpr int64_t kDataKeyRotationDays = 90;
  //! The platform's key-encryption key, in the system tenant's inventory.
  static constexpr std::string_view kKekSecret = "trust-fabric.kek";
  static constexpr int64_t kKekRotationDays = 365;
  static constexpr int64_t kReminderWindowDays = 7;
  static constexpr int64_t kMaxRotationDays = 3650;
  static constexpr int64_t kMaxGraceDays = 90;
  static constexpr size_t kMaxValueBytes = 16 * 1024;

 private:
  //! The tenant the caller acts on: `requested` for platform operators (default their own),
  //! else their own (NotFound for another).
  absl::StatusOr<std::string> TenantFor(const Principal& caller, const std::optional<std::string>& requested) const;
  absl::StatusOr<Secret> Find(const std::string& tenant_id, const std::string& name);
  //! Makes a new version of `s` current and records it; `value` for managed secrets.
  //! `version` is the new version's number (default: the next); a data key's is its own.
  absl::StatusOr<Rotation> Apply(const Secret& s, std::string_view kind, const std::string& actor,
                                 const audit::Actor& audit_actor, const RotationRequest& r,
                                 const std::optional<std::string>& value, std::optional<int64_t> version = {});
  absl::StatusOr<Rotation> RecordFailure(const Secret& s, std::string_view kind, const std::string& actor,
                                         const audit::Actor& audit_actor, const RotationRequest& r,
                                         std::string error);
  //! A new ledger row of `s` with its common fields set.
  Rotation LedgerRow(const Secret& s, std::string_view kind, std::string_view status, const std::string& actor,
                     int64_t now);
  absl::StatusOr<std::string> Encrypt(const Secret& s, int64_t version, std::string_view value);
  absl::StatusOr<std::string> Decrypt(const SecretVersion& v);
  absl::Status SweepAutomaticRotations(int64_t now, SweepResult& result);
  //! One of Trust Fabric's keys as the inventory keeps it.
  struct OwnKey {
    std::string tenant_id;
    std::string_view name, format;
    int64_t version = 0;
    int64_t rotation_days = 0;
    std::string description;
    std::function<absl::StatusOr<int64_t>()> made_at;  //!< when the current version was made
  };
  //! Registers each tenant's data key, and the KEK in the system tenant, and records their
  //! rotations made elsewhere.
  absl::Status SweepOwnKeys(int64_t now);
  absl::Status SweepOwnKey(const OwnKey& key, int64_t now);
  absl::Status RegisterOwnKey(const OwnKey& key, int64_t now);
  //! Rewraps the data keys wrapped by a KEK version below `kek_version` (after a rotation).
  absl::Status RewrapKeys(int kek_version);
  //! Rotates the key `s` stands for and records it.
  absl::StatusOr<Rotation> RotateOwnKey(const Secret& s, std::string_view kind, const std::string& actor,
                                        const audit::Actor& audit_actor, const RotationRequest& r);
  absl::Status SweepReminders(int64_t now, SweepResult& result);

  store::Database& db_;
  DataKeys& keys_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  Rng& rng_;
  InventoryRepo repo_;
  metrics::GaugeFamily& due_;
  metrics::GaugeFamily& overdue_;
  metrics::CounterFamily& rotations_;
  metrics::Counter& fetches_;
};

//! A new value in `format` of `length` characters, from the system's CSPRNG.
absl::StatusOr<std::string> GenerateValue(std::string_view format, int64_t length);

}  // namespace tf::secrets
