#pragma once
// Persistence of the secret inventory (secrets, secret_versions, secret_rotations) through
// store::Database only. Changes that several instances may race on are conditional and report
// whether they applied, so the instance whose change applied is the one that records it.
// Thread-safety: stateless; each call runs in the caller's transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "modules/secrets/inventory_types.h"
#include "store/database.h"

namespace tf::secrets {

struct SecretFilter {
  std::optional<std::string> tenant_id, type, owner, name_contains;
  std::optional<bool> managed;
  std::optional<int64_t> due_before;  //!< next_rotation_at <= due_before
  std::optional<int64_t> due_after;   //!< next_rotation_at > due_after
  std::optional<std::string> after_id;
  int limit = 50;
};

struct RotationFilter {
  std::optional<std::string> tenant_id, secret_name, secret_type, status, kind;
  std::optional<int64_t> from, to;  //!< rotated_at in [from, to)
  std::optional<std::string> before_id;  //!< newest first: ids below this
  int limit = 50;
};

class InventoryRepo {
 public:
  using Tx = store::Transaction;

  absl::StatusOr<bool> TenantExists(Tx& tx, const std::string& tenant_id);
  absl::StatusOr<std::optional<std::string>> TenantIdBySlug(Tx& tx, std::string_view slug);

  //! False when the tenant already has a secret of that name.
  absl::StatusOr<bool> InsertSecret(Tx& tx, const Secret& s);
  absl::StatusOr<std::optional<Secret>> FindSecret(Tx& tx, const std::string& tenant_id, const std::string& name);
  //! Ordered by id.
  absl::StatusOr<std::vector<Secret>> ListSecrets(Tx& tx, const SecretFilter& f);
  //! Secrets due by `before`, soonest first, after the (next_rotation_at, id) `after`.
  absl::StatusOr<std::vector<Secret>> DueSecrets(Tx& tx, const std::optional<std::string>& tenant_id, int64_t before,
                                                 const std::optional<std::pair<int64_t, std::string>>& after,
                                                 int limit);
  //! Managed secrets that rotate themselves and are due at `now`, soonest first, after the
  //! (next_rotation_at, id) `after`.
  absl::StatusOr<std::vector<Secret>> AutoRotationsDue(Tx& tx, int64_t now,
                                                       const std::optional<std::pair<int64_t, std::string>>& after,
                                                       int limit);
  //! Writes the rotation fields of `s` (version, times, reminder) if the secret is still as
  //! `expected` was read (version and last update); false when a rotation or a policy change
  //! came first.
  absl::StatusOr<bool> UpdateRotated(Tx& tx, const Secret& s, const Secret& expected);
  //! Writes the policy fields (rotation_days, grace_days, auto_rotate, next_rotation_at).
  absl::Status UpdatePolicy(Tx& tx, const Secret& s);
  //! Moves the secret's reminder from the one `s` was read with to `to`; false when the
  //! reminder or the due date changed since.
  absl::StatusOr<bool> SetReminder(Tx& tx, const Secret& s, const std::optional<std::string>& to, int64_t at);
  //! Secrets due by `before` (the reminder window's end), and those with a reminder raised.
  absl::StatusOr<std::vector<Secret>> DueOrReminded(Tx& tx, int64_t before);

  absl::Status InsertVersion(Tx& tx, const SecretVersion& v);
  absl::StatusOr<std::optional<SecretVersion>> Version(Tx& tx, const std::string& secret_id, int64_t version);
  //! Ends version `version` of the secret at `valid_until` (if it was not ending sooner).
  absl::Status EndVersion(Tx& tx, const std::string& secret_id, int64_t version, int64_t valid_until);
  //! Ends every version of the secret below `below` now.
  absl::Status EndVersionsBelow(Tx& tx, const std::string& secret_id, int64_t below, int64_t now);
  //! Destroys the stored values of versions no longer valid at `now`; returns how many.
  absl::StatusOr<int64_t> DestroyExpiredValues(Tx& tx, int64_t now);

  absl::Status InsertRotation(Tx& tx, const Rotation& r);
  absl::StatusOr<std::vector<Rotation>> ListRotations(Tx& tx, const RotationFilter& f);
  //! The row that made `version` of the secret current.
  absl::StatusOr<std::optional<Rotation>> RotationOf(Tx& tx, const std::string& secret_id, int64_t version);
  //! The secret's newest ledger row.
  absl::StatusOr<std::optional<Rotation>> LatestRotation(Tx& tx, const std::string& secret_id);
  //! Moves a row from status `from` to `to` (valid_until set when given); false when it was
  //! no longer `from`.
  absl::StatusOr<bool> SetRotationStatus(Tx& tx, const std::string& id, std::string_view from, std::string_view to,
                                         int64_t at, std::optional<int64_t> valid_until = std::nullopt);
  //! DEPRECATED rows whose version's grace period ended by `now`.
  absl::StatusOr<std::vector<Rotation>> GraceEnded(Tx& tx, int64_t now, int limit);
  //! The secret's DEPRECATED rows for versions below `below`.
  absl::StatusOr<std::vector<Rotation>> DeprecatedBelow(Tx& tx, const std::string& secret_id, int64_t below);
};

}  // namespace tf::secrets
