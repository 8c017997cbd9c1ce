#include "modules/identity/account_service.h"

#include "absl/strings/ascii.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/qr_svg.h"
#include "core/status.h"
#include "core/strings.h"
#include "core/totp.h"
#include "modules/identity/account_rules.h"

namespace tf::identity {

namespace {

constexpr size_t kTotpSecretBytes = 20;  // 160 bits, as RFC 4226 recommends

absl::Status WrongCode() { return FieldError("code", "is not a valid authenticator or recovery code"); }

}  // namespace

AccountService::AccountService(store::Database& db, const Clock& clock, Rng& rng, IdentityOptions options,
                               std::string issuer, audit::AuditLog& audit, secrets::PersonalData& personal_data)
    : db_(db),
      clock_(clock),
      rng_(rng),
      options_(options),
      issuer_(std::move(issuer)),
      audit_(audit),
      personal_(personal_data) {}

std::string AccountService::NewId() { return NewUuidV7(clock_, rng_); }

int64_t AccountService::LiveAfter(int64_t now) const {
  return now - std::chrono::duration_cast<std::chrono::microseconds>(options_.session_idle_timeout).count();
}

absl::Status AccountService::RequireSession(const Principal& caller) const {
  if (caller.kind != Principal::Kind::kSession) {
    return absl::FailedPreconditionError("API tokens do not have sessions; a second factor is managed in a signed-in session");
  }
  return absl::OkStatus();
}

absl::StatusOr<User> AccountService::Self(store::Transaction& tx, const Principal& caller) {
  return users_.GetUser(tx, caller.tenant_id, caller.user_id);
}

absl::StatusOr<User> AccountService::Subject(store::Transaction& tx, const Principal& caller,
                                             const std::string& user_id, bool write) {
  if (user_id == caller.user_id) return Self(tx, caller);
  TF_ASSIGN_OR_RETURN(User u, users_.GetUser(tx, caller.TenantScope(), user_id));
  if (write && !IsSubset(PermissionsOf(u.roles), caller.permissions)) {
    return absl::PermissionDeniedError("you cannot change a user who holds permissions you do not");
  }
  return u;
}

absl::Status AccountService::Record(store::Transaction& tx, const Principal& caller, const std::string& tenant_id,
                                    std::string_view user_id, std::string_view type, const nlohmann::json& detail) {
  AccountEvent event = MakeAccountEvent(NewId(), tenant_id, user_id, caller.Actor(), type, caller.source_ip,
                                        caller.user_agent, detail, Now());
  TF_RETURN_IF_ERROR(accounts_.InsertEvent(tx, event));
  return audit_.RecordEvent(tx, tenant_id, audit::Actor::Of(caller), AccountAuditEvent(event));
}

// ---------------------------------------------------------------------------------------------
// TOTP

absl::StatusOr<TotpEnrollment> AccountService::EnrollTotp(const Principal& caller) {
  TF_RETURN_IF_ERROR(RequireSession(caller));
  TotpEnrollment out;
  // The authenticator shows the account's email: opened before the change's transaction.
  TF_ASSIGN_OR_RETURN(User me, db_.InTx(store::ReadTx(caller.TxTenant()),
                                        [&](store::Transaction& tx) { return Self(tx, caller); }));
  TF_RETURN_IF_ERROR(personal_.Open(me));
  TotpFactor f;
  f.user_id = me.id;
  f.tenant_id = me.tenant_id;
  f.created_at = Now();
  out.secret = totp::Base32Encode(rng_.Bytes(kTotpSecretBytes));
  TF_ASSIGN_OR_RETURN(f.secret, personal_.EncryptTotpSecret(f, out.secret));
  TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(User user, Self(tx, caller));
    if (user.mfa_enabled) {
      return absl::FailedPreconditionError(
          "multi-factor authentication is already on; disable it first to enrol another authenticator");
    }
    TF_RETURN_IF_ERROR(accounts_.PutTotp(tx, f));
    out.otpauth_uri = totp::OtpauthUri(issuer_, me.email, out.secret);
    TF_ASSIGN_OR_RETURN(out.qr_svg, QrSvg(out.otpauth_uri));
    return Record(tx, caller, user.tenant_id, user.id, "mfa_enrollment_started");
  }));
  return out;
}

absl::StatusOr<std::vector<std::string>> AccountService::IssueRecoveryCodes(store::Transaction& tx,
                                                                           const User& user) {
  std::vector<std::string> codes = NewRecoveryCodes(rng_);
  std::vector<std::pair<std::string, std::string>> rows;
  for (const std::string& code : codes) rows.emplace_back(NewId(), RecoveryCodeHash(user.id, code));
  TF_RETURN_IF_ERROR(accounts_.ReplaceRecoveryCodes(tx, user.tenant_id, user.id, rows, Now()));
  return codes;
}

absl::StatusOr<std::vector<std::string>> AccountService::ConfirmTotp(const Principal& caller, std::string_view code) {
  TF_RETURN_IF_ERROR(RequireSession(caller));
  TF_ASSIGN_OR_RETURN(std::optional<OpenedTotp> pending,
                      ReadTotp(db_, accounts_, personal_, caller.tenant_id, caller.user_id));
  return db_.InTx(store::WriteTx(caller.TxTenant()),
                  [&](store::Transaction& tx) -> absl::StatusOr<std::vector<std::string>> {
    TF_ASSIGN_OR_RETURN(User user, Self(tx, caller));
    auto factor = accounts_.GetTotp(tx, user.id);
    if (absl::IsNotFound(factor.status()) || (factor.ok() && factor->confirmed_at) || !pending ||
        (factor.ok() && factor->created_at != pending->created_at)) {
      return absl::FailedPreconditionError(
          "no enrolment is waiting for confirmation; start one with POST /api/auth/mfa/totp/enroll");
    }
    TF_RETURN_IF_ERROR(factor.status());
    TF_ASSIGN_OR_RETURN(std::string key, totp::Base32Decode(pending->secret));
    std::optional<int64_t> step = totp::MatchStep(key, code, Now() / 1'000'000, std::nullopt);
    if (!step) return FieldError("code", "does not match the authenticator; check the device's clock");
    int64_t now = Now();
    TF_RETURN_IF_ERROR(accounts_.ConfirmTotp(tx, user.id, *step, now));
    user.mfa_enabled = true;
    user.updated_at = now;
    TF_RETURN_IF_ERROR(users_.UpdateUser(tx, user));
    TF_ASSIGN_OR_RETURN(std::vector<std::string> codes, IssueRecoveryCodes(tx, user));
    TF_RETURN_IF_ERROR(Record(tx, caller, user.tenant_id, user.id, "mfa_enabled", {{"method", "totp"}}));
    log::Info("multi-factor authentication enabled", {{"user_id", user.id}});
    return codes;
  });
}

absl::Status AccountService::DisableTotp(const Principal& caller, std::string_view password, std::string_view code) {
  TF_RETURN_IF_ERROR(RequireSession(caller));
  TF_ASSIGN_OR_RETURN(User user, db_.InTx(store::ReadTx(caller.TxTenant()),
                                          [&](store::Transaction& tx) { return Self(tx, caller); }));
  if (!user.mfa_enabled) return absl::FailedPreconditionError("multi-factor authentication is not on");
  if (!crypto::VerifyPassword(user.password_hash, password)) {
    return FieldError("password", "is not the current password");
  }
  TF_ASSIGN_OR_RETURN(std::optional<OpenedTotp> totp, ReadTotp(db_, accounts_, personal_, user.tenant_id, user.id));
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(User current, Self(tx, caller));
    if (current.password_hash != user.password_hash) {
      return absl::AbortedError("the password was changed meanwhile; try again");
    }
    TF_ASSIGN_OR_RETURN(auto factor, UseSecondFactor(tx, accounts_, totp, current.id, code, Now()));
    if (!factor) return WrongCode();
    TF_RETURN_IF_ERROR(accounts_.DeleteTotp(tx, current.id));
    TF_RETURN_IF_ERROR(accounts_.DeleteRecoveryCodes(tx, current.id));
    current.mfa_enabled = false;
    current.updated_at = Now();
    TF_RETURN_IF_ERROR(users_.UpdateUser(tx, current));
    TF_RETURN_IF_ERROR(Record(tx, caller, current.tenant_id, current.id, "mfa_disabled",
                              {{"confirmed_with", *factor == SecondFactor::kTotp ? "totp" : "recovery_code"}}));
    log::Info("multi-factor authentication disabled", {{"user_id", current.id}});
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> AccountService::RegenerateRecoveryCodes(const Principal& caller,
                                                                                std::string_view code) {
  TF_RETURN_IF_ERROR(RequireSession(caller));
  TF_ASSIGN_OR_RETURN(std::optional<OpenedTotp> totp,
                      ReadTotp(db_, accounts_, personal_, caller.tenant_id, caller.user_id));
  return db_.InTx(store::WriteTx(caller.TxTenant()),
                  [&](store::Transaction& tx) -> absl::StatusOr<std::vector<std::string>> {
    TF_ASSIGN_OR_RETURN(User user, Self(tx, caller));
    if (!user.mfa_enabled) return absl::FailedPreconditionError("multi-factor authentication is not on");
    TF_ASSIGN_OR_RETURN(auto factor, UseSecondFactor(tx, accounts_, totp, user.id, code, Now()));
    if (!factor) return WrongCode();
    TF_ASSIGN_OR_RETURN(std::vector<std::string> codes, IssueRecoveryCodes(tx, user));
    TF_RETURN_IF_ERROR(Record(tx, caller, user.tenant_id, user.id, "recovery_codes_regenerated"));
    return codes;
  });
}

absl::StatusOr<MfaStatus> AccountService::GetMfaStatus(const Principal& caller) {
  return db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<MfaStatus> {
    TF_ASSIGN_OR_RETURN(User user, Self(tx, caller));
    TF_ASSIGN_OR_RETURN(Tenant tenant, users_.GetTenant(tx, user.tenant_id));
    MfaStatus s;
    s.enabled = user.mfa_enabled;
    s.required_by_tenant = tenant.require_mfa;
    auto factor = accounts_.GetTotp(tx, user.id);
    if (factor.ok()) {
      s.confirmed_at = factor->confirmed_at;
      s.enrollment_pending = !factor->confirmed_at.has_value();
    } else if (!absl::IsNotFound(factor.status())) {
      return factor.status();
    }
    TF_ASSIGN_OR_RETURN(s.recovery_codes_left, accounts_.CountUnusedRecoveryCodes(tx, user.id));
    return s;
  });
}

// ---------------------------------------------------------------------------------------------
// Sessions

absl::StatusOr<std::vector<SessionView>> AccountService::ListSessions(const Principal& caller,
                                                                      const std::string& user_id,
                                                                      const std::optional<std::string>& after_id,
                                                                      int limit) {
  return db_.InTx(store::ReadTx(caller.TxTenant()),
                  [&](store::Transaction& tx) -> absl::StatusOr<std::vector<SessionView>> {
    TF_ASSIGN_OR_RETURN(User user, Subject(tx, caller, user_id, /*write=*/false));
    int64_t now = Now();
    TF_ASSIGN_OR_RETURN(auto sessions, users_.ListLiveSessions(tx, user.id, now, LiveAfter(now), after_id, limit));
    std::vector<SessionView> out;
    for (Session& s : sessions) {
      SessionView v;
      if (s.device_id) {
        auto device = accounts_.GetDevice(tx, user.tenant_id, *s.device_id);
        if (device.ok()) v.device_name = device->name;
      }
      if (v.device_name.empty()) v.device_name = DescribeUserAgent(s.user_agent);
      v.current = caller.kind == Principal::Kind::kSession && s.id == caller.credential_id;
      v.session = std::move(s);
      out.push_back(std::move(v));
    }
    return out;
  });
}

absl::Status AccountService::RevokeSession(const Principal& caller, const std::string& user_id,
                                           const std::string& session_id) {
  return db_.InTx(store::WriteTx(caller.TxTenant()).Retryable(), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(User user, Subject(tx, caller, user_id, /*write=*/true));
    TF_ASSIGN_OR_RETURN(Session s, users_.GetSession(tx, user.id, session_id));
    if (s.revoked_at) return absl::OkStatus();
    TF_RETURN_IF_ERROR(users_.RevokeSession(tx, s.id, Now()));
    return Record(tx, caller, user.tenant_id, user.id, "session_revoked",
                  {{"session", s.id}, {"current", s.id == caller.credential_id}});
  });
}

absl::StatusOr<int64_t> AccountService::RevokeSessions(const Principal& caller, const std::string& user_id) {
  return db_.InTx(store::WriteTx(caller.TxTenant()).Retryable(), [&](store::Transaction& tx) -> absl::StatusOr<int64_t> {
    if (user_id == caller.user_id && caller.kind != Principal::Kind::kSession) {
      return absl::FailedPreconditionError("API tokens do not have sessions; sign in to end your other sessions");
    }
    TF_ASSIGN_OR_RETURN(User user, Subject(tx, caller, user_id, /*write=*/true));
    std::string keep = caller.kind == Principal::Kind::kSession ? caller.credential_id : "";
    TF_ASSIGN_OR_RETURN(int64_t n, users_.RevokeUserSessions(tx, user.id, keep, Now()));
    TF_RETURN_IF_ERROR(Record(tx, caller, user.tenant_id, user.id, "sessions_revoked", {{"count", n}}));
    return n;
  });
}

// ---------------------------------------------------------------------------------------------
// Devices

absl::StatusOr<std::vector<Device>> AccountService::ListDevices(const Principal& caller, const std::string& user_id,
                                                                const std::optional<std::string>& after_id,
                                                                int limit) {
  return db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<std::vector<Device>> {
    TF_ASSIGN_OR_RETURN(User user, Subject(tx, caller, user_id, /*write=*/false));
    TF_ASSIGN_OR_RETURN(auto devices, accounts_.ListDevices(tx, user.id, after_id, limit));
    int64_t now = Now();
    for (Device& d : devices) {
      // The approval code is for the owner to read out; administrators approve directly.
      bool show = user.id == caller.user_id && d.approval_expires_at && now < *d.approval_expires_at;
      if (!show) d.approval_code.reset();
    }
    return devices;
  });
}

absl::StatusOr<Device> AccountService::RenameDevice(const Principal& caller, const std::string& device_id,
                                                    std::string name) {
  name = std::string(absl::StripAsciiWhitespace(name));
  if (name.empty() || name.size() > 100) return FieldError("name", "must be 1-100 bytes");
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<Device> {
    TF_ASSIGN_OR_RETURN(Device d, accounts_.GetDevice(tx, caller.tenant_id, device_id));
    if (d.user_id != caller.user_id) return absl::NotFoundError("device not found");
    std::string before = d.name;
    d.name = name;
    TF_RETURN_IF_ERROR(accounts_.UpdateDevice(tx, d));
    TF_RETURN_IF_ERROR(Record(tx, caller, d.tenant_id, d.user_id, "device_renamed",
                              {{"device_id", d.id}, {"before", before}, {"after", d.name}}));
    return d;
  });
}

absl::Status AccountService::RemoveDevice(const Principal& caller, const std::string& user_id,
                                          const std::string& device_id) {
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(User user, Subject(tx, caller, user_id, /*write=*/true));
    TF_ASSIGN_OR_RETURN(Device d, accounts_.GetDevice(tx, user.tenant_id, device_id));
    if (d.user_id != user.id) return absl::NotFoundError("device not found");
    TF_ASSIGN_OR_RETURN(int64_t ended, users_.RevokeDeviceSessions(tx, d.id, Now()));
    TF_RETURN_IF_ERROR(accounts_.DeleteDevice(tx, d.id));
    return Record(tx, caller, user.tenant_id, user.id, "device_removed",
                  {{"device_id", d.id}, {"name", d.name}, {"sessions_ended", ended}});
  });
}

absl::StatusOr<Device> AccountService::ApproveDevice(const Principal& caller, const std::string& user_id,
                                                     const std::string& device_id) {
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<Device> {
    TF_ASSIGN_OR_RETURN(User user, Subject(tx, caller, user_id, /*write=*/true));
    TF_ASSIGN_OR_RETURN(Device d, accounts_.GetDevice(tx, user.tenant_id, device_id));
    if (d.user_id != user.id) return absl::NotFoundError("device not found");
    if (d.status == kDeviceApproved) return d;
    int64_t now = Now();
    d.status = std::string(kDeviceApproved);
    d.approved_by = caller.Actor();
    d.approved_at = now;
    d.approval_code.reset();
    d.approval_expires_at.reset();
    TF_RETURN_IF_ERROR(accounts_.UpdateDevice(tx, d));
    TF_RETURN_IF_ERROR(Record(tx, caller, user.tenant_id, user.id, "device_approved",
                              {{"device_id", d.id}, {"by", user.id == caller.user_id ? "owner" : "administrator"}}));
    return d;
  });
}

// ---------------------------------------------------------------------------------------------
// Tenant policy, events, dashboard counts

absl::StatusOr<Tenant> AccountService::GetSecurityPolicy(const Principal& caller, const std::string& tenant_id) {
  if (!caller.IsPlatform() && tenant_id != caller.tenant_id) return absl::NotFoundError("tenant not found");
  return db_.InTx(store::ReadTx(caller.TxTenant()), [&](store::Transaction& tx) { return users_.GetTenant(tx, tenant_id); });
}

absl::StatusOr<Tenant> AccountService::UpdateSecurityPolicy(const Principal& caller, const std::string& tenant_id,
                                                            const SecurityPolicyPatch& patch) {
  if (!caller.IsPlatform() && tenant_id != caller.tenant_id) return absl::NotFoundError("tenant not found");
  return db_.InTx(store::WriteTx(caller.TxTenant()), [&](store::Transaction& tx) -> absl::StatusOr<Tenant> {
    TF_ASSIGN_OR_RETURN(Tenant t, users_.GetTenant(tx, tenant_id));
    nlohmann::json before = {{"require_mfa", t.require_mfa}, {"require_device_approval", t.require_device_approval}};
    if (patch.require_mfa) t.require_mfa = *patch.require_mfa;
    if (patch.require_device_approval) t.require_device_approval = *patch.require_device_approval;
    nlohmann::json after = {{"require_mfa", t.require_mfa}, {"require_device_approval", t.require_device_approval}};
    if (before == after) return t;
    t.updated_at = Now();
    TF_RETURN_IF_ERROR(users_.UpdateTenant(tx, t));
    TF_RETURN_IF_ERROR(Record(tx, caller, t.id, "", "security_policy_changed", {{"before", before}, {"after", after}}));
    log::Info("tenant security policy changed", {{"tenant_id", t.id}, {"policy", after.dump()}});
    return t;
  });
}

absl::StatusOr<std::vector<AccountEvent>> AccountService::ListEvents(const Principal& caller, bool tenant_wide,
                                                                     AccountEventFilter filter,
                                                                     const std::optional<std::string>& after_id,
                                                                     int limit) {
  if (!tenant_wide) filter.user_id = caller.user_id;
  return db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(), [&](store::Transaction& tx) {
    return accounts_.ListEvents(tx, caller.tenant_id, filter, after_id, limit);
  });
}

absl::StatusOr<AccountStats> AccountService::Stats(const Principal& caller) {
  return db_.InTx(store::ReadTx(caller.TxTenant()).ReplicaOk(), [&](store::Transaction& tx) {
    int64_t now = Now();
    return accounts_.Stats(tx, caller.tenant_id, now, LiveAfter(now));
  });
}

}  // namespace tf::identity
