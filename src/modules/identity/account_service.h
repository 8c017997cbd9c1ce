#pragma once
// Account security a signed-in user manages for themselves, and administrators for the users
// of their tenant: the TOTP second factor and its recovery codes, sessions, devices, the
// tenant's security policy (require MFA, require approval of new devices), the account-event
// log and the counts behind the console's dashboard. Every change is recorded as an account
// event in the same transaction. No HTTP and no SQL here.
// Thread-safety: safe from any thread (state lives in the store).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/principal.h"
#include "core/rng.h"
#include "modules/audit/audit_log.h"
#include "modules/identity/account_repo.h"
#include "modules/identity/identity_repo.h"
#include "modules/identity/identity_service.h"
#include "nlohmann/json.hpp"
#include "store/database.h"

namespace tf::identity {

struct TotpEnrollment {
  std::string secret;  //!< base32, shown once
  std::string otpauth_uri;
  std::string qr_svg;
};

struct MfaStatus {
  bool enabled = false;
  bool enrollment_pending = false;  //!< enrolled but not confirmed with a first code
  std::optional<int64_t> confirmed_at;
  int64_t recovery_codes_left = 0;
  bool required_by_tenant = false;
};

struct SessionView {
  Session session;
  std::string device_name;
  bool current = false;
};

struct SecurityPolicyPatch {
  std::optional<bool> require_mfa;
  std::optional<bool> require_device_approval;
};

class AccountService {
 public:
  //! `issuer` names the service in authenticator apps.
  AccountService(store::Database& db, const Clock& clock, Rng& rng, IdentityOptions options, std::string issuer,
                 audit::AuditLog& audit, secrets::PersonalData& personal_data);

  // The caller's own second factor (sessions only, not API tokens).
  absl::StatusOr<TotpEnrollment> EnrollTotp(const Principal& caller);
  //! Proves the authenticator with a first code; returns the ten recovery codes (shown once).
  absl::StatusOr<std::vector<std::string>> ConfirmTotp(const Principal& caller, std::string_view code);
  absl::Status DisableTotp(const Principal& caller, std::string_view password, std::string_view code);
  //! Replaces the recovery codes; needs a current TOTP or recovery code.
  absl::StatusOr<std::vector<std::string>> RegenerateRecoveryCodes(const Principal& caller, std::string_view code);
  absl::StatusOr<MfaStatus> GetMfaStatus(const Principal& caller);

  // Sessions and devices of `user_id`: the caller's own, or (for administrators, whose route
  // requires users.read / users.write) those of a user in their tenant.
  absl::StatusOr<std::vector<SessionView>> ListSessions(const Principal& caller, const std::string& user_id,
                                                        const std::optional<std::string>& after_id, int limit);
  absl::Status RevokeSession(const Principal& caller, const std::string& user_id, const std::string& session_id);
  //! Every session of `user_id` but the caller's current one; returns how many ended.
  absl::StatusOr<int64_t> RevokeSessions(const Principal& caller, const std::string& user_id);
  absl::StatusOr<std::vector<Device>> ListDevices(const Principal& caller, const std::string& user_id,
                                                  const std::optional<std::string>& after_id, int limit);
  absl::StatusOr<Device> RenameDevice(const Principal& caller, const std::string& device_id, std::string name);
  //! Forgets the device and ends its sessions; its next sign-in counts as a new device.
  absl::Status RemoveDevice(const Principal& caller, const std::string& user_id, const std::string& device_id);
  absl::StatusOr<Device> ApproveDevice(const Principal& caller, const std::string& user_id,
                                       const std::string& device_id);

  // The tenant's security policy: readable by its members, changed with security_policy.write.
  absl::StatusOr<Tenant> GetSecurityPolicy(const Principal& caller, const std::string& tenant_id);
  absl::StatusOr<Tenant> UpdateSecurityPolicy(const Principal& caller, const std::string& tenant_id,
                                              const SecurityPolicyPatch& patch);

  //! The caller's own events, or with `tenant_wide` (route requires users.read) the tenant's.
  absl::StatusOr<std::vector<AccountEvent>> ListEvents(const Principal& caller, bool tenant_wide,
                                                       AccountEventFilter filter,
                                                       const std::optional<std::string>& after_id, int limit);
  absl::StatusOr<AccountStats> Stats(const Principal& caller);

 private:
  //! The user the call is about, in the caller's scope; `write` also requires that the caller
  //! holds every permission the user holds (as for other changes to a user).
  absl::StatusOr<User> Subject(store::Transaction& tx, const Principal& caller, const std::string& user_id,
                               bool write);
  absl::StatusOr<User> Self(store::Transaction& tx, const Principal& caller);
  absl::Status RequireSession(const Principal& caller) const;
  absl::StatusOr<std::vector<std::string>> IssueRecoveryCodes(store::Transaction& tx, const User& user);
  absl::Status Record(store::Transaction& tx, const Principal& caller, const std::string& tenant_id,
                      std::string_view user_id, std::string_view type,
                      const nlohmann::json& detail = nlohmann::json::object());
  int64_t LiveAfter(int64_t now) const;
  std::string NewId();
  int64_t Now() const { return clock_.NowMicros(); }

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  IdentityOptions options_;
  std::string issuer_;
  IdentityRepo users_;
  audit::AuditLog& audit_;
  AccountRepo accounts_;
  PersonalFields personal_;
};

}  // namespace tf::identity
