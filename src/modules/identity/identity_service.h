#pragma once
// The identity domain's rules: sign-in with throttling and lockout, a second factor and device
// approval where they apply, sessions with idle and absolute expiry, API tokens, tenants and
// users with role grants bounded by the granter's own permissions. No HTTP and no SQL here: callers pass a Principal; persistence goes through
// IdentityRepo.
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
#include "modules/identity/personal_fields.h"
#include "nlohmann/json.hpp"
#include "store/database.h"

namespace tf::identity {

struct IdentityOptions {
  std::chrono::seconds session_idle_timeout{1800};
  std::chrono::seconds session_absolute_lifetime{43200};
  int delay_after_failures = 3;   //!< per account; the address threshold is 5x
  int lock_after_failures = 10;   //!< per account; then an admin must unlock
  int api_token_max_lifetime_days = 365;
};

struct LoginRequest {
  std::string email;
  std::string password;
  std::string source_ip;
  std::string user_agent;
  std::string device_token;  //!< the browser's device cookie, when it has one
};

//! Where a sign-in stands: signed in, or waiting for a second factor or an approved device.
struct LoginResult {
  enum class Step { kSignedIn, kMfa, kDeviceApproval };
  Step step = Step::kSignedIn;
  std::string challenge_token;  //!< kMfa / kDeviceApproval: what the next step presents
  int64_t challenge_expires_at = 0;
  std::string device_id;
  std::string device_token;  //!< a browser seen for the first time: its new device cookie
  User user;                 //!< signed in, or whose sign-in waits for the next step
  // kSignedIn only:
  std::string token;       //!< shown once; only its hash is stored
  std::string csrf_token;  //!< for cookie-authenticated state changes
  Session session;
  bool mfa_enrollment_required = false;  //!< the tenant requires MFA and the user has none
};

//! The second step of a sign-in: the challenge token and what the user typed.
struct LoginStepRequest {
  std::string challenge_token;
  std::string code;
  std::string source_ip;
  std::string user_agent;
};

//! A credential as presented: a bearer token or a session cookie, plus the CSRF header.
struct Credential {
  std::string token;
  bool via_cookie = false;
  bool state_change = false;
  std::string csrf_token;
};

struct NewUser {
  std::string email;
  std::string password;
  std::vector<std::string> roles;
  std::optional<std::string> tenant_id;  //!< honoured for platform callers only
  std::string display_name;
  bool must_change_password = false;
};

struct UserPatch {
  std::optional<std::vector<std::string>> roles;
  std::optional<std::string> status;
  std::optional<std::string> display_name;
};

struct TenantPatch {
  std::optional<std::string> name;
  std::optional<std::string> status;
};

struct NewApiToken {
  std::string name;
  std::vector<std::string> permissions;
  int expires_in_days = 90;
};

struct CreatedApiToken {
  ApiToken token;
  std::string secret;  //!< shown once
};

struct BootstrapResult {
  User user;
  std::optional<std::string> one_time_password;  //!< set when none was given
};

class IdentityService {
 public:
  //! Every change it makes records its event in `audit` in the change's transaction.
  //! People's data is sealed under their own keys in `personal_data` (PersonalFields).
  IdentityService(store::Database& db, const Clock& clock, Rng& rng, IdentityOptions options, audit::AuditLog& audit,
                  secrets::PersonalData& personal_data);

  // Authentication
  absl::StatusOr<LoginResult> Login(const LoginRequest& request);
  //! A TOTP or recovery code for a sign-in that answered Step::kMfa.
  absl::StatusOr<LoginResult> LoginMfa(const LoginStepRequest& request);
  //! Completes a sign-in that answered Step::kDeviceApproval, once the device is approved (by
  //! an administrator or from one of the user's sessions) or with the approval code those
  //! sessions show; FailedPrecondition while it still waits.
  absl::StatusOr<LoginResult> LoginDevice(const LoginStepRequest& request);
  absl::Status Logout(const Principal& caller);
  absl::StatusOr<Principal> Authenticate(const Credential& credential);
  absl::Status ChangePassword(const Principal& caller, std::string_view current, std::string_view next);
  //! The caller's user and tenant, read in one transaction.
  absl::StatusOr<std::pair<User, Tenant>> Me(const Principal& caller);

  // Tenants (platform)
  absl::StatusOr<Tenant> CreateTenant(const Principal& caller, std::string slug, std::string name,
                                      std::string data_region);
  absl::StatusOr<std::vector<Tenant>> ListTenants(const Principal& caller, const TenantFilter& filter,
                                                  const std::optional<std::string>& after_id, int limit);
  absl::StatusOr<Tenant> GetTenant(const Principal& caller, const std::string& id);
  absl::StatusOr<Tenant> UpdateTenant(const Principal& caller, const std::string& id, const TenantPatch& patch);

  // Users
  absl::StatusOr<User> CreateUser(const Principal& caller, const NewUser& request);
  absl::StatusOr<std::vector<User>> ListUsers(const Principal& caller, UserFilter filter,
                                              const std::optional<std::string>& after_id, int limit);
  absl::StatusOr<User> GetUser(const Principal& caller, const std::string& id);
  absl::StatusOr<User> UpdateUser(const Principal& caller, const std::string& id, const UserPatch& patch);
  //! Sets `password`, or a random one-time password when empty (returned once); the user
  //! must change it at next login and every session of theirs ends.
  absl::StatusOr<std::optional<std::string>> ResetPassword(const Principal& caller, const std::string& id,
                                                           std::optional<std::string> password);
  absl::StatusOr<User> Unlock(const Principal& caller, const std::string& id);
  //! Erases the person (GDPR Art. 17): destroys their key first, so everything sealed under
  //! it (the row, its backups, audit payloads) becomes unreadable, then keeps the row
  //! anonymous (status erased, no email index, no password) and deletes their sessions,
  //! second factor, devices and pending sign-ins and revokes their API tokens. `reference` is
  //! the request's case reference, recorded with the event. FailedPrecondition when already
  //! erased and for the caller themself.
  absl::StatusOr<User> EraseUser(const Principal& caller, const std::string& id, std::string_view reference);
  //! Finishes erasures whose key is destroyed but whose row is not anonymous (an erasure
  //! interrupted between the two, or a database restored from before it); returns how many.
  absl::StatusOr<int64_t> CompleteErasures();

  // API tokens
  absl::StatusOr<CreatedApiToken> CreateApiToken(const Principal& caller, const NewApiToken& request);
  absl::StatusOr<std::vector<ApiToken>> ListApiTokens(const Principal& caller,
                                                      const std::optional<std::string>& after_id, int limit);
  absl::Status RevokeApiToken(const Principal& caller, const std::string& id);

  //! Creates the system tenant and the first SUPER_ADMIN; FailedPrecondition once done.
  absl::StatusOr<BootstrapResult> Bootstrap(const std::string& email, std::optional<std::string> password);
  absl::StatusOr<bool> IsBootstrapped();
  //! Deletes sessions that ended more than `keep` ago (they can no longer authenticate), and
  //! expired pending sign-ins.
  absl::StatusOr<int64_t> PurgeEndedSessions(std::chrono::microseconds keep);

  //! Seals users' and API tokens' personal fields and encrypts TOTP secrets still held in
  //! plaintext (written before either existed), in batches; returns how many rows it changed.
  absl::StatusOr<int64_t> SealPersonalData();

  static std::string NormalizeEmail(std::string_view email);

 private:
  //! The sign-in's device: the one this browser's cookie names for the user, or a new one.
  absl::StatusOr<Device> SeeDevice(store::Transaction& tx, const User& user, const Tenant& tenant,
                                   const LoginRequest& request, LoginResult& result);
  //! Parks a sign-in that needs a second factor or an approved device.
  absl::Status Challenge(store::Transaction& tx, const User& user, Device& device, const LoginRequest& request,
                         LoginResult& result);
  //! Moves a challenge to device approval and gives the pending device its approval code.
  absl::Status AwaitDeviceApproval(store::Transaction& tx, LoginChallenge& challenge, Device& device,
                                   LoginResult& result);
  //! Creates the session and records the sign-in.
  absl::Status SignIn(store::Transaction& tx, const User& user, const Tenant& tenant, const std::string& device_id,
                      std::string_view source_ip, std::string_view user_agent, std::string_view method,
                      LoginResult& result);
  //! The pending sign-in a step presents, or Unauthenticated; counts a wrong code as a failed
  //! sign-in (and drops the challenge after too many).
  absl::StatusOr<LoginChallenge> FindChallenge(store::Transaction& tx, const std::string& token);
  absl::Status RefuseStep(store::Transaction& tx, LoginChallenge& challenge, const User& user,
                          std::string_view event_type);
  absl::Status RecordEvent(store::Transaction& tx, const std::string& tenant_id, std::string_view user_id,
                           std::string actor, std::string_view type, std::string_view source_ip,
                           std::string_view user_agent, const nlohmann::json& detail = nlohmann::json::object());
  absl::StatusOr<Principal> AuthenticateSession(const Credential& credential, const std::string& hash);
  absl::StatusOr<Principal> AuthenticateApiToken(const std::string& hash);
  absl::Status CheckThrottle(store::Transaction& tx, const std::string& account, const std::string& address);
  absl::Status RecordFailure(store::Transaction& tx, const std::string& account, const std::string& address,
                             const std::optional<User>& user);
  absl::StatusOr<std::vector<Role>> ParseGrantableRoles(const Principal& caller, const std::vector<std::string>& names,
                                                        bool system_tenant);
  //! A just-in-time grant lets its holder act, not hand roles on: while the caller's roles
  //! come from a grant, the roles they give must be within their own (read in `tx`).
  absl::Status CheckStandingGrant(store::Transaction& tx, const Principal& caller, const std::vector<Role>& roles);
  //! The row made anonymous and the person's credentials and devices forgotten, in `tx`.
  absl::Status Anonymize(store::Transaction& tx, User& u, int64_t erased_at);
  //! The system tenant, created when absent.
  absl::StatusOr<Tenant> SystemTenant();
  //! The result with its user's personal fields opened.
  absl::StatusOr<LoginResult> Opened(absl::StatusOr<LoginResult> result);
  absl::StatusOr<User> Opened(absl::StatusOr<User> user);
  //! `u` sealed for the store (PersonalFields::Seal); sets u.email_index too.
  absl::StatusOr<User> SealedCopy(User& u);
  std::string NewId();
  int64_t Now() const { return clock_.NowMicros(); }

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  IdentityOptions options_;
  audit::AuditLog& audit_;
  IdentityRepo repo_;
  AccountRepo accounts_;
  PersonalFields personal_;
};

}  // namespace tf::identity
