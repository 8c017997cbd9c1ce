// Tests of sign-in with a second factor and device approval (IdentityService) and of the
// account's own security settings (AccountService), on both backends, with a FakeClock: TOTP
// enrolment and two-step sign-in, replay and drift, wrong codes counting toward lockout,
// recovery codes, the tenant's MFA and device-approval policy, sessions, devices, events and
// the dashboard counts, and tenant isolation of every administrator view.

#include "modules/identity/account_service.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/crypto.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/strings.h"
#include "core/totp.h"
#include "modules/identity/identity_repo.h"
#include "modules/identity/identity_service.h"
#include "nlohmann/json.hpp"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "support/test_keys.h"
#include "unit/store/test_db.h"

namespace tf::identity {
namespace {

using std::chrono::seconds;
using tf::testing::Backend;
using tf::testing::FieldOf;
using tf::testing::TestDatabase;
using Step = LoginResult::Step;

constexpr std::string_view kPassword = "violet-kettle-orbit-42";

const std::string& PasswordHash() {
  static const std::string hash = *crypto::HashPassword(kPassword);
  return hash;
}

AccountEventFilter LoginFailures() {
  AccountEventFilter f;
  f.type = "login_failed";
  return f;
}

struct Account {
  User user;
  std::string device_token;  //!< the browser's device cookie once it has one
};

class AccountSecurityTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    IdentityOptions options;
    options.delay_after_failures = 100;  // no progressive delay in the way of these tests
    options.lock_after_failures = 6;
    TF_ASSERT_OK_AND_ASSIGN(keys_, tf::testing::TestKeys::Create(GetParam(), db_->db(), clock_));
    audit_ = std::make_unique<audit::AuditLog>(db_->db(), clock_, metrics_);
    ids_ = std::make_unique<IdentityService>(db_->db(), clock_, rng_, options, *audit_, keys_->personal());
    acc_ = std::make_unique<AccountService>(db_->db(), clock_, rng_, options, "Trust Fabric", *audit_,
                                            keys_->personal());
    acme_ = InsertTenant("acme");
    globex_ = InsertTenant("globex");
    admin_ = {InsertUser(acme_, "admin@acme.test", Role::kAdmin), ""};
    ana_ = {InsertUser(acme_, "ana@acme.test", Role::kAccountant), ""};
    other_admin_ = {InsertUser(globex_, "admin@globex.test", Role::kAdmin), ""};
  }

  std::string InsertTenant(std::string slug) {
    Tenant t{NewUuidV7(clock_, rng_), slug, slug, "uk", "active", false, false, Now(), Now()};
    EXPECT_TRUE(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) { return repo_.InsertTenant(tx, t); }).ok());
    return t.id;
  }

  User InsertUser(const std::string& tenant_id, std::string email, Role role) {
    User u;
    u.id = NewUuidV7(clock_, rng_);
    u.tenant_id = tenant_id;
    u.email = std::move(email);
    u.password_hash = PasswordHash();
    u.roles = {role};
    u.status = "active";
    u.password_changed_at = u.created_at = u.updated_at = Now();
    EXPECT_TRUE(db_->db().InTx(store::WriteTx(), [&](store::Transaction& tx) { return repo_.InsertUser(tx, u); }).ok());
    EXPECT_TRUE(ids_->SealPersonalData().ok());  // inserted in plaintext: the backfill seals it
    return u;
  }

  int64_t Now() const { return clock_.NowMicros(); }
  int64_t Seconds() const { return Now() / 1'000'000; }
  void NextStep() { clock_.Advance(seconds(30)); }

  //! Signs in with the password from the account's browser (keeping its device cookie).
  absl::StatusOr<LoginResult> Login(Account& a, std::string_view password = kPassword) {
    auto r = ids_->Login({a.user.email, std::string(password), "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
                          a.device_token});
    if (r.ok() && !r->device_token.empty()) a.device_token = r->device_token;
    return r;
  }

  absl::StatusOr<LoginResult> Mfa(const LoginResult& pending, std::string code) {
    return ids_->LoginMfa({pending.challenge_token, std::move(code), "203.0.113.7", "test"});
  }

  absl::StatusOr<Principal> Auth(const LoginResult& signed_in) {
    auto p = ids_->Authenticate(Credential{signed_in.token, false, false, ""});
    if (p.ok()) p->source_ip = "203.0.113.7";
    return p;
  }

  //! Signs in (password only) and authenticates.
  Principal SignIn(Account& a) {
    auto r = Login(a);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    EXPECT_EQ(r->step, Step::kSignedIn);
    auto p = Auth(*r);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : Principal{};
  }

  std::string Code(const std::string& secret, int steps_ahead = 0) {
    return totp::Totp(*totp::Base32Decode(secret), Seconds() + 30 * steps_ahead);
  }

  struct Enrolled {
    std::string secret;
    std::vector<std::string> recovery_codes;
  };
  Enrolled Enrol(const Principal& p) {
    auto e = acc_->EnrollTotp(p);
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return {};
    auto codes = acc_->ConfirmTotp(p, Code(e->secret));
    EXPECT_TRUE(codes.ok()) << codes.status();
    NextStep();  // the confirming code's step is used
    return {e->secret, codes.ok() ? *codes : std::vector<std::string>{}};
  }

  int64_t Count(std::string_view sql, const store::Params& params) {
    auto rows = db_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) { return tx.Query(sql, params); });
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->at(0).Int(0) : -1;
  }
  int64_t Events(const User& u, std::string_view type) {
    return Count("SELECT COUNT(*) FROM account_events WHERE user_id = ? AND type = ?", {u.id, std::string(type)});
  }

  FakeClock clock_{store::testing::TestEpoch()};
  SeededRng rng_{4242};
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<tf::testing::TestKeys> keys_;
  IdentityRepo repo_;
  metrics::Registry metrics_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<IdentityService> ids_;
  std::unique_ptr<AccountService> acc_;
  std::string acme_, globex_;
  Account admin_, ana_, other_admin_;
};

// --- TOTP ------------------------------------------------------------------------------------

TEST_P(AccountSecurityTest, EnrolmentIsConfirmedWithAFirstCodeAndThenSignInTakesTwoSteps) {
  Principal ana = SignIn(ana_);
  TF_ASSERT_OK_AND_ASSIGN(TotpEnrollment e, acc_->EnrollTotp(ana));
  EXPECT_EQ(totp::Base32Decode(e.secret)->size(), 20u);
  EXPECT_NE(e.otpauth_uri.find("secret=" + e.secret), std::string::npos);
  EXPECT_NE(e.otpauth_uri.find("ana%40acme.test"), std::string::npos);
  EXPECT_EQ(e.qr_svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mfa_totp WHERE user_id = ? AND secret LIKE 'tfenc:v1:%'", {ana_.user.id}), 1)
      << "the secret is stored encrypted under the tenant's data key";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mfa_totp WHERE secret = ?", {e.secret}), 0);
  TF_ASSERT_OK_AND_ASSIGN(MfaStatus pending, acc_->GetMfaStatus(ana));
  EXPECT_TRUE(pending.enrollment_pending);
  EXPECT_FALSE(pending.enabled);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult still_one_step, Login(ana_));
  EXPECT_EQ(still_one_step.step, Step::kSignedIn) << "an unconfirmed enrolment does not guard sign-in";

  absl::Status wrong = acc_->ConfirmTotp(ana, Code(e.secret, 5)).status();
  EXPECT_EQ(FieldOf(wrong), "code") << wrong;
  TF_ASSERT_OK_AND_ASSIGN(auto codes, acc_->ConfirmTotp(ana, Code(e.secret)));
  ASSERT_EQ(codes.size(), 10u);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 10u);
  EXPECT_EQ(codes[0].size(), 19u) << codes[0];
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND code_hash = ?",
                  {ana_.user.id, codes[0]}),
            0) << "codes are stored hashed";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ?", {ana_.user.id}), 10);
  EXPECT_EQ(Events(ana_.user, "mfa_enabled"), 1);
  EXPECT_EQ(acc_->EnrollTotp(ana).status().code(), absl::StatusCode::kFailedPrecondition)
      << "a second authenticator needs MFA disabled first";

  NextStep();
  TF_ASSERT_OK_AND_ASSIGN(LoginResult first, Login(ana_));
  ASSERT_EQ(first.step, Step::kMfa);
  EXPECT_TRUE(first.token.empty()) << "no session before the second factor";
  EXPECT_EQ(first.challenge_token.rfind("tfc_", 0), 0u);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult done, Mfa(first, Code(e.secret)));
  ASSERT_EQ(done.step, Step::kSignedIn);
  TF_ASSERT_OK_AND_ASSIGN(Principal p, Auth(done));
  EXPECT_EQ(p.user_id, ana_.user.id);
  EXPECT_EQ(Mfa(first, Code(e.secret, 1)).status().code(), absl::StatusCode::kUnauthenticated)
      << "a completed sign-in cannot be completed again";
}

TEST_P(AccountSecurityTest, ACodeIsNeverAcceptedTwiceAndOneStepOfDriftIs) {
  Enrolled e = Enrol(SignIn(ana_));
  std::string code = Code(e.secret);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult a, Login(ana_));
  TF_ASSERT_OK(Mfa(a, code).status());
  TF_ASSERT_OK_AND_ASSIGN(LoginResult b, Login(ana_));
  absl::Status replay = Mfa(b, code).status();
  EXPECT_EQ(replay.code(), absl::StatusCode::kUnauthenticated) << replay;
  EXPECT_EQ(replay.message(), "the code is not valid");

  // A phone 30 s behind: its code is one step old and still accepted (once).
  NextStep();
  NextStep();
  TF_ASSERT_OK(Mfa(b, Code(e.secret, -1)).status());
  TF_ASSERT_OK_AND_ASSIGN(LoginResult c, Login(ana_));
  EXPECT_FALSE(Mfa(c, Code(e.secret, -1)).ok()) << "that step is used now";
  EXPECT_FALSE(Mfa(c, Code(e.secret, -2)).ok()) << "two steps behind is too far";
  EXPECT_FALSE(Mfa(c, Code(e.secret, 2)).ok()) << "two steps ahead is too far";
  ASSERT_TRUE((Mfa(c, Code(e.secret, 1)).status()).ok()) << "one step ahead is accepted";
}

TEST_P(AccountSecurityTest, WrongCodesCountTowardLockoutLikeWrongPasswords) {
  Enrolled e = Enrol(SignIn(ana_));
  TF_ASSERT_OK_AND_ASSIGN(LoginResult pending, Login(ana_));
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(Mfa(pending, "000000").ok());
  EXPECT_EQ(Events(ana_.user, "mfa_failed"), 4);
  // Two wrong passwords more reach the limit of six failures.
  EXPECT_FALSE(Login(ana_, "not-the-password").ok());
  EXPECT_FALSE(Login(ana_, "not-the-password").ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users WHERE id = ? AND locked_at IS NOT NULL", {ana_.user.id}), 1);
  EXPECT_EQ(Mfa(pending, Code(e.secret)).status().code(), absl::StatusCode::kUnauthenticated)
      << "a locked account cannot finish a pending sign-in";
  EXPECT_FALSE(Login(ana_).ok()) << "nor start one";
  EXPECT_EQ(Events(ana_.user, "account_locked"), 1);
}

TEST_P(AccountSecurityTest, TooManyWrongCodesOrFiveMinutesEndThePendingSignIn) {
  Enrolled e = Enrol(SignIn(ana_));
  TF_ASSERT_OK_AND_ASSIGN(LoginResult pending, Login(ana_));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Mfa(pending, "111111").status().message(), "the code is not valid");
  EXPECT_EQ(Mfa(pending, "111111").status().message(), "too many wrong codes; sign in again");
  EXPECT_EQ(Mfa(pending, Code(e.secret)).status().message(), "the sign-in expired or is not valid; sign in again");

  TF_ASSERT_OK_AND_ASSIGN(LoginResult later, Login(ana_));
  clock_.Advance(seconds(301));
  EXPECT_EQ(Mfa(later, Code(e.secret)).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_P(AccountSecurityTest, EachRecoveryCodeWorksOnce) {
  Enrolled e = Enrol(SignIn(ana_));
  TF_ASSERT_OK_AND_ASSIGN(LoginResult a, Login(ana_));
  std::string typed = e.recovery_codes[3];  // typed by hand: lower case, spaces for dashes
  for (char& ch : typed) ch = ch == '-' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  TF_ASSERT_OK_AND_ASSIGN(LoginResult in, Mfa(a, typed));
  EXPECT_EQ(in.step, Step::kSignedIn);
  TF_ASSERT_OK_AND_ASSIGN(Principal p, Auth(in));
  TF_ASSERT_OK_AND_ASSIGN(MfaStatus s, acc_->GetMfaStatus(p));
  EXPECT_EQ(s.recovery_codes_left, 9);
  EXPECT_EQ(Events(ana_.user, "recovery_code_used"), 1);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult b, Login(ana_));
  EXPECT_FALSE(Mfa(b, e.recovery_codes[3]).ok()) << "used up";
  TF_ASSERT_OK(Mfa(b, e.recovery_codes[4]).status());

  // New codes replace the old ones.
  TF_ASSERT_OK_AND_ASSIGN(auto fresh, acc_->RegenerateRecoveryCodes(p, Code(e.secret)));
  TF_ASSERT_OK_AND_ASSIGN(LoginResult c, Login(ana_));
  EXPECT_FALSE(Mfa(c, e.recovery_codes[5]).ok()) << "the old set is gone";
  TF_ASSERT_OK(Mfa(c, fresh[0]).status());
}

TEST_P(AccountSecurityTest, DisablingNeedsThePasswordAndACode) {
  Principal ana = SignIn(ana_);
  Enrolled e = Enrol(ana);
  EXPECT_EQ(FieldOf(acc_->DisableTotp(ana, "wrong password", Code(e.secret))), "password");
  EXPECT_EQ(FieldOf(acc_->DisableTotp(ana, kPassword, "123456")), "code");
  TF_ASSERT_OK(acc_->DisableTotp(ana, kPassword, Code(e.secret)));
  EXPECT_EQ(Events(ana_.user, "mfa_disabled"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ?", {ana_.user.id}), 0);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult r, Login(ana_));
  EXPECT_EQ(r.step, Step::kSignedIn);
}

TEST_P(AccountSecurityTest, ATenantThatRequiresMfaHoldsSessionsAtEnrolment) {
  Principal admin = SignIn(admin_);
  TF_ASSERT_OK_AND_ASSIGN(Tenant t, acc_->UpdateSecurityPolicy(admin, acme_, {true, std::nullopt}));
  EXPECT_TRUE(t.require_mfa);
  EXPECT_EQ(acc_->UpdateSecurityPolicy(admin, globex_, {true, std::nullopt}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(acc_->GetSecurityPolicy(admin, globex_).status().code(), absl::StatusCode::kNotFound);

  TF_ASSERT_OK_AND_ASSIGN(LoginResult r, Login(ana_));
  EXPECT_TRUE(r.mfa_enrollment_required);
  TF_ASSERT_OK_AND_ASSIGN(Principal p, Auth(r));
  EXPECT_TRUE(p.must_enroll_mfa);
  Enrol(p);
  TF_ASSERT_OK_AND_ASSIGN(Principal after, Auth(r));
  EXPECT_FALSE(after.must_enroll_mfa);
}

// --- sessions --------------------------------------------------------------------------------

TEST_P(AccountSecurityTest, SessionsAreListedAndARevokedOneIsRefusedAtOnce) {
  TF_ASSERT_OK_AND_ASSIGN(LoginResult first, Login(ana_));
  TF_ASSERT_OK_AND_ASSIGN(LoginResult second, Login(ana_));
  TF_ASSERT_OK_AND_ASSIGN(LoginResult third, Login(ana_));
  TF_ASSERT_OK_AND_ASSIGN(Principal me, Auth(first));
  TF_ASSERT_OK_AND_ASSIGN(auto sessions, acc_->ListSessions(me, me.user_id, std::nullopt, 10));
  ASSERT_EQ(sessions.size(), 3u);
  int current = 0;
  for (const SessionView& s : sessions) {
    current += s.current;
    EXPECT_EQ(s.device_name, "Firefox on Linux");
  }
  EXPECT_EQ(current, 1);

  TF_ASSERT_OK(acc_->RevokeSession(me, me.user_id, second.session.id));
  EXPECT_EQ(Auth(second).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(acc_->RevokeSession(me, me.user_id, NewUuidV7(clock_, rng_)).code(), absl::StatusCode::kNotFound);
  TF_ASSERT_OK_AND_ASSIGN(int64_t n, acc_->RevokeSessions(me, me.user_id));
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(Auth(third).ok());
  ASSERT_TRUE((Auth(first).status()).ok()) << "the caller's own session goes on";
  EXPECT_EQ(Events(ana_.user, "session_revoked"), 1);
  EXPECT_EQ(Events(ana_.user, "sessions_revoked"), 1);
}

TEST_P(AccountSecurityTest, AdministratorsManageTheirOwnTenantsUsersOnly) {
  Principal admin = SignIn(admin_);
  Principal foreign = SignIn(other_admin_);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult ana, Login(ana_));
  TF_ASSERT_OK_AND_ASSIGN(auto sessions, acc_->ListSessions(admin, ana_.user.id, std::nullopt, 10));
  EXPECT_EQ(sessions.size(), 1u);
  EXPECT_FALSE(sessions[0].current);
  EXPECT_EQ(acc_->ListSessions(foreign, ana_.user.id, std::nullopt, 10).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(acc_->RevokeSessions(foreign, ana_.user.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(acc_->ListDevices(foreign, ana_.user.id, std::nullopt, 10).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(acc_->RevokeSession(foreign, ana_.user.id, ana.session.id).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((Auth(ana).status()).ok()) << "untouched by the other tenant";
  TF_ASSERT_OK_AND_ASSIGN(int64_t n, acc_->RevokeSessions(admin, ana_.user.id));
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(Auth(ana).ok());

  // An accountant cannot act on an administrator, who holds permissions they do not.
  Principal accountant = SignIn(ana_);
  EXPECT_EQ(acc_->RevokeSessions(accountant, admin_.user.id).status().code(), absl::StatusCode::kPermissionDenied);
}

// --- devices ---------------------------------------------------------------------------------

TEST_P(AccountSecurityTest, ABrowserIsOneDeviceThatCanBeRenamedAndRemoved) {
  TF_ASSERT_OK_AND_ASSIGN(LoginResult first, Login(ana_));
  EXPECT_EQ(first.device_token.rfind("tfd_", 0), 0u) << "a new browser gets its device cookie";
  TF_ASSERT_OK_AND_ASSIGN(LoginResult again, Login(ana_));
  EXPECT_TRUE(again.device_token.empty()) << "the known cookie is kept";
  EXPECT_EQ(again.device_id, first.device_id);
  EXPECT_EQ(Events(ana_.user, "device_new"), 1);

  // Another user on the same browser shares the cookie but has a device of their own.
  Account admin_here{admin_.user, ana_.device_token};
  TF_ASSERT_OK_AND_ASSIGN(LoginResult admin_login, Login(admin_here));
  EXPECT_TRUE(admin_login.device_token.empty());
  EXPECT_NE(admin_login.device_id, first.device_id);

  TF_ASSERT_OK_AND_ASSIGN(Principal me, Auth(first));
  TF_ASSERT_OK_AND_ASSIGN(auto devices, acc_->ListDevices(me, me.user_id, std::nullopt, 10));
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].name, "Firefox on Linux");
  EXPECT_EQ(devices[0].status, "approved");
  TF_ASSERT_OK_AND_ASSIGN(Device renamed, acc_->RenameDevice(me, devices[0].id, "  Office laptop "));
  EXPECT_EQ(renamed.name, "Office laptop");
  EXPECT_EQ(FieldOf(acc_->RenameDevice(me, devices[0].id, " ").status()), "name");
  TF_ASSERT_OK_AND_ASSIGN(Principal admin, Auth(admin_login));
  EXPECT_EQ(acc_->RenameDevice(admin, devices[0].id, "mine").status().code(), absl::StatusCode::kNotFound)
      << "only the owner renames a device";

  TF_ASSERT_OK(acc_->RemoveDevice(me, me.user_id, devices[0].id));
  EXPECT_FALSE(Auth(first).ok()) << "its sessions end with it";
  EXPECT_FALSE(Auth(again).ok());
  TF_ASSERT_OK_AND_ASSIGN(LoginResult back, Login(ana_));
  EXPECT_NE(back.device_id, first.device_id) << "the browser counts as new again";
}

TEST_P(AccountSecurityTest, ANewDeviceWaitsForTheCodeShownInAnExistingSession) {
  Principal admin = SignIn(admin_);
  Principal ana_laptop = SignIn(ana_);  // approved: it existed before the policy
  TF_ASSERT_OK(acc_->UpdateSecurityPolicy(admin, acme_, {std::nullopt, true}).status());

  Account ana_phone{ana_.user, ""};
  TF_ASSERT_OK_AND_ASSIGN(LoginResult pending, Login(ana_phone));
  ASSERT_EQ(pending.step, Step::kDeviceApproval);
  EXPECT_TRUE(pending.token.empty());
  auto poll = [&](std::string code) {
    return ids_->LoginDevice({pending.challenge_token, std::move(code), "203.0.113.9", "phone"});
  };
  EXPECT_EQ(poll("").status().code(), absl::StatusCode::kFailedPrecondition) << "still waiting";

  TF_ASSERT_OK_AND_ASSIGN(auto devices, acc_->ListDevices(ana_laptop, ana_.user.id, std::nullopt, 10));
  ASSERT_EQ(devices.size(), 2u);
  const Device& phone = devices[0].id == pending.device_id ? devices[0] : devices[1];
  ASSERT_EQ(phone.status, "pending");
  ASSERT_TRUE(phone.approval_code.has_value());
  EXPECT_EQ(phone.approval_code->size(), 8u);
  TF_ASSERT_OK_AND_ASSIGN(auto admin_view, acc_->ListDevices(admin, ana_.user.id, std::nullopt, 10));
  for (const Device& d : admin_view) EXPECT_FALSE(d.approval_code) << "the code is for the owner only";

  EXPECT_EQ(poll("00000000").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Events(ana_.user, "device_approval_failed"), 1);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult in, poll(*phone.approval_code));
  EXPECT_EQ(in.step, Step::kSignedIn);
  TF_ASSERT_OK(Auth(in).status());
  EXPECT_EQ(Events(ana_.user, "device_approved"), 1);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult next_time, Login(ana_phone));
  EXPECT_EQ(next_time.step, Step::kSignedIn) << "an approved device signs in directly";
}

TEST_P(AccountSecurityTest, AnAdministratorCanApproveANewDevice) {
  Principal admin = SignIn(admin_);
  TF_ASSERT_OK(acc_->UpdateSecurityPolicy(admin, acme_, {std::nullopt, true}).status());
  TF_ASSERT_OK_AND_ASSIGN(LoginResult pending, Login(ana_));  // ana's first device ever
  ASSERT_EQ(pending.step, Step::kDeviceApproval);
  Principal foreign = SignIn(other_admin_);
  EXPECT_EQ(acc_->ApproveDevice(foreign, ana_.user.id, pending.device_id).status().code(),
            absl::StatusCode::kNotFound);
  TF_ASSERT_OK_AND_ASSIGN(Device d, acc_->ApproveDevice(admin, ana_.user.id, pending.device_id));
  EXPECT_EQ(d.status, "approved");
  EXPECT_EQ(d.approved_by, admin.Actor());
  TF_ASSERT_OK_AND_ASSIGN(LoginResult in, ids_->LoginDevice({pending.challenge_token, "", "203.0.113.9", "x"}));
  EXPECT_EQ(in.step, Step::kSignedIn);
}

TEST_P(AccountSecurityTest, TheSecondFactorComesBeforeDeviceApproval) {
  Principal admin = SignIn(admin_);
  Enrolled e = Enrol(SignIn(ana_));
  TF_ASSERT_OK(acc_->UpdateSecurityPolicy(admin, acme_, {std::nullopt, true}).status());
  Account phone{ana_.user, ""};
  TF_ASSERT_OK_AND_ASSIGN(LoginResult first, Login(phone));
  ASSERT_EQ(first.step, Step::kMfa);
  EXPECT_EQ(ids_->LoginDevice({first.challenge_token, "", "", ""}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  TF_ASSERT_OK_AND_ASSIGN(LoginResult second, Mfa(first, Code(e.secret)));
  ASSERT_EQ(second.step, Step::kDeviceApproval);
  EXPECT_EQ(second.challenge_token, first.challenge_token);
  TF_ASSERT_OK(acc_->ApproveDevice(admin, ana_.user.id, second.device_id).status());
  TF_ASSERT_OK_AND_ASSIGN(LoginResult in, ids_->LoginDevice({second.challenge_token, "", "", ""}));
  EXPECT_EQ(in.step, Step::kSignedIn);
}

// --- events and counts -----------------------------------------------------------------------

TEST_P(AccountSecurityTest, EventsAreTheCallersOwnUnlessTenantWideAndCountsAreTheTenants) {
  // Ids order events by their millisecond; the fake clock moves on between actions.
  auto tick = [&] { clock_.Advance(std::chrono::milliseconds(1)); };
  Principal admin = SignIn(admin_);
  Principal ana = SignIn(ana_);
  tick();
  EXPECT_FALSE(Login(ana_, "wrong").ok());
  tick();
  Enrol(ana);
  Principal foreign = SignIn(other_admin_);

  TF_ASSERT_OK_AND_ASSIGN(auto mine, acc_->ListEvents(ana, false, {}, std::nullopt, 100));
  for (const AccountEvent& ev : mine) EXPECT_EQ(ev.user_id, ana_.user.id);
  ASSERT_GE(mine.size(), 4u);
  EXPECT_EQ(mine.front().type, "mfa_enabled") << "newest first";
  TF_ASSERT_OK_AND_ASSIGN(auto failed, acc_->ListEvents(admin, true, LoginFailures(), std::nullopt, 10));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].user_id, ana_.user.id);
  EXPECT_EQ(nlohmann::json::parse(failed[0].detail)["reason"], "wrong password");
  TF_ASSERT_OK_AND_ASSIGN(auto theirs, acc_->ListEvents(foreign, true, {}, std::nullopt, 100));
  for (const AccountEvent& ev : theirs) EXPECT_EQ(ev.tenant_id, globex_);

  TF_ASSERT_OK_AND_ASSIGN(AccountStats s, acc_->Stats(admin));
  EXPECT_EQ(s.users, 2);
  EXPECT_EQ(s.active_users, 2);
  EXPECT_EQ(s.mfa_enabled_users, 1);
  EXPECT_EQ(s.active_sessions, 2);
  EXPECT_EQ(s.failed_logins_24h, 1);
  clock_.Advance(std::chrono::hours(25));
  TF_ASSERT_OK_AND_ASSIGN(AccountStats later, acc_->Stats(admin));
  EXPECT_EQ(later.failed_logins_24h, 0);
  EXPECT_EQ(later.active_sessions, 0) << "idle sessions are not active";
}

TEST_P(AccountSecurityTest, EveryAccountEventIsAlsoInTheAuditTrail) {
  Principal admin = SignIn(admin_);
  EXPECT_FALSE(Login(ana_, "wrong").ok());
  Enrol(SignIn(ana_));
  TF_ASSERT_OK(acc_->UpdateSecurityPolicy(admin, acme_, {true, std::nullopt}).status());

  int64_t account_events = Count("SELECT COUNT(*) FROM account_events", {});
  int64_t audit_events = Count("SELECT COUNT(*) FROM audit_records WHERE kind = 'event'", {});
  EXPECT_GT(account_events, 0);
  EXPECT_EQ(audit_events, account_events) << "each account event has its audit record";
  auto rows = db_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) {
    return tx.Query("SELECT event_type, action, outcome, resource_type, resource_id, actor_type, tenant_id "
                    "FROM audit_records WHERE kind = 'event' ORDER BY leaf_index");
  });
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::map<std::string, std::vector<std::string>> seen;
  for (const store::Row& r : *rows) {
    seen[r.Text(0)] = {r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6)};
  }
  EXPECT_EQ(seen["login_failed"], (std::vector<std::string>{"LOGIN", "failure", "users", ana_.user.id, "anonymous", acme_}));
  EXPECT_EQ(seen["mfa_enabled"], (std::vector<std::string>{"UPDATE", "success", "users", ana_.user.id, "user", acme_}));
  EXPECT_EQ(seen["security_policy_changed"],
            (std::vector<std::string>{"UPDATE", "success", "tenants", acme_, "user", acme_}));
}

TF_INSTANTIATE_BACKENDS(AccountSecurityTest);

}  // namespace
}  // namespace tf::identity
