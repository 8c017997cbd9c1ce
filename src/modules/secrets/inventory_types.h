#pragma once
// The secret inventory's values: a registered secret and its rotation policy, a version of a
// managed secret's value, and a rotation ledger row. See 0009_secret_inventory.sql.
// Thread-safety: plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tf::secrets {

//! The kinds of secret the inventory knows.
inline constexpr std::string_view kSecretTypes[] = {
    "DATABASE", "ENCRYPTION_KEY", "SIGNING_KEY", "API_KEY",  "OAUTH_SECRET", "WEBHOOK_SECRET",
    "PASSWORD", "CERTIFICATE",    "SSH_KEY",     "TLS_KEY",  "OTHER",
};

//! Ledger statuses; see the migration.
inline constexpr std::string_view kActive = "ACTIVE";
inline constexpr std::string_view kDeprecated = "DEPRECATED";
inline constexpr std::string_view kRotated = "ROTATED";
inline constexpr std::string_view kFailed = "FAILED";

//! Ledger kinds.
inline constexpr std::string_view kRegistered = "registered";
inline constexpr std::string_view kManual = "manual";
inline constexpr std::string_view kExternal = "external";
inline constexpr std::string_view kAutomatic = "automatic";

struct Secret {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string type;
  std::optional<std::string> owner, description;
  bool managed = false;
  std::optional<std::string> location;      //!< where an external secret lives
  std::optional<std::string> value_format;  //!< "base64url:32" etc.; nullopt: supplied by people
  bool auto_rotate = false;
  int64_t rotation_days = 90;
  int64_t grace_days = 0;
  int64_t current_version = 1;
  std::optional<int64_t> last_rotated_at;
  int64_t next_rotation_at = 0;
  std::optional<std::string> reminder_state;  //!< "due" or "overdue": the last reminder raised
  std::optional<int64_t> reminded_at;
  int64_t created_at = 0;
  std::string created_by;
  int64_t updated_at = 0;
};

struct SecretVersion {
  std::string secret_id;
  int64_t version = 0;
  std::string tenant_id;
  std::optional<std::string> value;  //!< encrypted; nullopt once no longer valid
  std::string fingerprint;
  int64_t created_at = 0;
  std::optional<int64_t> valid_until;
};

struct Rotation {
  std::string id;
  std::string tenant_id;
  std::string secret_id, secret_name, secret_type;
  std::string kind;
  std::string status;
  std::optional<int64_t> version, previous_version;
  std::optional<std::string> previous_fingerprint;
  std::optional<std::string> reason, error;
  std::string actor;
  int64_t rotated_at = 0;
  std::optional<int64_t> grace_until;  //!< the superseded version was valid until then
  std::optional<int64_t> valid_until;  //!< this row's version is valid until then (once superseded)
  std::optional<int64_t> next_due_at;
  std::string metadata = "{}";  //!< a JSON object
  int64_t status_changed_at = 0;
};

//! Where a secret stands against its policy at a time.
enum class DueState { kOk, kDue, kOverdue };
std::string_view DueStateName(DueState s);

}  // namespace tf::secrets
