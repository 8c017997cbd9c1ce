#include "modules/identity/identity_service.h"
#include "core/clock.h"
#include "core/strings.h"

#include <algorithm>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/status.h"
#include "modules/identity/account_rules.h"
#include "modules/identity/password_policy.h"

namespace tf::identity {

namespace {

//! What the audit trail keeps of a tenant and a user before and after a change.
nlohmann::json TenantAudit(const Tenant& t) {
  return {{"slug", t.slug}, {"name", t.name}, {"data_region", t.data_region}, {"status", t.status}};
}

nlohmann::json UserAudit(const User& u) {
  std::vector<std::string> roles;
  for (Role r : u.roles) roles.emplace_back(RoleName(r));
  return {{"roles", roles}, {"status", u.status}, {"must_change_password", u.must_change_password}};
}

constexpr std::string_view kSessionPrefix = "tfs_";
constexpr std::string_view kApiTokenPrefix = "tft_";
constexpr std::string_view kChallengePrefix = "tfc_";
constexpr std::string_view kDevicePrefix = "tfd_";
constexpr int64_t kMfaStepMicros = 300'000'000;        // a second factor within 5 minutes
constexpr int64_t kApprovalStepMicros = 900'000'000;   // a device approved within 15 minutes
constexpr int kMaxStepAttempts = 5;                    // wrong codes before the sign-in is dropped
constexpr std::string_view kAccountScope = "account";
constexpr std::string_view kAddressScope = "address";
constexpr int kAddressFactor = 5;                     // an address may fail 5x an account's count
constexpr int64_t kMaxDelaySeconds = 900;             // progressive delay cap
constexpr int64_t kAddressForgetMicros = kMicrosPerHour;  // address counters reset after 1 h quiet
constexpr int64_t kTouchEveryMicros = kMicrosPerMinute;  // last-seen writes at most once a minute
const char* const kRegions[] = {"us", "ca", "uk", "eu"};

absl::Status UserErased() { return absl::FailedPreconditionError("the user was erased"); }

absl::Status AlreadyBootstrapped() {
  return absl::FailedPreconditionError("already bootstrapped: a SUPER_ADMIN exists");
}

// Identical for unknown users, bad passwords, disabled users and locked accounts.
absl::Status BadLogin() { return absl::UnauthenticatedError("invalid email or password"); }
absl::Status BadCredential() { return absl::UnauthenticatedError("invalid or expired credentials"); }
absl::Status BadChallenge() {
  return absl::UnauthenticatedError("the sign-in expired or is not valid; sign in again");
}

//! Eight digits, for a person to read from one screen and type into another.
std::string ApprovalCode(Rng& rng) {
  std::string code;
  while (code.size() < 8) {
    uint8_t b = 0;
    rng.Fill(&b, 1);
    if (b < 250) code.push_back(static_cast<char>('0' + b % 10));
  }
  return code;
}

bool IsValidEmail(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) return false;
  size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at != email.rfind('@') || at + 1 >= email.size()) return false;
  for (char c : email) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',') {
      return false;
    }
  }
  return email.find('.', at) != std::string_view::npos;
}

bool IsValidSlug(std::string_view slug) {
  static const std::regex kSlug("^[a-z0-9][a-z0-9-]{1,62}$");
  return std::regex_match(slug.begin(), slug.end(), kSlug);
}

int64_t DelaySeconds(int failures, int threshold) {
  if (failures < threshold) return 0;
  int shift = std::min(failures - threshold, 20);
  return std::min<int64_t>(int64_t{1} << shift, kMaxDelaySeconds);
}

std::string HashSubject(std::string_view s) { return crypto::Sha256Hex(s); }

//! The account's throttling key: the blind index of its email, as sign-in computes it from
//! the address typed.
std::string ThrottleAccount(const User& u) { return u.email_index.value_or(""); }

//! A new active user, created at `now`.
User ActiveUser(std::string id, std::string tenant_id, std::string email, std::string display_name,
                std::string password_hash, std::vector<Role> roles, bool must_change_password, int64_t now) {
  User u;
  u.id = std::move(id);
  u.tenant_id = std::move(tenant_id);
  u.email = std::move(email);
  u.display_name = std::move(display_name);
  u.password_hash = std::move(password_hash);
  u.roles = std::move(roles);
  u.status = kStatusActive;
  u.must_change_password = must_change_password;
  u.password_changed_at = u.created_at = u.updated_at = now;
  return u;
}

std::string OneTimePassword(Rng& rng) {
  // 20 characters from an alphabet without look-alikes: ~115 bits.
  static constexpr std::string_view kAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  while (out.size() < 20) {
    uint8_t b = 0;
    rng.Fill(&b, 1);
    if (b < 256 - (256 % kAlphabet.size())) out.push_back(kAlphabet[b % kAlphabet.size()]);
  }
  return out;
}

}  // namespace

IdentityService::IdentityService(store::Database& db, const Clock& clock, Rng& rng, IdentityOptions options,
                                 audit::AuditLog& audit, secrets::PersonalData& personal_data)
    : db_(db), clock_(clock), rng_(rng), options_(options), audit_(audit), personal_(personal_data) {}

absl::StatusOr<LoginResult> IdentityService::Opened(absl::StatusOr<LoginResult> result) {
  if (result.ok()) TF_RETURN_IF_ERROR(personal_.Open(result->user));
  return result;
}

std::string IdentityService::NewId() { return NewUuidV7(clock_, rng_); }

std::string IdentityService::NormalizeEmail(std::string_view email) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(Sv(email)));
}

// ---------------------------------------------------------------------------------------------
// Login and throttling

absl::Status IdentityService::CheckThrottle(store::Transaction& tx, const std::string& account,
                                            const std::string& address) {
  int64_t now = Now();
  TF_ASSIGN_OR_RETURN(ThrottleState acc, repo_.GetThrottle(tx, kAccountScope, account));
  TF_ASSIGN_OR_RETURN(ThrottleState addr, repo_.GetThrottle(tx, kAddressScope, address));
  if (addr.failures > 0 && now - addr.last_failure_at > kAddressForgetMicros) addr = {};
  // Only a delay that applies holds a sign-in back: a failure recorded by a concurrent sign-in
  // a moment after `now` must not by itself answer 429.
  auto until = [](const ThrottleState& t, int64_t delay_seconds) {
    return delay_seconds > 0 ? t.last_failure_at + delay_seconds * 1'000'000 : int64_t{0};
  };
  int64_t wait_until =
      std::max(until(acc, DelaySeconds(acc.failures, options_.delay_after_failures)),
               until(addr, DelaySeconds(addr.failures, options_.delay_after_failures * kAddressFactor)));
  if (wait_until > now && !acc.locked_at) {
    int seconds = static_cast<int>((wait_until - now + 999'999) / 1'000'000);
    return WithRetryAfter(absl::ResourceExhaustedError(StrCat(
                              "too many failed sign-in attempts; try again in ", seconds, " seconds")),
                          seconds);
  }
  return absl::OkStatus();
}

absl::Status IdentityService::RecordFailure(store::Transaction& tx, const std::string& account,
                                            const std::string& address, const std::optional<User>& user) {
  int64_t now = Now();
  TF_ASSIGN_OR_RETURN(ThrottleState acc, repo_.GetThrottle(tx, kAccountScope, account));
  TF_ASSIGN_OR_RETURN(ThrottleState addr, repo_.GetThrottle(tx, kAddressScope, address));
  if (addr.failures > 0 && now - addr.last_failure_at > kAddressForgetMicros) addr = {};
  acc.failures++;
  acc.last_failure_at = now;
  addr.failures++;
  addr.last_failure_at = now;
  if (acc.failures >= options_.lock_after_failures && !acc.locked_at) {
    acc.locked_at = now;
    if (user && !user->locked_at) {
      User locked = *user;
      locked.locked_at = now;
      locked.updated_at = now;
      TF_RETURN_IF_ERROR(repo_.UpdateUser(tx, locked));
      TF_RETURN_IF_ERROR(RecordEvent(tx, user->tenant_id, user->id, "system", "account_locked", "", "",
                                     {{"failures", acc.failures}}));
      log::Warn("account locked after repeated sign-in failures",
                {{"user_id", user->id}, {"failures", acc.failures}});
    }
  }
  TF_RETURN_IF_ERROR(repo_.PutThrottle(tx, kAccountScope, account, acc));
  return repo_.PutThrottle(tx, kAddressScope, address, addr);
}

absl::StatusOr<LoginResult> IdentityService::Login(const LoginRequest& request) {
  std::string email = NormalizeEmail(request.email);
  TF_ASSIGN_OR_RETURN(std::string account, personal_.EmailIndex(email));
  std::string address = HashSubject(request.source_ip);

  // Read first (no write lock held during the slow password check).
  TF_ASSIGN_OR_RETURN(auto lookup, db_.InTx(store::ReadTx(), [&](store::Transaction& tx)
                                                -> absl::StatusOr<std::optional<User>> {
    TF_RETURN_IF_ERROR(CheckThrottle(tx, account, address));
    auto user = repo_.GetUserByEmailIndex(tx, account);
    if (absl::IsNotFound(user.status())) return std::optional<User>();
    if (!user.ok()) return user.status();
    return std::optional<User>(std::move(*user));
  }));

  bool password_ok = false;
  if (lookup) {
    password_ok = crypto::VerifyPassword(lookup->password_hash, request.password);
  } else {
    crypto::BurnPasswordVerification(request.password);
  }

  std::string refusal;
  if (!lookup) refusal = "unknown email";
  else if (!password_ok) refusal = "wrong password";
  else if (lookup->locked_at) refusal = "account locked";
  else if (lookup->status != kStatusActive) refusal = "account disabled";

  // Retryable: the attempt works on its own copies of what the read found.
  return Opened(db_.InTx(store::WriteTx().Retryable(), [&](store::Transaction& tx) -> absl::StatusOr<LoginResult> {
    std::string refusal_now = refusal;
    std::optional<User> user = lookup;
    std::optional<Tenant> tenant;
    if (refusal_now.empty()) {
      // The password was checked outside any transaction: judge the user as they are now, so
      // an administrator's disable, lock or reset made meanwhile wins.
      TF_ASSIGN_OR_RETURN(User current, repo_.GetUser(tx, user->tenant_id, user->id));
      TF_ASSIGN_OR_RETURN(tenant, repo_.GetTenant(tx, current.tenant_id));
      if (current.password_hash != user->password_hash) refusal_now = "password changed during sign-in";
      else if (current.locked_at) refusal_now = "account locked";
      else if (current.status != kStatusActive) refusal_now = "account disabled";
      else if (tenant->status != kStatusActive) refusal_now = "tenant suspended";
      user = std::move(current);
    }
    if (!refusal_now.empty()) {
      if (refusal_now != "account locked") TF_RETURN_IF_ERROR(RecordFailure(tx, account, address, user));
      log::Warn("sign-in refused", {{"reason", refusal_now},
                                    {"user_id", user ? user->id : ""},
                                    {"remote_addr", request.source_ip}});
      if (user) {
        TF_RETURN_IF_ERROR(RecordEvent(tx, user->tenant_id, user->id, "anonymous", "login_failed", request.source_ip,
                                       request.user_agent, {{"reason", refusal_now}}));
      } else {
        // No account to file it under: a platform-level record, so detection still counts the
        // address's attempts.
        TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, std::nullopt, audit::Actor{},
                                              {"login_failed", "LOGIN", std::nullopt, std::nullopt,
                                               {{"reason", refusal_now}}, "failure"}));
      }
      // Commit the failure count, then answer identically whatever the reason.
      TF_RETURN_IF_ERROR(tx.Commit());
      return BadLogin();
    }
    LoginResult result;
    TF_ASSIGN_OR_RETURN(Device device, SeeDevice(tx, *user, *tenant, request, result));
    if (user->mfa_enabled || device.status != kDeviceApproved) {
      TF_RETURN_IF_ERROR(Challenge(tx, *user, device, request, result));
      return result;
    }
    TF_RETURN_IF_ERROR(SignIn(tx, *user, *tenant, device.id, request.source_ip, request.user_agent, "password", result));
    return result;
  }));
}

absl::StatusOr<Device> IdentityService::SeeDevice(store::Transaction& tx, const User& user, const Tenant& tenant,
                                                  const LoginRequest& request, LoginResult& result) {
  int64_t now = Now();
  // One cookie per browser, shared by the users who sign in on it; each user has their own row.
  bool cookie_ok = request.device_token.rfind(kDevicePrefix, 0) == 0 && request.device_token.size() < 100;
  if (cookie_ok) {
    auto known = accounts_.GetDeviceByToken(tx, user.id, crypto::Sha256Hex(request.device_token));
    if (known.ok()) {
      known->last_ip = request.source_ip;
      known->last_seen_at = now;
      TF_RETURN_IF_ERROR(accounts_.UpdateDevice(tx, *known));
      result.device_id = known->id;
      return known;
    }
    if (!absl::IsNotFound(known.status())) return known.status();
  }
  std::string token = cookie_ok ? request.device_token : crypto::NewToken(rng_, kDevicePrefix);
  if (!cookie_ok) result.device_token = token;
  Device d;
  d.id = NewId();
  d.tenant_id = user.tenant_id;
  d.user_id = user.id;
  d.token_hash = crypto::Sha256Hex(token);
  d.name = DescribeUserAgent(request.user_agent);
  d.user_agent = request.user_agent.substr(0, 512);
  d.first_ip = d.last_ip = request.source_ip;
  d.status = std::string(tenant.require_device_approval ? kDevicePending : kDeviceApproved);
  d.first_seen_at = d.last_seen_at = now;
  TF_RETURN_IF_ERROR(accounts_.InsertDevice(tx, d));
  TF_RETURN_IF_ERROR(RecordEvent(tx, user.tenant_id, user.id, StrCat("user:", user.id), "device_new",
                                 request.source_ip, request.user_agent,
                                 {{"device_id", d.id}, {"name", d.name}, {"status", d.status}}));
  result.device_id = d.id;
  return d;
}

absl::Status IdentityService::Challenge(store::Transaction& tx, const User& user, Device& device,
                                        const LoginRequest& request, LoginResult& result) {
  int64_t now = Now();
  LoginChallenge c;
  c.id = NewId();
  c.tenant_id = user.tenant_id;
  c.user_id = user.id;
  result.challenge_token = crypto::NewToken(rng_, kChallengePrefix);
  c.token_hash = crypto::Sha256Hex(result.challenge_token);
  c.device_id = device.id;
  c.mfa_pending = user.mfa_enabled;
  c.source_ip = request.source_ip;
  c.user_agent = request.user_agent.substr(0, 512);
  c.created_at = now;
  c.expires_at = now + (c.mfa_pending ? kMfaStepMicros : kApprovalStepMicros);
  TF_RETURN_IF_ERROR(accounts_.InsertChallenge(tx, c));
  result.user = user;
  if (c.mfa_pending) {
    result.step = LoginResult::Step::kMfa;
    result.challenge_expires_at = c.expires_at;
    return absl::OkStatus();
  }
  return AwaitDeviceApproval(tx, c, device, result);
}

absl::Status IdentityService::AwaitDeviceApproval(store::Transaction& tx, LoginChallenge& challenge, Device& device,
                                                  LoginResult& result) {
  int64_t now = Now();
  challenge.mfa_pending = false;
  challenge.expires_at = now + kApprovalStepMicros;
  TF_RETURN_IF_ERROR(accounts_.UpdateChallenge(tx, challenge));
  device.approval_code = ApprovalCode(rng_);
  device.approval_expires_at = challenge.expires_at;
  TF_RETURN_IF_ERROR(accounts_.UpdateDevice(tx, device));
  result.step = LoginResult::Step::kDeviceApproval;
  result.challenge_expires_at = challenge.expires_at;
  result.device_id = device.id;
  return absl::OkStatus();
}

absl::Status IdentityService::SignIn(store::Transaction& tx, const User& user, const Tenant& tenant,
                                     const std::string& device_id, std::string_view source_ip,
                                     std::string_view user_agent, std::string_view method, LoginResult& result) {
  int64_t now = Now();
  TF_RETURN_IF_ERROR(repo_.ClearThrottle(tx, kAccountScope, ThrottleAccount(user)));
  result.step = LoginResult::Step::kSignedIn;
  result.token = crypto::NewToken(rng_, kSessionPrefix);
  result.csrf_token = crypto::NewToken(rng_, "");
  result.session = Session{NewId(),
                           user.tenant_id,
                           user.id,
                           crypto::Sha256Hex(result.token),
                           crypto::Sha256Hex(result.csrf_token),
                           std::string(source_ip),
                           std::string(user_agent.substr(0, 512)),
                           now,
                           now,
                           now + std::chrono::duration_cast<std::chrono::microseconds>(
                                     options_.session_absolute_lifetime).count(),
                           std::nullopt,
                           device_id};
  TF_RETURN_IF_ERROR(repo_.InsertSession(tx, result.session));
  result.user = user;
  result.user.last_login_at = now;
  result.device_id = device_id;
  result.mfa_enrollment_required = tenant.require_mfa && !user.mfa_enabled;
  TF_RETURN_IF_ERROR(repo_.SetLastLogin(tx, user.id, now));
  TF_RETURN_IF_ERROR(RecordEvent(tx, user.tenant_id, user.id, StrCat("user:", user.id), "login_succeeded", source_ip,
                                 user_agent,
                                 {{"session", result.session.id}, {"device_id", device_id}, {"method", method}}));
  log::Info("signed in", {{"user_id", user.id}, {"session_id", result.session.id},
                          {"remote_addr", std::string(source_ip)}});
  return absl::OkStatus();
}

absl::StatusOr<LoginChallenge> IdentityService::FindChallenge(store::Transaction& tx, const std::string& token) {
  if (token.rfind(kChallengePrefix, 0) != 0 || token.size() > 100) return BadChallenge();
  auto c = accounts_.GetChallengeByTokenHash(tx, crypto::Sha256Hex(token));
  if (absl::IsNotFound(c.status())) return BadChallenge();
  TF_RETURN_IF_ERROR(c.status());
  if (Now() >= c->expires_at) return BadChallenge();
  return c;
}

absl::Status IdentityService::RefuseStep(store::Transaction& tx, LoginChallenge& challenge, const User& user,
                                         std::string_view event_type) {
  challenge.attempts++;
  if (challenge.attempts >= kMaxStepAttempts) {
    TF_RETURN_IF_ERROR(accounts_.DeleteChallenge(tx, challenge.id));
  } else {
    TF_RETURN_IF_ERROR(accounts_.UpdateChallenge(tx, challenge));
  }
  // A wrong code counts like a wrong password, for the account and for the address.
  TF_RETURN_IF_ERROR(RecordFailure(tx, ThrottleAccount(user), HashSubject(challenge.source_ip), user));
  TF_RETURN_IF_ERROR(RecordEvent(tx, user.tenant_id, user.id, "anonymous", event_type, challenge.source_ip,
                                 challenge.user_agent, {{"attempt", challenge.attempts}}));
  TF_RETURN_IF_ERROR(tx.Commit());
  return absl::UnauthenticatedError(challenge.attempts >= kMaxStepAttempts
                                        ? "too many wrong codes; sign in again"
                                        : "the code is not valid");
}

absl::StatusOr<LoginResult> IdentityService::LoginMfa(const LoginStepRequest& request) {
  // The factor's secret is decrypted before the transaction that checks the code.
  TF_ASSIGN_OR_RETURN(LoginChallenge pending, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
    return FindChallenge(tx, request.challenge_token);
  }));
  TF_ASSIGN_OR_RETURN(std::optional<OpenedTotp> totp,
                      ReadTotp(db_, accounts_, personal_, pending.tenant_id, pending.user_id));
  return Opened(db_.InTx(store::WriteTx().Retryable(), [&](store::Transaction& tx) -> absl::StatusOr<LoginResult> {
    TF_ASSIGN_OR_RETURN(LoginChallenge c, FindChallenge(tx, request.challenge_token));
    if (!c.mfa_pending) return absl::FailedPreconditionError("this sign-in is past its second factor");
    TF_ASSIGN_OR_RETURN(User user, repo_.GetUser(tx, c.tenant_id, c.user_id));
    TF_ASSIGN_OR_RETURN(Tenant tenant, repo_.GetTenant(tx, user.tenant_id));
    TF_RETURN_IF_ERROR(CheckThrottle(tx, ThrottleAccount(user), HashSubject(c.source_ip)));
    if (user.locked_at || user.status != kStatusActive || tenant.status != kStatusActive) {
      TF_RETURN_IF_ERROR(accounts_.DeleteChallenge(tx, c.id));
      TF_RETURN_IF_ERROR(tx.Commit());
      return BadChallenge();
    }
    TF_ASSIGN_OR_RETURN(auto factor, UseSecondFactor(tx, accounts_, totp, user.id, request.code, Now()));
    if (!factor) return RefuseStep(tx, c, user, "mfa_failed");
    std::string_view method = *factor == SecondFactor::kTotp ? "password+totp" : "password+recovery_code";
    if (*factor == SecondFactor::kRecoveryCode) {
      TF_ASSIGN_OR_RETURN(int64_t left, accounts_.CountUnusedRecoveryCodes(tx, user.id));
      TF_RETURN_IF_ERROR(RecordEvent(tx, user.tenant_id, user.id, StrCat("user:", user.id), "recovery_code_used",
                                     request.source_ip, request.user_agent, {{"codes_left", left}}));
    }
    TF_ASSIGN_OR_RETURN(Device device, accounts_.GetDevice(tx, c.tenant_id, c.device_id));
    LoginResult result;
    result.device_id = device.id;
    if (device.status != kDeviceApproved) {
      TF_RETURN_IF_ERROR(AwaitDeviceApproval(tx, c, device, result));
      result.challenge_token = request.challenge_token;
      return result;
    }
    TF_RETURN_IF_ERROR(accounts_.DeleteChallenge(tx, c.id));
    TF_RETURN_IF_ERROR(SignIn(tx, user, tenant, device.id, request.source_ip, request.user_agent, method, result));
    return result;
  }));
}

absl::StatusOr<LoginResult> IdentityService::LoginDevice(const LoginStepRequest& request) {
  return Opened(db_.InTx(store::WriteTx().Retryable(), [&](store::Transaction& tx) -> absl::StatusOr<LoginResult> {
    TF_ASSIGN_OR_RETURN(LoginChallenge c, FindChallenge(tx, request.challenge_token));
    if (c.mfa_pending) return absl::FailedPreconditionError("this sign-in needs its second factor first");
    TF_ASSIGN_OR_RETURN(User user, repo_.GetUser(tx, c.tenant_id, c.user_id));
    TF_ASSIGN_OR_RETURN(Tenant tenant, repo_.GetTenant(tx, user.tenant_id));
    TF_RETURN_IF_ERROR(CheckThrottle(tx, ThrottleAccount(user), HashSubject(c.source_ip)));
    auto device = accounts_.GetDevice(tx, c.tenant_id, c.device_id);
    if (absl::IsNotFound(device.status())) return BadChallenge();  // removed meanwhile
    TF_RETURN_IF_ERROR(device.status());
    if (user.locked_at || user.status != kStatusActive || tenant.status != kStatusActive) {
      TF_RETURN_IF_ERROR(accounts_.DeleteChallenge(tx, c.id));
      TF_RETURN_IF_ERROR(tx.Commit());
      return BadChallenge();
    }
    std::string_view method = "device_approved";
    if (device->status != kDeviceApproved) {
      if (request.code.empty()) {
        return absl::FailedPreconditionError(
            "the device is waiting for approval: enter the code shown in one of your signed-in sessions, or ask "
            "an administrator to approve it");
      }
      bool code_ok = device->approval_code && device->approval_expires_at && Now() < *device->approval_expires_at &&
                     crypto::ConstantTimeEquals(*device->approval_code, request.code);
      if (!code_ok) return RefuseStep(tx, c, user, "device_approval_failed");
      int64_t now = Now();
      device->status = std::string(kDeviceApproved);
      device->approved_by = StrCat("user:", user.id);
      device->approved_at = now;
      device->approval_code.reset();
      device->approval_expires_at.reset();
      TF_RETURN_IF_ERROR(accounts_.UpdateDevice(tx, *device));
      TF_RETURN_IF_ERROR(RecordEvent(tx, user.tenant_id, user.id, StrCat("user:", user.id), "device_approved",
                                     request.source_ip, request.user_agent,
                                     {{"device_id", device->id}, {"by", "approval_code"}}));
      method = "device_approval_code";
    }
    TF_RETURN_IF_ERROR(accounts_.DeleteChallenge(tx, c.id));
    LoginResult result;
    TF_RETURN_IF_ERROR(SignIn(tx, user, tenant, device->id, request.source_ip, request.user_agent, method, result));
    return result;
  }));
}

absl::Status IdentityService::RecordEvent(store::Transaction& tx, const std::string& tenant_id,
                                          std::string_view user_id, std::string actor, std::string_view type,
                                          std::string_view source_ip, std::string_view user_agent,
                                          const nlohmann::json& detail) {
  AccountEvent event =
      MakeAccountEvent(NewId(), tenant_id, user_id, std::move(actor), type, source_ip, user_agent, detail, Now());
  TF_RETURN_IF_ERROR(accounts_.InsertEvent(tx, event));
  return audit_.RecordEvent(tx, tenant_id, AuditActorOf(event.actor), AccountAuditEvent(event));
}

absl::Status IdentityService::Logout(const Principal& caller) {
  if (caller.kind != Principal::Kind::kSession) {
    return absl::FailedPreconditionError("API tokens do not have sessions; revoke the token instead");
  }
  return db_.InTx(store::WriteTx(caller.TxTenant()).Retryable(), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(repo_.RevokeSession(tx, caller.credential_id, Now()));
    TF_RETURN_IF_ERROR(RecordEvent(tx, caller.tenant_id, caller.user_id, caller.Actor(), "logout", caller.source_ip,
                                   caller.user_agent, {{"session", caller.credential_id}}));
    log::Info("signed out", {{"session", caller.credential_id}});
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// Authentication of each request

absl::StatusOr<Principal> IdentityService::Authenticate(const Credential& credential) {
  if (credential.token.size() > 256) return BadCredential();
  std::string hash = crypto::Sha256Hex(credential.token);
  if (absl::StartsWith(credential.token, Sv(kSessionPrefix))) return AuthenticateSession(credential, hash);
  if (absl::StartsWith(credential.token, Sv(kApiTokenPrefix)) && !credential.via_cookie) {
    return AuthenticateApiToken(hash);
  }
  return BadCredential();
}

absl::StatusOr<Principal> IdentityService::AuthenticateSession(const Credential& credential,
                                                               const std::string& hash) {
  int64_t now = Now();
  int64_t idle = std::chrono::duration_cast<std::chrono::microseconds>(options_.session_idle_timeout).count();
  struct Found {
    Session session;
    User user;
    bool tenant_requires_mfa = false;
  };
  TF_ASSIGN_OR_RETURN(Found found, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<Found> {
    auto session = repo_.GetSessionByTokenHash(tx, hash);
    if (absl::IsNotFound(session.status())) return BadCredential();
    if (!session.ok()) return session.status();
    TF_ASSIGN_OR_RETURN(User user, repo_.GetUser(tx, session->tenant_id, session->user_id));
    TF_ASSIGN_OR_RETURN(Tenant tenant, repo_.GetTenant(tx, user.tenant_id));
    if (session->revoked_at || now >= session->expires_at || now - session->last_seen_at >= idle ||
        user.status != kStatusActive || user.locked_at || tenant.status != kStatusActive) {
      return BadCredential();
    }
    return Found{std::move(*session), std::move(user), tenant.require_mfa};
  }));
  if (credential.via_cookie && credential.state_change &&
      !crypto::ConstantTimeEquals(crypto::Sha256Hex(credential.csrf_token), found.session.csrf_hash)) {
    return absl::PermissionDeniedError("missing or invalid X-CSRF-Token header for a cookie-authenticated change");
  }
  // Write last-seen at most once a minute, and often enough that a short idle timeout never
  // expires an active session.
  if (now - found.session.last_seen_at >= std::min(kTouchEveryMicros, idle / 4)) {
    TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(found.user.tenant_id).Retryable(), [&](store::Transaction& tx) {
      return repo_.TouchSession(tx, found.session.id, now);
    }));
  }
  Principal p;
  p.kind = Principal::Kind::kSession;
  p.user_id = found.user.id;
  p.tenant_id = found.user.tenant_id;
  p.roles = found.user.roles;
  p.permissions = PermissionsOf(found.user.roles);
  p.credential_id = found.session.id;
  p.via_cookie = credential.via_cookie;
  p.must_change_password = found.user.must_change_password;
  p.must_enroll_mfa = found.tenant_requires_mfa && !found.user.mfa_enabled;
  return p;
}

absl::StatusOr<Principal> IdentityService::AuthenticateApiToken(const std::string& hash) {
  int64_t now = Now();
  struct Found {
    ApiToken token;
    User user;
  };
  TF_ASSIGN_OR_RETURN(Found found, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<Found> {
    auto token = repo_.GetApiTokenByHash(tx, hash);
    if (absl::IsNotFound(token.status())) return BadCredential();
    if (!token.ok()) return token.status();
    TF_ASSIGN_OR_RETURN(User user, repo_.GetUser(tx, token->tenant_id, token->user_id));
    TF_ASSIGN_OR_RETURN(Tenant tenant, repo_.GetTenant(tx, user.tenant_id));
    if (token->revoked_at || now >= token->expires_at || user.status != kStatusActive || user.locked_at ||
        tenant.status != kStatusActive) {
      return BadCredential();
    }
    return Found{std::move(*token), std::move(user)};
  }));
  if (!found.token.last_used_at || now - *found.token.last_used_at >= kTouchEveryMicros) {
    TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(found.token.tenant_id).Retryable(), [&](store::Transaction& tx) {
      return repo_.TouchApiToken(tx, found.token.id, now);
    }));
  }
  Principal p;
  p.kind = Principal::Kind::kApiToken;
  p.user_id = found.user.id;
  p.tenant_id = found.token.tenant_id;
  // Never more than the creator holds today: demoting the creator narrows the token.
  p.permissions = found.token.permissions & PermissionsOf(found.user.roles);
  p.credential_id = found.token.id;
  return p;
}

absl::Status IdentityService::ChangePassword(const Principal& caller, std::string_view current,
                                             std::string_view next) {
  if (caller.kind != Principal::Kind::kSession) {
    return absl::PermissionDeniedError("passwords are changed by their owner in a signed-in session");
  }
  TF_ASSIGN_OR_RETURN(User user, db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) {
    return repo_.GetUser(tx, caller.tenant_id, caller.user_id);
  }));
  if (!crypto::VerifyPassword(user.password_hash, current)) {
    return FieldError("current_password", "is not the current password");
  }
  TF_RETURN_IF_ERROR(personal_.Open(user));  // the write below re-reads the stored row
  if (absl::Status policy = CheckPassword(next, user.email); !policy.ok()) {
    return FieldError("new_password", Sv(policy.message()).substr(std::string_view("password: ").size()));
  }
  if (crypto::VerifyPassword(user.password_hash, next)) {
    return FieldError("new_password", "must differ from the current password");
  }
  TF_ASSIGN_OR_RETURN(std::string hash, crypto::HashPassword(next));
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    // Re-read: the row may have changed while the password was being hashed.
    std::string verified_hash = user.password_hash;
    TF_ASSIGN_OR_RETURN(user, repo_.GetUser(tx, caller.tenant_id, caller.user_id));
    if (user.password_hash != verified_hash) {
      return absl::AbortedError("the password was changed meanwhile; sign in again");
    }
    int64_t now = Now();
    user.password_hash = hash;
    user.must_change_password = false;
    user.password_changed_at = now;
    user.updated_at = now;
    TF_RETURN_IF_ERROR(repo_.UpdateUser(tx, user));
    // Other sessions end; this one continues.
    TF_RETURN_IF_ERROR(repo_.RevokeUserSessions(tx, user.id, caller.credential_id, now).status());
    TF_RETURN_IF_ERROR(RecordEvent(tx, user.tenant_id, user.id, caller.Actor(), "password_changed", caller.source_ip,
                                   caller.user_agent, {{"other_sessions_revoked", true}}));
    log::Info("password changed", {{"user_id", user.id}});
    return absl::OkStatus();
  });
}

absl::StatusOr<std::pair<User, Tenant>> IdentityService::Me(const Principal& caller) {
  TF_ASSIGN_OR_RETURN(auto me, db_.InTx(store::ReadTx(caller.TxTenant()),
                                        [&](store::Transaction& tx) -> absl::StatusOr<std::pair<User, Tenant>> {
    TF_ASSIGN_OR_RETURN(User user, repo_.GetUser(tx, caller.tenant_id, caller.user_id));
    TF_ASSIGN_OR_RETURN(Tenant tenant, repo_.GetTenant(tx, user.tenant_id));
    return std::pair<User, Tenant>(std::move(user), std::move(tenant));
  }));
  TF_RETURN_IF_ERROR(personal_.Open(me.first));
  return me;
}

// ---------------------------------------------------------------------------------------------
// Tenants

absl::StatusOr<Tenant> IdentityService::CreateTenant(const Principal& caller, std::string slug, std::string name,
                                                     std::string data_region) {
  if (!caller.IsPlatform()) return absl::PermissionDeniedError("only platform operators manage tenants");
  if (!IsValidSlug(slug)) {
    return FieldError("slug", "must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  }
  if (slug == kSystemTenantSlug) return FieldError("slug", "is reserved");
  name = std::string(absl::StripAsciiWhitespace(name));
  if (name.empty()) return FieldError("name", "must not be empty");
  if (data_region.empty()) data_region = "us";
  if (std::find(std::begin(kRegions), std::end(kRegions), data_region) == std::end(kRegions)) {
    return FieldError("data_region", "must be one of us, ca, uk, eu");
  }
  int64_t now = Now();
  Tenant t{NewId(), slug, name, data_region, std::string(kStatusActive), false, false, now, now};
  return db_.InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::StatusOr<Tenant> {
    absl::Status s = repo_.InsertTenant(tx, t);
    if (absl::IsAlreadyExists(s)) return absl::AlreadyExistsError(StrCat("a tenant with slug '", slug, "' exists"));
    TF_RETURN_IF_ERROR(s);
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, t.id, audit::Actor::Of(caller),
                                          {"tenant.created", "CREATE", "tenants", t.id, {{"after", TenantAudit(t)}}}));
    log::Info("tenant created", {{"tenant_id", t.id}, {"slug", t.slug}});
    return t;
  });
}

absl::StatusOr<std::vector<Tenant>> IdentityService::ListTenants(const Principal& caller, const TenantFilter& filter,
                                                                 const std::optional<std::string>& after_id,
                                                                 int limit) {
  if (!caller.IsPlatform()) return absl::PermissionDeniedError("only platform operators list tenants");
  return db_.InTx(store::ReadTx().ReplicaOk(), [&](store::Transaction& tx) {
    return repo_.ListTenants(tx, filter, after_id, limit);
  });
}

absl::StatusOr<Tenant> IdentityService::GetTenant(const Principal& caller, const std::string& id) {
  if (!caller.IsPlatform() && id != caller.tenant_id) return absl::NotFoundError("tenant not found");
  return db_.InTx(store::ReadTx(), [&](store::Transaction& tx) { return repo_.GetTenant(tx, id); });
}

absl::StatusOr<Tenant> IdentityService::UpdateTenant(const Principal& caller, const std::string& id,
                                                     const TenantPatch& patch) {
  if (!caller.IsPlatform()) return absl::PermissionDeniedError("only platform operators manage tenants");
  if (patch.status && *patch.status != kStatusActive && *patch.status != kStatusSuspended) {
    return FieldError("status", "must be active or suspended");
  }
  if (patch.name && absl::StripAsciiWhitespace(*patch.name).empty()) return FieldError("name", "must not be empty");
  return db_.InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::StatusOr<Tenant> {
    TF_ASSIGN_OR_RETURN(Tenant t, repo_.GetTenant(tx, id));
    nlohmann::json before = TenantAudit(t);
    if (patch.status && t.slug == kSystemTenantSlug && *patch.status != kStatusActive) {
      return absl::FailedPreconditionError("the system tenant cannot be suspended");
    }
    if (patch.name) t.name = std::string(absl::StripAsciiWhitespace(*patch.name));
    if (patch.status) t.status = *patch.status;
    t.updated_at = Now();
    TF_RETURN_IF_ERROR(repo_.UpdateTenant(tx, t));
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, t.id, audit::Actor::Of(caller),
                                          {"tenant.updated", "UPDATE", "tenants", t.id,
                                           {{"before", before}, {"after", TenantAudit(t)}}}));
    log::Info("tenant updated", {{"tenant_id", t.id}, {"status", t.status}});
    return t;
  });
}

// ---------------------------------------------------------------------------------------------
// Users

absl::StatusOr<std::vector<Role>> IdentityService::ParseGrantableRoles(const Principal& caller,
                                                                       const std::vector<std::string>& names,
                                                                       bool system_tenant) {
  if (names.empty()) return FieldError("roles", "must name at least one role");
  std::vector<Role> roles;
  for (const std::string& name : names) {
    auto role = ParseRole(name);
    if (!role) return FieldError("roles", StrCat("unknown role '", name.substr(0, 32), "'"));
    if (IsPlatformRole(*role) != system_tenant && IsPlatformRole(*role)) {
      return FieldError("roles", StrCat(name, " exists only in the system tenant"));
    }
    if (std::find(roles.begin(), roles.end(), *role) == roles.end()) roles.push_back(*role);
  }
  if (!IsSubset(PermissionsOf(roles), caller.permissions)) {
    return absl::PermissionDeniedError("you cannot grant a role with permissions you do not hold");
  }
  return roles;
}

absl::StatusOr<User> IdentityService::CreateUser(const Principal& caller, const NewUser& request) {
  std::string email = NormalizeEmail(request.email);
  if (!IsValidEmail(email)) return FieldError("email", "must be a valid email address");
  std::string tenant_id = caller.tenant_id;
  if (request.tenant_id && caller.IsPlatform()) tenant_id = *request.tenant_id;
  TF_ASSIGN_OR_RETURN(Tenant tenant, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<Tenant> {
    auto t = repo_.GetTenant(tx, tenant_id);
    if (absl::IsNotFound(t.status())) return FieldError("tenant_id", "no such tenant");
    return t;
  }));
  TF_ASSIGN_OR_RETURN(std::vector<Role> roles,
                      ParseGrantableRoles(caller, request.roles, tenant.slug == kSystemTenantSlug));
  TF_RETURN_IF_ERROR(CheckPassword(request.password, email));
  if (request.display_name.size() > 200) return FieldError("display_name", "must be at most 200 bytes");
  TF_ASSIGN_OR_RETURN(std::string hash, crypto::HashPassword(request.password));
  User u = ActiveUser(NewId(), tenant.id, email, request.display_name, hash, roles, request.must_change_password, Now());
  TF_ASSIGN_OR_RETURN(User sealed, SealedCopy(u));
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(CheckStandingGrant(tx, caller, roles));
    absl::Status s = repo_.InsertUser(tx, sealed);
    if (absl::IsAlreadyExists(s)) return absl::AlreadyExistsError("a user with this email exists");
    TF_RETURN_IF_ERROR(s);
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, u.tenant_id, audit::Actor::Of(caller),
                                          {"user.created", "CREATE", "users", u.id, {{"after", UserAudit(u)}}}));
    log::Info("user created", {{"user_id", u.id}, {"user_tenant", u.tenant_id}});
    return absl::OkStatus();
  }));
  return u;
}

absl::Status IdentityService::CheckStandingGrant(store::Transaction& tx, const Principal& caller,
                                                 const std::vector<Role>& roles) {
  if (caller.via.empty()) return absl::OkStatus();
  TF_ASSIGN_OR_RETURN(User self, repo_.GetUser(tx, caller.tenant_id, caller.user_id));
  if (IsSubset(PermissionsOf(roles), PermissionsOf(self.roles))) return absl::OkStatus();
  return absl::PermissionDeniedError("with just-in-time access you cannot give roles beyond your own");
}

absl::StatusOr<std::vector<User>> IdentityService::ListUsers(const Principal& caller, UserFilter filter,
                                                             const std::optional<std::string>& after_id, int limit) {
  if (auto scope = caller.TenantScope()) filter.tenant_id = scope;
  if (filter.email) {
    TF_ASSIGN_OR_RETURN(filter.email_index, personal_.EmailIndex(NormalizeEmail(*filter.email)));
  }
  if (filter.role && !ParseRole(*filter.role)) return FieldError("role", "unknown role");
  TF_ASSIGN_OR_RETURN(std::vector<User> users, db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(),
                                                        [&](store::Transaction& tx) {
    return repo_.ListUsers(tx, filter, after_id, limit);
  }));
  TF_RETURN_IF_ERROR(personal_.Open(users));
  return users;
}

absl::StatusOr<User> IdentityService::GetUser(const Principal& caller, const std::string& id) {
  return Opened(db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) {
    return repo_.GetUser(tx, caller.TenantScope(), id);
  }));
}

absl::StatusOr<User> IdentityService::SealedCopy(User& u) {
  User sealed = u;
  TF_RETURN_IF_ERROR(personal_.Seal(sealed));
  u.email_index = sealed.email_index;
  return sealed;
}

absl::StatusOr<User> IdentityService::Opened(absl::StatusOr<User> user) {
  if (user.ok()) TF_RETURN_IF_ERROR(personal_.Open(*user));
  return user;
}

absl::StatusOr<User> IdentityService::UpdateUser(const Principal& caller, const std::string& id,
                                                 const UserPatch& patch) {
  if (patch.status && *patch.status != kStatusActive && *patch.status != kStatusDisabled) {
    return FieldError("status", "must be active or disabled");
  }
  if (patch.display_name && patch.display_name->size() > 200) {
    return FieldError("display_name", "must be at most 200 bytes");
  }
  std::optional<std::string> sealed_name;
  if (patch.display_name) {
    TF_ASSIGN_OR_RETURN(User found, db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) {
      return repo_.GetUser(tx, caller.TenantScope(), id);
    }));
    TF_ASSIGN_OR_RETURN(sealed_name, personal_.SealDisplayName(found, *patch.display_name));
  }
  return Opened(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<User> {
    TF_ASSIGN_OR_RETURN(User u, repo_.GetUser(tx, caller.TenantScope(), id));
    if (u.erased_at) return UserErased();
    nlohmann::json before = UserAudit(u);
    if (!IsSubset(PermissionsOf(u.roles), caller.permissions)) {
      return absl::PermissionDeniedError("you cannot change a user who holds permissions you do not");
    }
    if (id == caller.user_id && (patch.roles || patch.status)) {
      return absl::FailedPreconditionError("you cannot change your own roles or status");
    }
    int64_t now = Now();
    if (patch.roles) {
      TF_ASSIGN_OR_RETURN(Tenant tenant, repo_.GetTenant(tx, u.tenant_id));
      TF_ASSIGN_OR_RETURN(u.roles, ParseGrantableRoles(caller, *patch.roles, tenant.slug == kSystemTenantSlug));
      TF_RETURN_IF_ERROR(CheckStandingGrant(tx, caller, u.roles));
    }
    if (patch.status) {
      if (*patch.status == kStatusDisabled && u.status != kStatusDisabled) {
        TF_RETURN_IF_ERROR(repo_.RevokeUserSessions(tx, u.id, "", now).status());
      }
      u.status = *patch.status;
    }
    if (sealed_name) u.display_name = *sealed_name;
    u.updated_at = now;
    TF_RETURN_IF_ERROR(repo_.UpdateUser(tx, u));
    nlohmann::json after = UserAudit(u);
    if (sealed_name) after["display_name_changed"] = true;
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, u.tenant_id, audit::Actor::Of(caller),
                                          {"user.updated", "UPDATE", "users", u.id,
                                           {{"before", before}, {"after", after}}}));
    log::Info("user updated", {{"user_id", u.id}, {"status", u.status}});
    return u;
  }));
}

absl::StatusOr<std::optional<std::string>> IdentityService::ResetPassword(const Principal& caller,
                                                                          const std::string& id,
                                                                          std::optional<std::string> password) {
  TF_ASSIGN_OR_RETURN(User u, GetUser(caller, id));
  if (u.erased_at) return UserErased();
  if (!IsSubset(PermissionsOf(u.roles), caller.permissions)) {
    return absl::PermissionDeniedError("you cannot reset the password of a user who holds permissions you do not");
  }
  std::optional<std::string> generated;
  if (!password) {
    generated = OneTimePassword(rng_);
    password = generated;
  } else {
    TF_RETURN_IF_ERROR(CheckPassword(*password, u.email));
  }
  TF_ASSIGN_OR_RETURN(std::string hash, crypto::HashPassword(*password));
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(u, repo_.GetUser(tx, caller.TenantScope(), id));  // the row as it is now
    int64_t now = Now();
    u.password_hash = hash;
    u.must_change_password = true;
    u.password_changed_at = now;
    u.updated_at = now;
    TF_RETURN_IF_ERROR(repo_.UpdateUser(tx, u));
    TF_RETURN_IF_ERROR(repo_.RevokeUserSessions(tx, u.id, "", now).status());
    TF_RETURN_IF_ERROR(RecordEvent(tx, u.tenant_id, u.id, caller.Actor(), "password_reset", caller.source_ip,
                                   caller.user_agent, {{"one_time_password_generated", generated.has_value()}}));
    log::Info("password reset by an administrator", {{"user_id", u.id}});
    return absl::OkStatus();
  }));
  return generated;
}

absl::StatusOr<User> IdentityService::Unlock(const Principal& caller, const std::string& id) {
  return Opened(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<User> {
    TF_ASSIGN_OR_RETURN(User u, repo_.GetUser(tx, caller.TenantScope(), id));
    if (u.erased_at) return UserErased();
    if (!IsSubset(PermissionsOf(u.roles), caller.permissions)) {
      return absl::PermissionDeniedError("you cannot unlock a user who holds permissions you do not");
    }
    u.locked_at.reset();
    u.updated_at = Now();
    TF_RETURN_IF_ERROR(repo_.UpdateUser(tx, u));
    TF_RETURN_IF_ERROR(repo_.ClearThrottle(tx, kAccountScope, ThrottleAccount(u)));
    TF_RETURN_IF_ERROR(RecordEvent(tx, u.tenant_id, u.id, caller.Actor(), "account_unlocked", caller.source_ip,
                                   caller.user_agent));
    log::Info("account unlocked", {{"user_id", u.id}});
    return u;
  }));
}

absl::StatusOr<User> IdentityService::EraseUser(const Principal& caller, const std::string& id,
                                                std::string_view reference) {
  if (reference.size() > 100) return FieldError("reference", "must be at most 100 bytes");
  if (id == caller.user_id) return absl::FailedPreconditionError("you cannot erase yourself");
  TF_ASSIGN_OR_RETURN(User found, db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) {
    return repo_.GetUser(tx, caller.TenantScope(), id);
  }));
  if (found.erased_at) return UserErased();
  if (!IsSubset(PermissionsOf(found.roles), caller.permissions)) {
    return absl::PermissionDeniedError("you cannot erase a user who holds permissions you do not");
  }
  // The key first: once it is gone the person's data is unreadable everywhere, whatever
  // happens next (CompleteErasures finishes the row if this stops half-way).
  TF_RETURN_IF_ERROR(personal_.Erase(found).status());
  int64_t now = Now();
  return Opened(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<User> {
    TF_ASSIGN_OR_RETURN(User u, repo_.GetUser(tx, caller.TenantScope(), id));
    if (u.erased_at) return UserErased();
    nlohmann::json details = {{"before", UserAudit(u)}};
    TF_RETURN_IF_ERROR(Anonymize(tx, u, now));
    if (!reference.empty()) details["reference"] = std::string(reference);
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, u.tenant_id, audit::Actor::Of(caller),
                                          {"user.erased", "DELETE", "users", u.id, details}));
    log::Info("user erased", {{"user_id", u.id}});
    return u;
  }));
}

absl::Status IdentityService::Anonymize(store::Transaction& tx, User& u, int64_t erased_at) {
  u.email = StrCat(PersonalFields::kErased, ":", u.id);  // the column is unique
  u.display_name.clear();
  u.email_index.reset();
  u.password_hash.clear();  // matches no password
  u.roles.clear();
  u.status = std::string(kStatusErased);
  u.mfa_enabled = false;
  u.must_change_password = false;
  u.locked_at.reset();
  u.erased_at = erased_at;
  u.updated_at = Now();
  TF_RETURN_IF_ERROR(repo_.UpdateUser(tx, u));
  TF_RETURN_IF_ERROR(repo_.ForgetUserCredentials(tx, u.id, PersonalFields::kErased, Now()));
  return accounts_.ForgetUser(tx, u.id);
}

absl::StatusOr<int64_t> IdentityService::CompleteErasures() {
  int64_t completed = 0;
  secrets::ErasedSubject after;
  for (;;) {
    TF_ASSIGN_OR_RETURN(std::vector<secrets::ErasedSubject> erased, personal_.ErasedAfter(after, 500));
    if (erased.empty()) return completed;
    after = erased.back();
    // One read per page finds the rows still to do; usually none.
    std::vector<std::string> ids;
    for (const secrets::ErasedSubject& e : erased) ids.push_back(e.subject_id);
    TF_ASSIGN_OR_RETURN(std::vector<std::string> pending, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
      return repo_.NotErased(tx, ids);
    }));
    for (const secrets::ErasedSubject& e : erased) {
      if (std::find(pending.begin(), pending.end(), e.subject_id) == pending.end()) continue;
      TF_ASSIGN_OR_RETURN(bool done, db_.InTx(store::WriteTx(e.tenant_id).Retryable(),
                                              [&](store::Transaction& tx) -> absl::StatusOr<bool> {
        absl::StatusOr<User> u = repo_.GetUser(tx, e.tenant_id, e.subject_id);
        if (absl::IsNotFound(u.status())) return false;  // not a user of this database
        TF_RETURN_IF_ERROR(u.status());
        if (u->erased_at) return false;
        TF_RETURN_IF_ERROR(Anonymize(tx, *u, e.erased_at));
        TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, u->tenant_id, audit::Actor::System(),
                                              {"user.erasure_completed", "DELETE", "users", u->id,
                                               {{"key_erased_at", e.erased_at}}}));
        return true;
      }));
      if (done) log::Info("erasure completed", {{"user_id", e.subject_id}});
      completed += done;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// API tokens

absl::StatusOr<CreatedApiToken> IdentityService::CreateApiToken(const Principal& caller, const NewApiToken& request) {
  std::string name(absl::StripAsciiWhitespace(request.name));
  if (name.empty() || name.size() > 100) return FieldError("name", "must be 1-100 bytes");
  if (request.expires_in_days < 1 || request.expires_in_days > options_.api_token_max_lifetime_days) {
    return FieldError("expires_in_days",
                      StrCat("must be from 1 to ", options_.api_token_max_lifetime_days));
  }
  if (request.permissions.empty()) return FieldError("permissions", "must name at least one permission");
  PermissionSet perms;
  for (const std::string& n : request.permissions) {
    auto p = ParsePermission(n);
    if (!p) return FieldError("permissions", StrCat("unknown permission '", n.substr(0, 64), "'"));
    perms.set(static_cast<size_t>(*p));
  }
  if (!IsSubset(perms, caller.permissions)) {
    return absl::PermissionDeniedError("a token cannot hold permissions you do not hold");
  }
  int64_t now = Now();
  CreatedApiToken created;
  created.secret = crypto::NewToken(rng_, kApiTokenPrefix);
  created.token = ApiToken{NewId(), caller.tenant_id, caller.user_id, name, crypto::Sha256Hex(created.secret), perms,
                           now + int64_t{request.expires_in_days} * 86400 * 1'000'000, now, std::nullopt,
                           std::nullopt};
  ApiToken sealed = created.token;
  TF_RETURN_IF_ERROR(personal_.Seal(sealed));
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(repo_.InsertApiToken(tx, sealed));
    TF_RETURN_IF_ERROR(audit_.RecordEvent(
        tx, created.token.tenant_id, audit::Actor::Of(caller),
        {"api_token.created", "CREATE", "auth.tokens", created.token.id,
         {{"after", {{"permissions", PermissionNames(perms)}, {"expires_at", created.token.expires_at}}}}}));
    log::Info("API token created", {{"api_token_id", created.token.id}});
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<std::vector<ApiToken>> IdentityService::ListApiTokens(const Principal& caller,
                                                                     const std::optional<std::string>& after_id,
                                                                     int limit) {
  TF_ASSIGN_OR_RETURN(std::vector<ApiToken> tokens, db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(),
                                                             [&](store::Transaction& tx) {
    return repo_.ListApiTokens(tx, caller.tenant_id, after_id, limit);
  }));
  TF_RETURN_IF_ERROR(personal_.Open(tokens));
  return tokens;
}

absl::Status IdentityService::RevokeApiToken(const Principal& caller, const std::string& id) {
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(ApiToken t, repo_.GetApiToken(tx, caller.tenant_id, id));
    if (t.revoked_at) return absl::OkStatus();
    TF_RETURN_IF_ERROR(repo_.RevokeApiToken(tx, caller.tenant_id, id, Now()));
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, caller.tenant_id, audit::Actor::Of(caller),
                                          {"api_token.revoked", "DELETE", "auth.tokens", id}));
    log::Info("API token revoked", {{"api_token_id", id}});
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

absl::StatusOr<int64_t> IdentityService::PurgeEndedSessions(std::chrono::microseconds keep) {
  return db_.InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::StatusOr<int64_t> {
    TF_ASSIGN_OR_RETURN(int64_t challenges, accounts_.PurgeChallenges(tx, Now()));
    TF_ASSIGN_OR_RETURN(int64_t sessions, repo_.PurgeSessions(tx, Now() - keep.count()));
    return challenges + sessions;
  });
}

absl::StatusOr<bool> IdentityService::IsBootstrapped() {
  return db_.InTx(store::ReadTx(), [&](store::Transaction& tx) -> absl::StatusOr<bool> {
    TF_ASSIGN_OR_RETURN(int64_t n, repo_.CountUsersWithRole(tx, Role::kSuperAdmin));
    return n > 0;
  });
}

absl::StatusOr<BootstrapResult> IdentityService::Bootstrap(const std::string& email_in,
                                                           std::optional<std::string> password) {
  std::string email = NormalizeEmail(email_in);
  if (!IsValidEmail(email)) return FieldError("email", "must be a valid email address");
  BootstrapResult result;
  if (!password) {
    result.one_time_password = OneTimePassword(rng_);
    password = result.one_time_password;
  } else {
    TF_RETURN_IF_ERROR(CheckPassword(*password, email));
  }
  TF_ASSIGN_OR_RETURN(bool done, IsBootstrapped());
  if (done) return AlreadyBootstrapped();
  TF_ASSIGN_OR_RETURN(std::string hash, crypto::HashPassword(*password));
  TF_ASSIGN_OR_RETURN(Tenant system, SystemTenant());
  User& u = result.user;
  u = ActiveUser(NewId(), system.id, email, "Platform administrator", hash, {Role::kSuperAdmin},
                 result.one_time_password.has_value(), Now());
  TF_ASSIGN_OR_RETURN(User sealed, SealedCopy(u));
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(int64_t admins, repo_.CountUsersWithRole(tx, Role::kSuperAdmin));
    if (admins > 0) return AlreadyBootstrapped();
    absl::Status s = repo_.InsertUser(tx, sealed);
    if (absl::IsAlreadyExists(s)) return absl::AlreadyExistsError("a user with this email exists");
    TF_RETURN_IF_ERROR(s);
    TF_RETURN_IF_ERROR(audit_.RecordEvent(tx, u.tenant_id, audit::Actor::System(),
                                          {"platform.bootstrapped", "CREATE", "users", u.id, {{"after", UserAudit(u)}}}));
    log::Info("bootstrapped the first SUPER_ADMIN", {{"user_id", u.id}});
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<int64_t> IdentityService::SealPersonalData() {
  constexpr int kBatch = 200;
  int64_t sealed = 0;
  for (;;) {
    TF_ASSIGN_OR_RETURN(std::vector<User> users, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
      return repo_.ListUnsealedUsers(tx, kBatch);
    }));
    TF_ASSIGN_OR_RETURN(std::vector<ApiToken> tokens, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
      return repo_.ListUnsealedApiTokens(tx, kBatch);
    }));
    TF_ASSIGN_OR_RETURN(std::vector<TotpFactor> factors, db_.InTx(store::ReadTx(), [&](store::Transaction& tx) {
      return accounts_.ListPlaintextTotp(tx, kBatch);
    }));
    if (users.empty() && tokens.empty() && factors.empty()) return sealed;
    std::vector<std::pair<User, User>> user_rows;
    for (User& u : users) {
      User after = u;
      after.email = NormalizeEmail(u.email);
      TF_RETURN_IF_ERROR(personal_.Seal(after));
      user_rows.emplace_back(std::move(u), std::move(after));
    }
    std::vector<std::pair<ApiToken, std::string>> token_rows;
    for (ApiToken& t : tokens) {
      ApiToken after = t;
      TF_RETURN_IF_ERROR(personal_.Seal(after));
      token_rows.emplace_back(std::move(t), std::move(after.name));
    }
    std::vector<std::pair<TotpFactor, std::string>> factor_rows;
    for (TotpFactor& f : factors) {
      TF_ASSIGN_OR_RETURN(std::string encrypted, personal_.EncryptTotpSecret(f, f.secret));
      factor_rows.emplace_back(std::move(f), std::move(encrypted));
    }
    // A row changed meanwhile is left for the next pass (it is listed again while unsealed).
    TF_ASSIGN_OR_RETURN(int64_t n, db_.InTx(store::WriteTx().Retryable(), [&](store::Transaction& tx)
                                                -> absl::StatusOr<int64_t> {
      int64_t done = 0;
      for (const auto& [before, after] : user_rows) {
        TF_ASSIGN_OR_RETURN(bool changed, repo_.SealUser(tx, before, after));
        done += changed;
      }
      for (const auto& [before, name] : token_rows) {
        TF_ASSIGN_OR_RETURN(bool changed, repo_.SealApiTokenName(tx, before, name));
        done += changed;
      }
      for (const auto& [before, encrypted] : factor_rows) {
        TF_ASSIGN_OR_RETURN(bool changed, accounts_.EncryptTotp(tx, before, encrypted));
        done += changed;
      }
      return done;
    }));
    sealed += n;
  }
}

absl::StatusOr<Tenant> IdentityService::SystemTenant() {
  return db_.InTx(store::WriteTx().Retryable(), [&](store::Transaction& tx) -> absl::StatusOr<Tenant> {
    absl::StatusOr<Tenant> system = repo_.GetTenantBySlug(tx, kSystemTenantSlug);
    if (!absl::IsNotFound(system.status())) return system;
    int64_t now = Now();
    Tenant t{NewId(), std::string(kSystemTenantSlug), "Platform operators", "us", std::string(kStatusActive),
             false, false, now, now};
    TF_RETURN_IF_ERROR(repo_.InsertTenant(tx, t));
    return t;
  });
}

}  // namespace tf::identity
