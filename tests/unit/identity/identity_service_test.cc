// Tests of identity::IdentityService against a real, migrated SQLite database, with a FakeClock
// and a SeededRng. argon2id costs ~50-100 ms per hash or verification, so most suites share one
// "world" (a bootstrapped platform with two tenants and their admins) and insert users that are
// not themselves under test straight through IdentityRepo with one precomputed hash.

#include "modules/identity/identity_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/strings.h"
#include "modules/identity/identity_repo.h"
#include "modules/identity/personal_fields.h"
#include "nlohmann/json.hpp"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "support/test_keys.h"
#include "unit/store/test_db.h"

namespace tf::identity {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using tf::testing::Backend;
using tf::testing::FieldOf;
using tf::testing::TestDatabase;
using tf::testing::TestKeys;
using store::testing::TestEpoch;

constexpr std::string_view kRootEmail = "root@platform.test";
constexpr std::string_view kRootPassword = "granite-harbour-lantern-17";
constexpr std::string_view kUserPassword = "violet-kettle-orbit-42";
constexpr std::string_view kNewPassword = "saffron-quartz-meadow-88";
constexpr std::string_view kBadLogin = "invalid email or password";
constexpr std::string_view kBadCredential = "invalid or expired credentials";

std::optional<std::string> RetryAfter(const absl::Status& s) {
  auto payload = s.GetPayload(Sv(kRetryAfterPayload));
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

PermissionSet Perms(std::initializer_list<Permission> ps) {
  PermissionSet set;
  for (Permission p : ps) set.set(static_cast<size_t>(p));
  return set;
}

//! A bearer credential (no cookie, so no CSRF token needed).
Credential Bearer(std::string token) { return Credential{std::move(token), false, false, ""}; }

//! A Database that runs a one-shot hook just before the next write transaction begins, to
//! interleave another request with a service call deterministically.
class HookedDatabase final : public store::Database {
 public:
  explicit HookedDatabase(store::Database& inner) : inner_(inner) {}
  void BeforeNextWrite(std::function<void()> hook) { hook_ = std::move(hook); }

  absl::StatusOr<std::unique_ptr<store::Transaction>> Begin(const store::TxOptions& options) override {
    if (options.mode == store::TxMode::kWrite && hook_) {
      auto hook = std::move(hook_);
      hook_ = nullptr;
      hook();
    }
    return inner_.Begin(options);
  }
  store::Dialect dialect() const override { return inner_.dialect(); }
  std::string Describe() const override { return inner_.Describe(); }
  absl::Status Ping() override { return inner_.Ping(); }
  void SetQueryObserver(store::QueryObserver observer) override { inner_.SetQueryObserver(std::move(observer)); }

 private:
  store::Database& inner_;
  std::function<void()> hook_;
};

struct SignedIn {
  LoginResult login;
  Principal principal;
};

//! A bootstrapped platform: the system tenant with its SUPER_ADMIN, tenants acme and globex
//! with one ADMIN each, all signed in through Login + Authenticate.
struct World {
  std::unique_ptr<TestDatabase> temp;
  std::unique_ptr<TestKeys> keys;
  FakeClock clock{TestEpoch()};
  SeededRng rng{20260101};
  metrics::Registry metrics;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<IdentityService> svc;
  IdentityRepo repo;
  std::string user_hash;  //!< argon2id of kUserPassword, for users inserted directly
  int next_ip = 1;

  User root_user;
  Tenant system, acme, globex;
  SignedIn root, acme_admin, globex_admin;

  absl::Status Init(Backend backend) {
    TF_RETURN_IF_ERROR(crypto::InitCrypto());
    TF_ASSIGN_OR_RETURN(temp, TestDatabase::Create(backend, clock));
    TF_ASSIGN_OR_RETURN(keys, TestKeys::Create(backend, temp->db(), clock));
    audit = std::make_unique<audit::AuditLog>(temp->db(), clock, metrics);
    svc = std::make_unique<IdentityService>(temp->db(), clock, rng, IdentityOptions{}, *audit, keys->personal());
    TF_ASSIGN_OR_RETURN(BootstrapResult boot, svc->Bootstrap(std::string(kRootEmail), std::string(kRootPassword)));
    root_user = boot.user;
    TF_ASSIGN_OR_RETURN(root, SignIn(*svc, kRootEmail, kRootPassword));
    TF_ASSIGN_OR_RETURN(system, svc->GetTenant(root.principal, root_user.tenant_id));
    TF_ASSIGN_OR_RETURN(acme, svc->CreateTenant(root.principal, "acme", "Acme Ltd", "uk"));
    TF_ASSIGN_OR_RETURN(globex, svc->CreateTenant(root.principal, "globex", "Globex Corp", "us"));
    TF_ASSIGN_OR_RETURN(user_hash, crypto::HashPassword(kUserPassword));
    TF_RETURN_IF_ERROR(InsertUser(acme.id, "admin@acme.test", {Role::kAdmin}).status());
    TF_RETURN_IF_ERROR(InsertUser(globex.id, "admin@globex.test", {Role::kAdmin}).status());
    TF_ASSIGN_OR_RETURN(acme_admin, SignIn(*svc, "admin@acme.test"));
    TF_ASSIGN_OR_RETURN(globex_admin, SignIn(*svc, "admin@globex.test"));
    return absl::OkStatus();
  }

  std::string NextIp() { return StrCat("198.51.100.", next_ip++); }

  absl::StatusOr<SignedIn> SignIn(IdentityService& service, std::string_view email,
                                  std::string_view password = kUserPassword, std::string ip = "") {
    if (ip.empty()) ip = NextIp();
    TF_ASSIGN_OR_RETURN(LoginResult r,
                        service.Login({std::string(email), std::string(password), ip, "unit-test/1.0", ""}));
    TF_ASSIGN_OR_RETURN(Principal p, service.Authenticate(Bearer(r.token)));
    return SignedIn{std::move(r), std::move(p)};
  }

  //! Inserts a user (password kUserPassword) without paying for an argon2id hash.
  absl::StatusOr<User> InsertUser(const std::string& tenant_id, std::string email, std::vector<Role> roles,
                                  bool must_change_password = false) {
    User u;
    u.id = NewUuidV7(clock, rng);
    u.tenant_id = tenant_id;
    u.email = std::move(email);
    u.display_name = "Test user";
    u.password_hash = user_hash;
    u.roles = std::move(roles);
    u.status = std::string(kStatusActive);
    u.must_change_password = must_change_password;
    u.password_changed_at = u.created_at = u.updated_at = clock.NowMicros();
    TF_RETURN_IF_ERROR(temp->db().InTx(store::WriteTx(), [&](store::Transaction& tx) { return repo.InsertUser(tx, u); }));
    // Inserted in plaintext, as before sealing existed; the backfill seals it.
    TF_RETURN_IF_ERROR(svc->SealPersonalData().status());
    return u;
  }

  store::Rows Query(std::string_view sql, const store::Params& params = {}) {
    auto rows = temp->db().InTx(store::ReadTx(), [&](store::Transaction& tx) { return tx.Query(sql, params); });
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : store::Rows{};
  }

  int64_t LiveSessions(const std::string& user_id) {
    store::Rows rows = Query("SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL", {user_id});
    return rows.empty() ? -1 : rows[0].Int(0);
  }
};

//! Base of the suites that share one World per backend (built once per suite and backend).
class IdentityWorldTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void TearDownTestSuite() {
    for (World*& world : worlds_) {
      delete world;
      world = nullptr;
    }
  }
  void SetUp() override {
    World*& world = worlds_[static_cast<int>(GetParam())];
    if (world == nullptr) {
      world = new World();
      absl::Status s = world->Init(GetParam());
      if (!s.ok()) {
        delete world;
        world = nullptr;
        GTEST_FAIL() << "building the test world failed: " << s;
      }
    }
    world_ = world;
  }

  World& w() { return *world_; }
  IdentityService& svc() { return *world_->svc; }
  const Principal& root() { return world_->root.principal; }
  const Principal& acme_admin() { return world_->acme_admin.principal; }
  const Principal& globex_admin() { return world_->globex_admin.principal; }

  absl::Status LoginStatus(IdentityService& service, std::string_view email, std::string_view password,
                           const std::string& ip) {
    return service.Login({std::string(email), std::string(password), ip, "unit-test/1.0", ""}).status();
  }

  World* world_ = nullptr;
  static World* worlds_[2];
};

World* IdentityWorldTest::worlds_[2] = {nullptr, nullptr};

void ExpectBadLogin(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_EQ(s.message(), Sv(kBadLogin));
}

void ExpectBadCredential(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_EQ(s.message(), Sv(kBadCredential));
}

// =============================================================================================
// Bootstrap: a fresh database per test.

class IdentityBootstrapTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    TF_ASSERT_OK_AND_ASSIGN(temp_, TestDatabase::Create(GetParam(), clock_));
    TF_ASSERT_OK_AND_ASSIGN(keys_, TestKeys::Create(GetParam(), temp_->db(), clock_));
    audit_ = std::make_unique<audit::AuditLog>(temp_->db(), clock_, metrics_);
    svc_ = std::make_unique<IdentityService>(temp_->db(), clock_, rng_, IdentityOptions{}, *audit_, keys_->personal());
  }

  std::unique_ptr<TestDatabase> temp_;
  std::unique_ptr<TestKeys> keys_;
  FakeClock clock_{TestEpoch()};
  SeededRng rng_{7};
  metrics::Registry metrics_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<IdentityService> svc_;
};

TEST_P(IdentityBootstrapTest, GeneratedOneTimePasswordMustBeChanged) {
  TF_ASSERT_OK_AND_ASSIGN(bool before, svc_->IsBootstrapped());
  EXPECT_FALSE(before);
  TF_ASSERT_OK_AND_ASSIGN(BootstrapResult boot, svc_->Bootstrap("  Root@Platform.TEST ", std::nullopt));
  ASSERT_TRUE(boot.one_time_password.has_value());
  EXPECT_EQ(boot.one_time_password->size(), 20u);
  EXPECT_TRUE(boot.user.must_change_password);
  EXPECT_EQ(boot.user.email, "root@platform.test");
  EXPECT_EQ(boot.user.roles, std::vector<Role>{Role::kSuperAdmin});
  EXPECT_TRUE(IsUuid(boot.user.id));
  TF_ASSERT_OK_AND_ASSIGN(bool after, svc_->IsBootstrapped());
  EXPECT_TRUE(after);

  // The one-time password signs in, and the session says it must be changed.
  TF_ASSERT_OK_AND_ASSIGN(LoginResult login,
                          svc_->Login({"root@platform.test", *boot.one_time_password, "127.0.0.1", "cli", ""}));
  TF_ASSERT_OK_AND_ASSIGN(Principal p, svc_->Authenticate(Bearer(login.token)));
  EXPECT_TRUE(p.must_change_password);
  EXPECT_TRUE(p.IsPlatform());
  EXPECT_EQ(p.roles, std::vector<Role>{Role::kSuperAdmin});
  // In the system tenant.
  TF_ASSERT_OK_AND_ASSIGN(Tenant system, svc_->GetTenant(p, p.tenant_id));
  EXPECT_EQ(system.slug, "system");
  EXPECT_EQ(system.status, "active");
}

TEST_P(IdentityBootstrapTest, GivenPasswordNeedNotBeChangedAndSecondBootstrapIsRefused) {
  TF_ASSERT_OK_AND_ASSIGN(BootstrapResult boot, svc_->Bootstrap("root@platform.test", std::string(kRootPassword)));
  EXPECT_FALSE(boot.one_time_password.has_value());
  EXPECT_FALSE(boot.user.must_change_password);
  // Only the argon2id hash is stored.
  store::Rows rows = *temp_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) {
    return tx.Query("SELECT password_hash, must_change_password FROM users WHERE id = ?", {boot.user.id});
  });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Text(0).rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u);
  EXPECT_EQ(rows[0].Text(0).find(kRootPassword), std::string::npos);
  EXPECT_EQ(rows[0].Int(1), 0);

  auto again = svc_->Bootstrap("other@platform.test", std::nullopt);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
  auto same = svc_->Bootstrap("root@platform.test", std::string(kRootPassword));
  EXPECT_EQ(same.status().code(), absl::StatusCode::kFailedPrecondition) << same.status();
  store::Rows count = *temp_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM users");
  });
  EXPECT_EQ(count.at(0).Int(0), 1);
}

TEST_P(IdentityBootstrapTest, WeakPasswordOrBadEmailIsRefusedAndChangesNothing) {
  auto weak = svc_->Bootstrap("root@platform.test", std::string("password1234"));
  EXPECT_EQ(weak.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(weak.status()), "password");
  auto short_pw = svc_->Bootstrap("root@platform.test", std::string("short"));
  EXPECT_EQ(short_pw.status().code(), absl::StatusCode::kInvalidArgument);
  auto named = svc_->Bootstrap("platformroot@x.test", std::string("my-platformroot-pass"));
  EXPECT_EQ(named.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_email = svc_->Bootstrap("not-an-email", std::string(kRootPassword));
  EXPECT_EQ(bad_email.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(bad_email.status()), "email");
  TF_ASSERT_OK_AND_ASSIGN(bool done, svc_->IsBootstrapped());
  EXPECT_FALSE(done);
  store::Rows tenants = *temp_->db().InTx(store::ReadTx(), [&](store::Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM tenants");
  });
  EXPECT_EQ(tenants.at(0).Int(0), 0);
}

// =============================================================================================
// Login, throttling and lockout

class IdentityLoginTest : public IdentityWorldTest {};

TEST_P(IdentityLoginTest, ReturnsSessionAndCsrfTokensAndStoresOnlyTheirHashes) {
  std::string agent(1000, 'A');
  TF_ASSERT_OK_AND_ASSIGN(LoginResult r, svc().Login({"admin@acme.test", std::string(kUserPassword), "203.0.113.9", agent, ""}));
  EXPECT_EQ(r.token.rfind("tfs_", 0), 0u) << r.token;
  EXPECT_EQ(r.token.size(), 4u + 43u);
  EXPECT_FALSE(r.csrf_token.empty());
  EXPECT_NE(r.csrf_token, r.token);
  EXPECT_EQ(r.user.email, "admin@acme.test");
  EXPECT_EQ(r.user.tenant_id, w().acme.id);
  EXPECT_EQ(r.user.last_login_at, w().clock.NowMicros());
  EXPECT_EQ(r.session.user_id, r.user.id);
  EXPECT_EQ(r.session.expires_at, w().clock.NowMicros() + int64_t{43200} * 1'000'000);

  store::Rows rows = w().Query(
      "SELECT token_hash, csrf_hash, source_ip, user_agent, tenant_id, expires_at FROM sessions WHERE id = ?",
      {r.session.id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].Text(0), r.token);
  EXPECT_EQ(rows[0].Text(0), crypto::Sha256Hex(r.token));
  EXPECT_EQ(rows[0].Text(0).size(), 64u);
  EXPECT_NE(rows[0].Text(1), r.csrf_token);
  EXPECT_EQ(rows[0].Text(1), crypto::Sha256Hex(r.csrf_token));
  EXPECT_EQ(rows[0].Text(2), "203.0.113.9");
  EXPECT_EQ(rows[0].Text(3).size(), 512u);  // user agent truncated
  EXPECT_EQ(rows[0].Text(4), w().acme.id);
  // Neither secret appears anywhere in the table.
  store::Rows leaks = w().Query(
      "SELECT COUNT(*) FROM sessions WHERE (token_hash || csrf_hash || source_ip || user_agent) LIKE ('%' || ? || '%') "
      "OR (token_hash || csrf_hash || source_ip || user_agent) LIKE ('%' || ? || '%')",
      {r.token.substr(4), r.csrf_token});
  EXPECT_EQ(leaks.at(0).Int(0), 0);
  // The token authenticates as that user.
  TF_ASSERT_OK_AND_ASSIGN(Principal p, svc().Authenticate(Bearer(r.token)));
  EXPECT_EQ(p.credential_id, r.session.id);
}

TEST_P(IdentityLoginTest, EmailIsNormalisedAtLogin) {
  TF_ASSERT_OK_AND_ASSIGN(LoginResult r,
                          svc().Login({"  ADMIN@Acme.TEST\t", std::string(kUserPassword), w().NextIp(), "", ""}));
  EXPECT_EQ(r.user.email, "admin@acme.test");
}

TEST_P(IdentityLoginTest, UnknownEmailAndWrongPasswordAnswerIdentically) {
  std::string ip = w().NextIp();
  absl::Status unknown = LoginStatus(svc(), "nobody@acme.test", kUserPassword, ip);
  absl::Status wrong = LoginStatus(svc(), "admin@acme.test", "not-the-right-password", ip);
  ExpectBadLogin(unknown);
  ExpectBadLogin(wrong);
  EXPECT_EQ(unknown.code(), wrong.code());
  EXPECT_EQ(unknown.message(), wrong.message());
  EXPECT_EQ(unknown.GetPayload(Sv(kRetryAfterPayload)), wrong.GetPayload(Sv(kRetryAfterPayload)));
  // A success clears the account's count again.
  TF_ASSERT_OK(LoginStatus(svc(), "admin@acme.test", kUserPassword, w().NextIp()));
}

TEST_P(IdentityLoginTest, ProgressiveDelayAfterFailuresThenSuccessAfterWaiting) {
  IdentityOptions options;
  options.delay_after_failures = 2;
  options.lock_after_failures = 4;
  IdentityService svc2(w().temp->db(), w().clock, w().rng, options, *w().audit, w().keys->personal());
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "slow@acme.test", {Role::kViewer}));
  std::string ip = w().NextIp();

  ExpectBadLogin(LoginStatus(svc2, "slow@acme.test", "wrong-password-one", ip));
  ExpectBadLogin(LoginStatus(svc2, "slow@acme.test", "wrong-password-two", ip));
  // Two failures: the next attempt waits 1 s, even with the right password.
  absl::Status throttled = LoginStatus(svc2, "slow@acme.test", kUserPassword, ip);
  EXPECT_EQ(throttled.code(), absl::StatusCode::kResourceExhausted) << throttled;
  EXPECT_EQ(RetryAfter(throttled), std::optional<std::string>("1"));
  EXPECT_NE(throttled.message().find("try again in 1 seconds"), absl::string_view::npos) << throttled;
  // Also from another address: the count is per account.
  EXPECT_EQ(LoginStatus(svc2, "SLOW@acme.test", kUserPassword, w().NextIp()).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(w().LiveSessions(u.id), 0);

  // The delay doubles with each further failure.
  w().clock.Advance(milliseconds(1500));
  ExpectBadLogin(LoginStatus(svc2, "slow@acme.test", "wrong-password-three", ip));
  absl::Status longer = LoginStatus(svc2, "slow@acme.test", kUserPassword, ip);
  EXPECT_EQ(longer.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryAfter(longer), std::optional<std::string>("2"));
  w().clock.Advance(milliseconds(1000));
  absl::Status still = LoginStatus(svc2, "slow@acme.test", kUserPassword, ip);
  EXPECT_EQ(still.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryAfter(still), std::optional<std::string>("1"));

  // After the delay the right password works and resets the count.
  w().clock.Advance(milliseconds(1001));
  TF_ASSERT_OK(LoginStatus(svc2, "slow@acme.test", kUserPassword, ip));
  EXPECT_EQ(w().LiveSessions(u.id), 1);
  ExpectBadLogin(LoginStatus(svc2, "slow@acme.test", "wrong-password-four", ip));
  TF_ASSERT_OK(LoginStatus(svc2, "slow@acme.test", kUserPassword, ip));
}

TEST_P(IdentityLoginTest, LockAfterRepeatedFailuresUntilAnAdminUnlocks) {
  IdentityOptions options;
  options.delay_after_failures = 2;
  options.lock_after_failures = 4;
  IdentityService svc2(w().temp->db(), w().clock, w().rng, options, *w().audit, w().keys->personal());
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "locked@acme.test", {Role::kAccountant}));
  // A session from before the lock.
  TF_ASSERT_OK_AND_ASSIGN(SignedIn before, w().SignIn(svc2, "locked@acme.test"));
  std::string ip = w().NextIp();

  for (int i = 0; i < 4; ++i) {
    w().clock.Advance(seconds(30));  // past any delay
    ExpectBadLogin(LoginStatus(svc2, "locked@acme.test", StrCat("wrong-password-", i), ip));
  }
  TF_ASSERT_OK_AND_ASSIGN(User locked, svc().GetUser(acme_admin(), u.id));
  ASSERT_TRUE(locked.locked_at.has_value());

  // A session from before the lock is not revoked but no longer authenticates.
  EXPECT_EQ(w().LiveSessions(u.id), 1);
  ExpectBadCredential(svc2.Authenticate(Bearer(before.login.token)).status());

  // Now even the right password fails with the same answer, with no delay and no end.
  w().clock.Advance(seconds(30));
  ExpectBadLogin(LoginStatus(svc2, "locked@acme.test", kUserPassword, ip));
  w().clock.Advance(hours(24 * 30));
  ExpectBadLogin(LoginStatus(svc2, "locked@acme.test", kUserPassword, w().NextIp()));

  // Another tenant's admin cannot unlock; this tenant's admin can.
  EXPECT_EQ(svc().Unlock(globex_admin(), u.id).status().code(), absl::StatusCode::kNotFound);
  TF_ASSERT_OK_AND_ASSIGN(User unlocked, svc().Unlock(acme_admin(), u.id));
  EXPECT_FALSE(unlocked.locked_at.has_value());
  TF_ASSERT_OK(LoginStatus(svc2, "locked@acme.test", kUserPassword, ip));
}

TEST_P(IdentityLoginTest, PerAddressThrottlingAcrossDifferentEmails) {
  IdentityOptions options;
  options.delay_after_failures = 1;  // per address: 5 failures
  options.lock_after_failures = 100;
  IdentityService svc3(w().temp->db(), w().clock, w().rng, options, *w().audit, w().keys->personal());
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "sprayed@acme.test", {Role::kViewer}));
  std::string attacker = w().NextIp();
  for (int i = 0; i < 5; ++i) {
    ExpectBadLogin(LoginStatus(svc3, StrCat("victim", i, "@acme.test"), "Spring2025-guess", attacker));
  }
  // The address is now slowed down, whichever account it tries, even with a right password...
  absl::Status s = LoginStatus(svc3, "sprayed@acme.test", kUserPassword, attacker);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(RetryAfter(s), std::optional<std::string>("1"));
  // ...while the same account from another address is fine.
  TF_ASSERT_OK(LoginStatus(svc3, "sprayed@acme.test", kUserPassword, w().NextIp()));
  // And once the delay has passed the address may try again.
  w().clock.Advance(seconds(2));
  TF_ASSERT_OK(LoginStatus(svc3, "sprayed@acme.test", kUserPassword, attacker));
}

// Failures below the thresholds never hold a sign-in back, even one that a concurrent sign-in
// recorded with a clock reading a moment later than this one's.
TEST_P(IdentityLoginTest, FailuresBelowTheThresholdNeverDelayASignIn) {
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "below@acme.test", {Role::kViewer}));
  std::string ip = w().NextIp();
  int64_t later = w().clock.NowMicros() + 500'000;
  TF_ASSERT_OK_AND_ASSIGN(std::string account, PersonalFields(w().keys->personal()).EmailIndex("below@acme.test"));
  TF_ASSERT_OK(w().temp->db().InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(w().repo.PutThrottle(tx, "account", account,
                                            ThrottleState{1, later, std::nullopt}));
    return w().repo.PutThrottle(tx, "address", crypto::Sha256Hex(ip), ThrottleState{2, later, std::nullopt});
  }));
  TF_ASSERT_OK(LoginStatus(svc(), "below@acme.test", kUserPassword, ip));
}

// Login verifies the password outside any transaction (~100 ms of argon2id). An administrator's
// change committed meanwhile must win: the login is judged against the row as it is when the
// session is written, and only last_login_at is updated.
TEST_P(IdentityLoginTest, AdminDisablingDuringLoginIsNotUndone) {
  HookedDatabase hooked(w().temp->db());
  IdentityService racing(hooked, w().clock, w().rng, IdentityOptions{}, *w().audit, w().keys->personal());
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "race-disable@acme.test", {Role::kAdmin}));
  hooked.BeforeNextWrite([&] {
    auto disabled = svc().UpdateUser(acme_admin(), u.id, UserPatch{std::nullopt, std::string("disabled"), std::nullopt});
    EXPECT_TRUE(disabled.ok()) << disabled.status();
  });
  absl::Status s = LoginStatus(racing, "race-disable@acme.test", kUserPassword, w().NextIp());
  ExpectBadLogin(s);
  TF_ASSERT_OK_AND_ASSIGN(User after, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(after.status, "disabled");
  EXPECT_EQ(w().LiveSessions(u.id), 0);
}

// A password reset committed while a sign-in with the old password is being verified wins.
TEST_P(IdentityLoginTest, PasswordResetDuringLoginIsNotUndone) {
  HookedDatabase hooked(w().temp->db());
  IdentityService racing(hooked, w().clock, w().rng, IdentityOptions{}, *w().audit, w().keys->personal());
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "race-reset@acme.test", {Role::kViewer}));
  hooked.BeforeNextWrite([&] {
    auto reset = svc().ResetPassword(acme_admin(), u.id, std::string(kNewPassword));
    EXPECT_TRUE(reset.ok()) << reset.status();
  });
  (void)LoginStatus(racing, "race-reset@acme.test", kUserPassword, w().NextIp());
  TF_ASSERT_OK_AND_ASSIGN(User after, svc().GetUser(acme_admin(), u.id));
  EXPECT_TRUE(after.must_change_password);
  EXPECT_TRUE(crypto::VerifyPassword(after.password_hash, kNewPassword));
  EXPECT_FALSE(crypto::VerifyPassword(after.password_hash, kUserPassword));
}

// =============================================================================================
// Authenticate: sessions, CSRF, API tokens

class IdentityAuthenticateTest : public IdentityWorldTest {};

TEST_P(IdentityAuthenticateTest, BearerSessionGivesThePrincipal) {
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "admin@acme.test"));
  const Principal& p = s.principal;
  EXPECT_EQ(p.kind, Principal::Kind::kSession);
  EXPECT_EQ(p.user_id, s.login.user.id);
  EXPECT_EQ(p.tenant_id, w().acme.id);
  EXPECT_EQ(p.roles, std::vector<Role>{Role::kAdmin});
  EXPECT_EQ(p.permissions, PermissionsOf(Role::kAdmin));
  EXPECT_EQ(p.credential_id, s.login.session.id);
  EXPECT_FALSE(p.via_cookie);
  EXPECT_FALSE(p.must_change_password);
  EXPECT_FALSE(p.IsPlatform());
  TF_ASSERT_OK_AND_ASSIGN(auto me, svc().Me(p));
  EXPECT_EQ(me.first.id, p.user_id);
  EXPECT_EQ(me.second.id, p.tenant_id);
}

TEST_P(IdentityAuthenticateTest, GarbageCredentialsAreRefused) {
  for (std::string token : {std::string(""), std::string("tfs_"), std::string("tfs_nope"), std::string("tft_nope"),
                            std::string("Bearer tfs_x"), std::string("random"), "tfs_" + std::string(300, 'a')}) {
    ExpectBadCredential(svc().Authenticate(Bearer(token)).status());
  }
  // A session token presented without its prefix is not a session token.
  ExpectBadCredential(svc().Authenticate(Bearer(w().acme_admin.login.token.substr(4))).status());
}

TEST_P(IdentityAuthenticateTest, SessionEndsAfterTheIdleTimeout) {
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "admin@globex.test"));
  Credential c = Bearer(s.login.token);
  w().clock.Advance(seconds(1799));
  TF_ASSERT_OK(svc().Authenticate(c).status());  // activity moves the idle deadline
  w().clock.Advance(seconds(1799));
  TF_ASSERT_OK(svc().Authenticate(c).status());
  w().clock.Advance(seconds(1800));
  ExpectBadCredential(svc().Authenticate(c).status());
  // It stays ended.
  ExpectBadCredential(svc().Authenticate(c).status());
}

TEST_P(IdentityAuthenticateTest, SessionEndsAtItsAbsoluteLifetimeEvenWhenActive) {
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "admin@globex.test"));
  Credential c = Bearer(s.login.token);
  for (int i = 0; i < 25; ++i) {  // 25 x 1700 s = 42500 s, never idle for 1800 s
    w().clock.Advance(seconds(1700));
    ASSERT_TRUE(svc().Authenticate(c).ok()) << "step " << i;
  }
  w().clock.Advance(seconds(699));  // 43199 s
  TF_ASSERT_OK(svc().Authenticate(c).status());
  w().clock.Advance(seconds(1));  // 43200 s = 12 h
  ExpectBadCredential(svc().Authenticate(c).status());
}

// last_seen_at is written often enough that an idle timeout shorter than the write throttle
// never expires a session that is in use.
TEST_P(IdentityAuthenticateTest, ShortIdleTimeoutKeepsActiveSessionsAlive) {
  IdentityOptions options;
  options.session_idle_timeout = seconds(30);
  IdentityService short_idle(w().temp->db(), w().clock, w().rng, options, *w().audit, w().keys->personal());
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(short_idle, "admin@globex.test"));
  Credential c = Bearer(s.login.token);
  for (int i = 1; i <= 6; ++i) {
    w().clock.Advance(seconds(10));
    EXPECT_TRUE(short_idle.Authenticate(c).ok()) << "request " << i << " at +" << 10 * i << " s";
  }
}

TEST_P(IdentityAuthenticateTest, LogoutRevokesOnlyThatSession) {
  TF_ASSERT_OK_AND_ASSIGN(SignedIn a, w().SignIn(svc(), "admin@globex.test"));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn b, w().SignIn(svc(), "admin@globex.test"));
  TF_ASSERT_OK(svc().Logout(a.principal));
  ExpectBadCredential(svc().Authenticate(Bearer(a.login.token)).status());
  TF_ASSERT_OK(svc().Authenticate(Bearer(b.login.token)).status());
  store::Rows rows = w().Query("SELECT revoked_at FROM sessions WHERE id = ?", {a.login.session.id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].OptInt(0), w().clock.NowMicros());
}

TEST_P(IdentityAuthenticateTest, DisabledUserLosesSessionsTokensAndLogin) {
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "leaver@acme.test", {Role::kAdmin}));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "leaver@acme.test"));
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken token,
                          svc().CreateApiToken(s.principal, NewApiToken{"ci", {"users.read"}, 30}));
  TF_ASSERT_OK(svc().Authenticate(Bearer(token.secret)).status());

  TF_ASSERT_OK_AND_ASSIGN(User disabled,
                          svc().UpdateUser(acme_admin(), u.id, UserPatch{std::nullopt, std::string("disabled"), std::nullopt}));
  EXPECT_EQ(disabled.status, "disabled");
  EXPECT_EQ(w().LiveSessions(u.id), 0);
  ExpectBadCredential(svc().Authenticate(Bearer(s.login.token)).status());
  ExpectBadCredential(svc().Authenticate(Bearer(token.secret)).status());
  ExpectBadLogin(LoginStatus(svc(), "leaver@acme.test", kUserPassword, w().NextIp()));

  // Enabling again does not revive the revoked session, but allows a new login and the token.
  TF_ASSERT_OK(svc().UpdateUser(acme_admin(), u.id, UserPatch{std::nullopt, std::string("active"), std::nullopt}).status());
  ExpectBadCredential(svc().Authenticate(Bearer(s.login.token)).status());
  TF_ASSERT_OK(svc().Authenticate(Bearer(token.secret)).status());
  TF_ASSERT_OK(LoginStatus(svc(), "leaver@acme.test", kUserPassword, w().NextIp()));
}

TEST_P(IdentityAuthenticateTest, SuspendedTenantCannotAuthenticateOrLogIn) {
  TF_ASSERT_OK_AND_ASSIGN(Tenant initech, svc().CreateTenant(root(), "initech", "Initech", "ca"));
  TF_ASSERT_OK(w().InsertUser(initech.id, "peter@initech.test", {Role::kAdmin}).status());
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "peter@initech.test"));
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken token,
                          svc().CreateApiToken(s.principal, NewApiToken{"ci", {"users.read"}, 30}));

  TF_ASSERT_OK_AND_ASSIGN(Tenant suspended,
                          svc().UpdateTenant(root(), initech.id, TenantPatch{std::nullopt, std::string("suspended")}));
  EXPECT_EQ(suspended.status, "suspended");
  ExpectBadCredential(svc().Authenticate(Bearer(s.login.token)).status());
  ExpectBadCredential(svc().Authenticate(Bearer(token.secret)).status());
  ExpectBadLogin(LoginStatus(svc(), "peter@initech.test", kUserPassword, w().NextIp()));

  TF_ASSERT_OK(svc().UpdateTenant(root(), initech.id, TenantPatch{std::nullopt, std::string("active")}).status());
  TF_ASSERT_OK(svc().Authenticate(Bearer(s.login.token)).status());
  TF_ASSERT_OK(svc().Authenticate(Bearer(token.secret)).status());
}

TEST_P(IdentityAuthenticateTest, CookieStateChangesNeedTheSessionsCsrfToken) {
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "admin@acme.test"));
  const std::string& token = s.login.token;
  const std::string& csrf = s.login.csrf_token;

  auto missing = svc().Authenticate(Credential{token, true, true, ""});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kPermissionDenied) << missing.status();
  auto wrong = svc().Authenticate(Credential{token, true, true, csrf + "x"});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied);
  // Another session's CSRF token does not fit this session.
  auto other = svc().Authenticate(Credential{token, true, true, w().acme_admin.login.csrf_token});
  EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied);
  // The session token is not its own CSRF token.
  auto itself = svc().Authenticate(Credential{token, true, true, token});
  EXPECT_EQ(itself.status().code(), absl::StatusCode::kPermissionDenied);

  TF_ASSERT_OK_AND_ASSIGN(Principal ok, svc().Authenticate(Credential{token, true, true, csrf}));
  EXPECT_TRUE(ok.via_cookie);
  // Reads by cookie and anything by bearer need no CSRF token.
  TF_ASSERT_OK_AND_ASSIGN(Principal read, svc().Authenticate(Credential{token, true, false, ""}));
  EXPECT_TRUE(read.via_cookie);
  TF_ASSERT_OK_AND_ASSIGN(Principal bearer, svc().Authenticate(Credential{token, false, true, ""}));
  EXPECT_FALSE(bearer.via_cookie);
}

TEST_P(IdentityAuthenticateTest, ApiTokenIsNarrowedToTheCreatorsCurrentRoles) {
  TF_ASSERT_OK_AND_ASSIGN(User ops, w().InsertUser(w().acme.id, "ops@acme.test", {Role::kAdmin}));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "ops@acme.test"));
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken created,
                          svc().CreateApiToken(s.principal,
                                               NewApiToken{"  deploy bot ", {"users.read", "users.write", "tokens.read"}, 30}));
  EXPECT_EQ(created.secret.rfind("tft_", 0), 0u);
  EXPECT_EQ(created.token.name, "deploy bot");
  EXPECT_EQ(created.token.tenant_id, w().acme.id);
  EXPECT_EQ(created.token.user_id, ops.id);
  EXPECT_EQ(created.token.expires_at, w().clock.NowMicros() + int64_t{30} * 86400 * 1'000'000);
  store::Rows rows = w().Query("SELECT token_hash, permissions FROM api_tokens WHERE id = ?", {created.token.id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Text(0), crypto::Sha256Hex(created.secret));
  EXPECT_EQ(rows[0].Text(1), "users.read,users.write,tokens.read");

  const PermissionSet full = Perms({Permission::kUsersRead, Permission::kUsersWrite, Permission::kTokensRead});
  TF_ASSERT_OK_AND_ASSIGN(Principal p, svc().Authenticate(Bearer(created.secret)));
  EXPECT_EQ(p.kind, Principal::Kind::kApiToken);
  EXPECT_EQ(p.user_id, ops.id);
  EXPECT_EQ(p.tenant_id, w().acme.id);
  EXPECT_EQ(p.credential_id, created.token.id);
  EXPECT_EQ(p.permissions, full);
  EXPECT_EQ(p.Actor(), "token:" + created.token.id);

  // The creator is demoted to AUDITOR: the token keeps only what an auditor holds.
  TF_ASSERT_OK(svc().UpdateUser(acme_admin(), ops.id, UserPatch{std::vector<std::string>{"AUDITOR"}, std::nullopt, std::nullopt}).status());
  TF_ASSERT_OK_AND_ASSIGN(Principal narrowed, svc().Authenticate(Bearer(created.secret)));
  EXPECT_EQ(narrowed.permissions, Perms({Permission::kUsersRead, Permission::kTokensRead}));
  // Demoted to VIEWER: nothing left, though the token still identifies them.
  TF_ASSERT_OK(svc().UpdateUser(acme_admin(), ops.id, UserPatch{std::vector<std::string>{"VIEWER"}, std::nullopt, std::nullopt}).status());
  TF_ASSERT_OK_AND_ASSIGN(Principal empty, svc().Authenticate(Bearer(created.secret)));
  EXPECT_TRUE(empty.permissions.none());
  // Back to ADMIN: the token regains its own set, never more (ADMIN also holds tokens.write
  // and system.health, which the token was not given).
  TF_ASSERT_OK(svc().UpdateUser(acme_admin(), ops.id, UserPatch{std::vector<std::string>{"ADMIN"}, std::nullopt, std::nullopt}).status());
  TF_ASSERT_OK_AND_ASSIGN(Principal restored, svc().Authenticate(Bearer(created.secret)));
  EXPECT_EQ(restored.permissions, full);

  // API tokens are bearer-only.
  ExpectBadCredential(svc().Authenticate(Credential{created.secret, true, false, ""}).status());
  // And have no session to log out of.
  EXPECT_EQ(svc().Logout(p).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(IdentityAuthenticateTest, CreateApiTokenValidatesItsRequest) {
  const Principal& admin = acme_admin();
  auto not_held = svc().CreateApiToken(admin, NewApiToken{"x", {"tenants.read"}, 30});
  EXPECT_EQ(not_held.status().code(), absl::StatusCode::kPermissionDenied);
  auto unknown = svc().CreateApiToken(admin, NewApiToken{"x", {"users.admin"}, 30});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(unknown.status()), "permissions");
  EXPECT_EQ(FieldOf(svc().CreateApiToken(admin, NewApiToken{"x", {}, 30}).status()), "permissions");
  EXPECT_EQ(FieldOf(svc().CreateApiToken(admin, NewApiToken{"   ", {"users.read"}, 30}).status()), "name");
  EXPECT_EQ(FieldOf(svc().CreateApiToken(admin, NewApiToken{std::string(101, 'n'), {"users.read"}, 30}).status()),
            "name");
  EXPECT_EQ(FieldOf(svc().CreateApiToken(admin, NewApiToken{"x", {"users.read"}, 0}).status()), "expires_in_days");
  EXPECT_EQ(FieldOf(svc().CreateApiToken(admin, NewApiToken{"x", {"users.read"}, 366}).status()), "expires_in_days");
  TF_ASSERT_OK(svc().CreateApiToken(admin, NewApiToken{"x", {"users.read"}, 365}).status());
}

TEST_P(IdentityAuthenticateTest, ExpiredApiTokenIsRefused) {
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken created,
                          svc().CreateApiToken(globex_admin(), NewApiToken{"short", {"users.read"}, 1}));
  w().clock.Advance(hours(24) - seconds(1));
  TF_ASSERT_OK(svc().Authenticate(Bearer(created.secret)).status());
  w().clock.Advance(seconds(1));
  ExpectBadCredential(svc().Authenticate(Bearer(created.secret)).status());
}

TEST_P(IdentityAuthenticateTest, RevokedApiTokenIsRefusedAndRevocationIsTenantScoped) {
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken created,
                          svc().CreateApiToken(globex_admin(), NewApiToken{"revoke me", {"tokens.read"}, 30}));
  TF_ASSERT_OK(svc().Authenticate(Bearer(created.secret)).status());
  // Another tenant cannot see or revoke it.
  EXPECT_EQ(svc().RevokeApiToken(acme_admin(), created.token.id).code(), absl::StatusCode::kNotFound);
  TF_ASSERT_OK_AND_ASSIGN(auto acme_tokens, svc().ListApiTokens(acme_admin(), std::nullopt, 500));
  for (const ApiToken& t : acme_tokens) EXPECT_NE(t.id, created.token.id);
  TF_ASSERT_OK(svc().Authenticate(Bearer(created.secret)).status());

  TF_ASSERT_OK(svc().RevokeApiToken(globex_admin(), created.token.id));
  ExpectBadCredential(svc().Authenticate(Bearer(created.secret)).status());
  TF_ASSERT_OK(svc().RevokeApiToken(globex_admin(), created.token.id));  // idempotent
  TF_ASSERT_OK_AND_ASSIGN(auto globex_tokens, svc().ListApiTokens(globex_admin(), std::nullopt, 500));
  auto it = std::find_if(globex_tokens.begin(), globex_tokens.end(),
                         [&](const ApiToken& t) { return t.id == created.token.id; });
  ASSERT_NE(it, globex_tokens.end());
  EXPECT_TRUE(it->revoked_at.has_value());
  for (const ApiToken& t : globex_tokens) EXPECT_EQ(t.tenant_id, w().globex.id);
}

TEST_P(IdentityAuthenticateTest, ChangePasswordClearsMustChangeAndEndsOtherSessions) {
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "changer@acme.test", {Role::kAccountant},
                                                 /*must_change_password=*/true));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn current, w().SignIn(svc(), "changer@acme.test"));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn other, w().SignIn(svc(), "changer@acme.test"));
  EXPECT_TRUE(current.principal.must_change_password);

  absl::Status wrong = svc().ChangePassword(current.principal, "not-the-current-one", kNewPassword);
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(wrong), "current_password");
  absl::Status weak = svc().ChangePassword(current.principal, kUserPassword, "short");
  EXPECT_EQ(weak.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(weak), "new_password");  // the policy's complaint, under the request's field name
  EXPECT_NE(weak.message().find("at least 12 characters"), absl::string_view::npos) << weak;
  absl::Status same = svc().ChangePassword(current.principal, kUserPassword, kUserPassword);
  EXPECT_EQ(FieldOf(same), "new_password");
  EXPECT_EQ(w().LiveSessions(u.id), 2);  // failed attempts change nothing

  TF_ASSERT_OK(svc().ChangePassword(current.principal, kUserPassword, kNewPassword));
  TF_ASSERT_OK_AND_ASSIGN(Principal still, svc().Authenticate(Bearer(current.login.token)));
  EXPECT_FALSE(still.must_change_password);
  ExpectBadCredential(svc().Authenticate(Bearer(other.login.token)).status());
  EXPECT_EQ(w().LiveSessions(u.id), 1);
  ExpectBadLogin(LoginStatus(svc(), "changer@acme.test", kUserPassword, w().NextIp()));
  TF_ASSERT_OK(LoginStatus(svc(), "changer@acme.test", kNewPassword, w().NextIp()));
}

TEST_P(IdentityAuthenticateTest, ChangePasswordNeedsASession) {
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken created,
                          svc().CreateApiToken(acme_admin(), NewApiToken{"pw", {"users.read"}, 30}));
  TF_ASSERT_OK_AND_ASSIGN(Principal p, svc().Authenticate(Bearer(created.secret)));
  EXPECT_EQ(svc().ChangePassword(p, kUserPassword, kNewPassword).code(), absl::StatusCode::kPermissionDenied);
}

// =============================================================================================
// People's data: sealed under each person's key, found by its blind index, unreadable once
// the person's key is destroyed.

class IdentityPersonalDataTest : public IdentityWorldTest {
 protected:
  User CreateAuditor(std::string email, std::string name) {
    NewUser req;
    req.email = std::move(email);
    req.password = std::string(kNewPassword);
    req.roles = {"AUDITOR"};
    req.display_name = std::move(name);
    auto u = svc().CreateUser(acme_admin(), req);
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? *u : User{};
  }
};

TEST_P(IdentityPersonalDataTest, EmailsNamesAndTokenNamesAreSealedInTheStoreAndOpenInAnswers) {
  User u = CreateAuditor("Sealed.Person@acme.test", "Sealed Person");
  EXPECT_EQ(u.email, "sealed.person@acme.test");
  store::Rows rows = w().Query("SELECT email, display_name, email_index FROM users WHERE id = ?", {u.id});
  ASSERT_EQ(rows.size(), 1u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(rows[0].Text(i).starts_with(StrCat("tfpd:", u.id, ":"))) << rows[0].Text(i);
    EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(rows[0].Text(i)), "sealed")) << rows[0].Text(i);
  }
  EXPECT_EQ(rows[0].Text(2).size(), 64u) << "a hex HMAC-SHA256";

  TF_ASSERT_OK_AND_ASSIGN(User got, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(got.email, "sealed.person@acme.test");
  EXPECT_EQ(got.display_name, "Sealed Person");
  // Sign-in and the email filter find the user by the index of the address as typed.
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), " SEALED.person@Acme.test", kNewPassword));
  EXPECT_EQ(s.login.user.email, "sealed.person@acme.test");
  UserFilter by_email;
  by_email.email = "sealed.PERSON@acme.test";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> found, svc().ListUsers(acme_admin(), by_email, std::nullopt, 10));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, u.id);
  EXPECT_EQ(found[0].display_name, "Sealed Person");
  NewUser again{"sealed.person@acme.test", std::string(kNewPassword), {"VIEWER"}, std::nullopt, "", false};
  EXPECT_EQ(svc().CreateUser(acme_admin(), again).status().code(), absl::StatusCode::kAlreadyExists);

  // A renamed user's new name is sealed too.
  TF_ASSERT_OK_AND_ASSIGN(User renamed,
                          svc().UpdateUser(acme_admin(), u.id, UserPatch{std::nullopt, std::nullopt, "Sealed Renamed"}));
  EXPECT_EQ(renamed.display_name, "Sealed Renamed");
  rows = w().Query("SELECT display_name FROM users WHERE id = ?", {u.id});
  EXPECT_TRUE(PersonalFields::IsSealed(rows.at(0).Text(0))) << rows.at(0).Text(0);

  // API token names are sealed under their creator's key.
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken t,
                          svc().CreateApiToken(s.principal, NewApiToken{"Sealed's laptop", {"users.read"}, 30}));
  EXPECT_EQ(t.token.name, "Sealed's laptop");
  rows = w().Query("SELECT name FROM api_tokens WHERE id = ?", {t.token.id});
  EXPECT_TRUE(rows.at(0).Text(0).starts_with(StrCat("tfpd:", u.id, ":"))) << rows.at(0).Text(0);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<ApiToken> tokens, svc().ListApiTokens(s.principal, std::nullopt, 100));
  auto listed = std::find_if(tokens.begin(), tokens.end(), [&](const ApiToken& x) { return x.id == t.token.id; });
  ASSERT_NE(listed, tokens.end());
  EXPECT_EQ(listed->name, "Sealed's laptop");

  // The audit trail holds none of it in the clear.
  rows = w().Query("SELECT COUNT(*) FROM audit_records WHERE LOWER(details) LIKE '%sealed%'");
  EXPECT_EQ(rows.at(0).Int(0), 0);
}

TEST_P(IdentityPersonalDataTest, RowsWrittenInPlaintextAreSealedByTheBackfill) {
  User u;
  u.id = NewUuidV7(w().clock, w().rng);
  u.tenant_id = w().acme.id;
  u.email = "legacy@acme.test";
  u.display_name = "Legacy Person";
  u.password_hash = w().user_hash;
  u.roles = {Role::kAuditor};
  u.status = std::string(kStatusActive);
  u.password_changed_at = u.created_at = u.updated_at = w().clock.NowMicros();
  ApiToken t{NewUuidV7(w().clock, w().rng), u.tenant_id, u.id, "Legacy token", crypto::Sha256Hex("tft_legacy"),
             PermissionSet{}, u.created_at + 1'000'000'000, u.created_at, std::nullopt, std::nullopt};
  TF_ASSERT_OK(w().temp->db().InTx(store::WriteTx(), [&](store::Transaction& tx) -> absl::Status {
    TF_RETURN_IF_ERROR(w().repo.InsertUser(tx, u));
    TF_RETURN_IF_ERROR(tx.Exec("INSERT INTO mfa_totp (user_id, tenant_id, secret, created_at) VALUES (?, ?, ?, ?)",
                               {u.id, u.tenant_id, std::string("JBSWY3DPEHPK3PXP"), u.created_at})
                           .status());
    return w().repo.InsertApiToken(tx, t);
  }));
  // Unsealed rows read as they are until the backfill runs (at start-up, before serving).
  TF_ASSERT_OK_AND_ASSIGN(User before, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(before.display_name, "Legacy Person");

  TF_ASSERT_OK_AND_ASSIGN(int64_t sealed, svc().SealPersonalData());
  EXPECT_EQ(sealed, 3) << "the user, the token and the TOTP secret";
  store::Rows totp = w().Query("SELECT secret FROM mfa_totp WHERE user_id = ?", {u.id});
  ASSERT_EQ(totp.size(), 1u);
  EXPECT_TRUE(totp[0].Text(0).starts_with("tfenc:v1:")) << totp[0].Text(0);
  store::Rows rows = w().Query("SELECT u.email, u.display_name, u.email_index, t.name FROM users u "
                               "JOIN api_tokens t ON t.user_id = u.id WHERE u.id = ?",
                               {u.id});
  ASSERT_EQ(rows.size(), 1u);
  for (int i : {0, 1, 3}) EXPECT_TRUE(PersonalFields::IsSealed(rows[0].Text(i))) << rows[0].Text(i);
  EXPECT_FALSE(rows[0].IsNull(2));
  TF_ASSERT_OK_AND_ASSIGN(User after, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(after.email, "legacy@acme.test");
  EXPECT_EQ(after.display_name, "Legacy Person");
  TF_ASSERT_OK(LoginStatus(svc(), "legacy@acme.test", kUserPassword, w().NextIp()));
  TF_ASSERT_OK_AND_ASSIGN(int64_t again, svc().SealPersonalData());
  EXPECT_EQ(again, 0);
}

TEST_P(IdentityPersonalDataTest, ADestroyedKeyLeavesThePersonsFieldsUnreadable) {
  User u = CreateAuditor("shredded@acme.test", "Shredded Person");
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "shredded@acme.test", kNewPassword));
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken t,
                          svc().CreateApiToken(s.principal, NewApiToken{"Shredded's CLI", {"users.read"}, 30}));
  TF_ASSERT_OK_AND_ASSIGN(bool erased, PersonalFields(w().keys->personal()).Erase(u));
  EXPECT_TRUE(erased);
  TF_ASSERT_OK_AND_ASSIGN(User got, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(got.email, PersonalFields::kErased);
  EXPECT_EQ(got.display_name, PersonalFields::kErased);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<ApiToken> tokens, svc().ListApiTokens(acme_admin(), std::nullopt, 100));
  int seen = 0;
  for (const ApiToken& token : tokens) {
    if (token.id == t.token.id) {
      ++seen;
      EXPECT_EQ(token.name, PersonalFields::kErased);
    } else {
      EXPECT_NE(token.name, PersonalFields::kErased) << "only the erased person's token names are unreadable";
    }
  }
  EXPECT_EQ(seen, 1);
  // Nothing new can be sealed for them.
  EXPECT_EQ(svc().UpdateUser(acme_admin(), u.id, UserPatch{std::nullopt, std::nullopt, "Back"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(IdentityPersonalDataTest, ErasureLeavesAnAnonymousRowNothingReadableAndNoWayIn) {
  User u = CreateAuditor("erase.me@acme.test", "Erase Me");
  TF_ASSERT_OK_AND_ASSIGN(SignedIn s, w().SignIn(svc(), "erase.me@acme.test", kNewPassword));
  TF_ASSERT_OK_AND_ASSIGN(CreatedApiToken t,
                          svc().CreateApiToken(s.principal, NewApiToken{"Erase's CLI", {"users.read"}, 30}));
  EXPECT_EQ(svc().EraseUser(s.principal, u.id, "").status().code(), absl::StatusCode::kFailedPrecondition)
      << "nobody erases themselves";
  EXPECT_EQ(svc().EraseUser(globex_admin(), u.id, "").status().code(), absl::StatusCode::kNotFound);

  TF_ASSERT_OK_AND_ASSIGN(User erased, svc().EraseUser(acme_admin(), u.id, "DSAR-2026-042"));
  EXPECT_EQ(erased.status, "erased");
  EXPECT_EQ(erased.email, PersonalFields::kErased);
  EXPECT_EQ(erased.display_name, PersonalFields::kErased);
  EXPECT_TRUE(erased.roles.empty());
  ASSERT_TRUE(erased.erased_at);
  store::Rows rows = w().Query("SELECT email, display_name, email_index, password_hash FROM users WHERE id = ?", {u.id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Text(0), StrCat("[erased]:", u.id));
  EXPECT_EQ(rows[0].Text(1), "");
  EXPECT_TRUE(rows[0].IsNull(2));
  EXPECT_EQ(rows[0].Text(3), "");
  EXPECT_EQ(w().Query("SELECT COUNT(*) FROM sessions WHERE user_id = ?", {u.id}).at(0).Int(0), 0);
  rows = w().Query("SELECT name, revoked_at FROM api_tokens WHERE id = ?", {t.token.id});
  EXPECT_EQ(rows.at(0).Text(0), PersonalFields::kErased);
  EXPECT_FALSE(rows.at(0).IsNull(1));

  // No way in, and nothing more to change.
  ExpectBadCredential(svc().Authenticate(Bearer(s.login.token)).status());
  ExpectBadCredential(svc().Authenticate(Bearer(t.secret)).status());
  ExpectBadLogin(LoginStatus(svc(), "erase.me@acme.test", kNewPassword, w().NextIp()));
  for (absl::Status st : {svc().EraseUser(acme_admin(), u.id, "").status(),
                          svc().UpdateUser(acme_admin(), u.id, UserPatch{std::nullopt, std::string("active"), std::nullopt}).status(),
                          svc().ResetPassword(acme_admin(), u.id, std::nullopt).status(),
                          svc().Unlock(acme_admin(), u.id).status()}) {
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  }
  // The address is free again; the event names the case, not the person.
  NewUser again{"erase.me@acme.test", std::string(kNewPassword), {"VIEWER"}, std::nullopt, "", false};
  TF_ASSERT_OK(svc().CreateUser(acme_admin(), again).status());
  rows = w().Query("SELECT details FROM audit_records WHERE event_type = 'user.erased' AND resource_id = ?", {u.id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(absl::StrContains(rows[0].Text(0), "DSAR-2026-042")) << rows[0].Text(0);
  EXPECT_FALSE(absl::StrContains(rows[0].Text(0), "erase.me")) << rows[0].Text(0);
}

// A database restored from before an erasure holds the person's row as it was, sealed under
// the key the key store no longer has: start-up (and an hourly task) makes it anonymous again.
TEST_P(IdentityPersonalDataTest, ARowRestoredFromBeforeTheErasureIsErasedAgain) {
  User u = CreateAuditor("restored@acme.test", "Restored Person");
  store::Rows before = w().Query("SELECT email, display_name, email_index, password_hash, roles, status FROM users "
                                 "WHERE id = ?",
                                 {u.id});
  ASSERT_EQ(before.size(), 1u);
  TF_ASSERT_OK(svc().EraseUser(acme_admin(), u.id, "").status());
  // The backup's row comes back (as an operator's restore would write it).
  TF_ASSERT_OK(w().temp->owner_db().InTx(store::WriteTx(), [&](store::Transaction& tx) {
    return tx.Exec("UPDATE users SET email = ?, display_name = ?, email_index = ?, password_hash = ?, roles = ?, "
                   "status = ?, erased_at = NULL WHERE id = ?",
                   {before[0].Text(0), before[0].Text(1), before[0].Text(2), before[0].Text(3), before[0].Text(4),
                    before[0].Text(5), u.id})
        .status();
  }));
  TF_ASSERT_OK_AND_ASSIGN(User restored, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(restored.email, PersonalFields::kErased) << "the sealed values do not open without the key";
  EXPECT_EQ(restored.display_name, PersonalFields::kErased);

  TF_ASSERT_OK_AND_ASSIGN(int64_t completed, svc().CompleteErasures());
  EXPECT_GE(completed, 1) << "this row, and any other whose key was destroyed without it";
  TF_ASSERT_OK_AND_ASSIGN(User again, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(again.status, "erased");
  EXPECT_TRUE(again.erased_at);
  ExpectBadLogin(LoginStatus(svc(), "restored@acme.test", kNewPassword, w().NextIp()));
  TF_ASSERT_OK_AND_ASSIGN(int64_t none, svc().CompleteErasures());
  EXPECT_EQ(none, 0);
}

// =============================================================================================
// Users

class IdentityUsersTest : public IdentityWorldTest {};

TEST_P(IdentityUsersTest, AdminCreatesUsersInItsOwnTenantWhateverTenantIdSays) {
  NewUser req;
  req.email = "  New.Person@ACME.test ";
  req.password = std::string(kNewPassword);
  req.roles = {"ACCOUNTANT", "AUDITOR", "ACCOUNTANT"};
  req.tenant_id = w().globex.id;  // ignored for a tenant ADMIN
  req.display_name = "New Person";
  TF_ASSERT_OK_AND_ASSIGN(User u, svc().CreateUser(acme_admin(), req));
  EXPECT_EQ(u.tenant_id, w().acme.id);
  EXPECT_EQ(u.email, "new.person@acme.test");
  EXPECT_EQ(u.roles, (std::vector<Role>{Role::kAccountant, Role::kAuditor}));  // de-duplicated
  EXPECT_EQ(u.status, "active");
  EXPECT_FALSE(u.must_change_password);
  EXPECT_TRUE(IsUuid(u.id));
  EXPECT_EQ(svc().GetUser(globex_admin(), u.id).status().code(), absl::StatusCode::kNotFound);
  TF_ASSERT_OK_AND_ASSIGN(User got, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(got.email, "new.person@acme.test");
  store::Rows rows = w().Query("SELECT password_hash FROM users WHERE id = ?", {u.id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(crypto::VerifyPassword(rows[0].Text(0), kNewPassword));
}

TEST_P(IdentityUsersTest, DuplicateEmailIsAlreadyExistsWhateverTheCase) {
  NewUser req;
  req.email = "ADMIN@globex.TEST";
  req.password = std::string(kNewPassword);
  req.roles = {"VIEWER"};
  auto dup = svc().CreateUser(globex_admin(), req);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists) << dup.status();
}

TEST_P(IdentityUsersTest, AdminCannotGrantSuperAdmin) {
  NewUser req;
  req.email = "wannabe@acme.test";
  req.password = std::string(kNewPassword);
  req.roles = {"SUPER_ADMIN"};
  // In a customer tenant the role does not exist at all.
  auto in_acme = svc().CreateUser(acme_admin(), req);
  EXPECT_EQ(in_acme.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(in_acme.status()), "roles");
  // Even asking for the system tenant lands in the admin's own tenant.
  req.tenant_id = w().system.id;
  EXPECT_EQ(svc().CreateUser(acme_admin(), req).status().code(), absl::StatusCode::kInvalidArgument);
  // An ADMIN of the system tenant cannot grant more than it holds.
  TF_ASSERT_OK(w().InsertUser(w().system.id, "sysadmin@platform.test", {Role::kAdmin}).status());
  TF_ASSERT_OK_AND_ASSIGN(SignedIn sys, w().SignIn(svc(), "sysadmin@platform.test"));
  req.tenant_id.reset();
  req.email = "wannabe@platform.test";
  auto denied = svc().CreateUser(sys.principal, req);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied) << denied.status();
  // Nor promote someone to it, nor touch the SUPER_ADMIN.
  TF_ASSERT_OK_AND_ASSIGN(User colleague, w().InsertUser(w().system.id, "colleague@platform.test", {Role::kViewer}));
  auto promote = svc().UpdateUser(sys.principal, colleague.id,
                                  UserPatch{std::vector<std::string>{"SUPER_ADMIN"}, std::nullopt, std::nullopt});
  EXPECT_EQ(promote.status().code(), absl::StatusCode::kPermissionDenied) << promote.status();
  TF_ASSERT_OK_AND_ASSIGN(User acme_viewer, w().InsertUser(w().acme.id, "viewer@acme.test", {Role::kViewer}));
  auto promote_acme = svc().UpdateUser(acme_admin(), acme_viewer.id,
                                       UserPatch{std::vector<std::string>{"SUPER_ADMIN"}, std::nullopt, std::nullopt});
  EXPECT_EQ(promote_acme.status().code(), absl::StatusCode::kInvalidArgument) << promote_acme.status();
  EXPECT_EQ(svc()
                .UpdateUser(sys.principal, w().root_user.id, UserPatch{std::nullopt, std::string("disabled"), std::nullopt})
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(svc().ResetPassword(sys.principal, w().root_user.id, std::nullopt).status().code(),
            absl::StatusCode::kPermissionDenied);
  TF_ASSERT_OK_AND_ASSIGN(User root_after, svc().GetUser(root(), w().root_user.id));
  EXPECT_EQ(root_after.status, "active");
  store::Rows rows = w().Query("SELECT COUNT(*) FROM users WHERE email LIKE 'wannabe@%'");
  EXPECT_EQ(rows.at(0).Int(0), 0);
}

TEST_P(IdentityUsersTest, SuperAdminRoleExistsOnlyInTheSystemTenant) {
  NewUser req;
  req.email = "second-root@platform.test";
  req.password = std::string(kNewPassword);
  req.roles = {"SUPER_ADMIN"};
  req.tenant_id = w().acme.id;
  auto wrong_tenant = svc().CreateUser(root(), req);
  EXPECT_EQ(wrong_tenant.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(wrong_tenant.status()), "roles");
  // Without tenant_id the platform caller creates in its own (system) tenant.
  req.tenant_id.reset();
  TF_ASSERT_OK_AND_ASSIGN(User second, svc().CreateUser(root(), req));
  EXPECT_EQ(second.tenant_id, w().system.id);
  EXPECT_EQ(second.roles, std::vector<Role>{Role::kSuperAdmin});
  // A platform caller's tenant_id is honoured for other roles.
  NewUser acme_user;
  acme_user.email = "hired-by-root@acme.test";
  acme_user.password = std::string(kNewPassword);
  acme_user.roles = {"ADMIN"};
  acme_user.tenant_id = w().acme.id;
  acme_user.must_change_password = true;
  TF_ASSERT_OK_AND_ASSIGN(User hired, svc().CreateUser(root(), acme_user));
  EXPECT_EQ(hired.tenant_id, w().acme.id);
  EXPECT_TRUE(hired.must_change_password);
  // Nobody may be promoted to SUPER_ADMIN outside the system tenant, not even by root.
  auto promote = svc().UpdateUser(root(), hired.id, UserPatch{std::vector<std::string>{"SUPER_ADMIN"}, std::nullopt, std::nullopt});
  EXPECT_EQ(promote.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(IdentityUsersTest, BadRequestsAreFieldErrorsAndCreateNothing) {
  auto make = [&](std::string email, std::vector<std::string> roles, std::string password = std::string(kNewPassword)) {
    NewUser req;
    req.email = std::move(email);
    req.roles = std::move(roles);
    req.password = std::move(password);
    return svc().CreateUser(acme_admin(), req).status();
  };
  for (std::string bad : std::vector<std::string>{"", "no-at-sign", "a@b", "two@@x.test", "sp ace@x.test", "<x>@y.test", "@x.test",
                          "x@", "quote\"d@x.test", "comma,x@y.test", std::string(250, 'a') + "@x.test"}) {
    absl::Status s = make(bad, {"VIEWER"});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FieldOf(s), "email") << bad;
  }
  for (std::vector<std::string> roles : {std::vector<std::string>{}, std::vector<std::string>{"KING"},
                                         std::vector<std::string>{"admin"}, std::vector<std::string>{"VIEWER", ""}}) {
    absl::Status s = make("fine@acme.test", roles);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(FieldOf(s), "roles");
  }
  absl::Status weak = make("fine@acme.test", {"VIEWER"}, "password1234");
  EXPECT_EQ(FieldOf(weak), "password");
  NewUser long_name;
  long_name.email = "fine@acme.test";
  long_name.roles = {"VIEWER"};
  long_name.password = std::string(kNewPassword);
  long_name.display_name = std::string(201, 'n');
  EXPECT_EQ(FieldOf(svc().CreateUser(acme_admin(), long_name).status()), "display_name");
  NewUser no_tenant = long_name;
  no_tenant.display_name = "ok";
  no_tenant.tenant_id = "019b76da-a87b-7000-8000-000000000000";
  EXPECT_EQ(FieldOf(svc().CreateUser(root(), no_tenant).status()), "tenant_id");
  store::Rows rows = w().Query("SELECT COUNT(*) FROM users WHERE email = 'fine@acme.test'");
  EXPECT_EQ(rows.at(0).Int(0), 0);
}

TEST_P(IdentityUsersTest, NormalizeEmail) {
  EXPECT_EQ(IdentityService::NormalizeEmail("  Alice@Example.COM\n"), "alice@example.com");
  EXPECT_EQ(IdentityService::NormalizeEmail("bob@x.test"), "bob@x.test");
  EXPECT_EQ(IdentityService::NormalizeEmail(""), "");
}

TEST_P(IdentityUsersTest, ListUsersIsTenantScopedForAdmins) {
  TF_ASSERT_OK(w().InsertUser(w().acme.id, "listed-1@acme.test", {Role::kViewer}).status());
  TF_ASSERT_OK(w().InsertUser(w().globex.id, "listed-2@globex.test", {Role::kViewer}).status());
  UserFilter other_tenant;
  other_tenant.tenant_id = w().globex.id;  // ignored for a tenant ADMIN
  for (const UserFilter& filter : {UserFilter{}, other_tenant}) {
    TF_ASSERT_OK_AND_ASSIGN(std::vector<User> users, svc().ListUsers(acme_admin(), filter, std::nullopt, 500));
    ASSERT_FALSE(users.empty());
    std::set<std::string> emails;
    for (const User& u : users) {
      EXPECT_EQ(u.tenant_id, w().acme.id) << u.email;
      emails.insert(u.email);
    }
    EXPECT_TRUE(emails.count("admin@acme.test"));
    EXPECT_TRUE(emails.count("listed-1@acme.test"));
    EXPECT_FALSE(emails.count("admin@globex.test"));
    EXPECT_FALSE(emails.count("listed-2@globex.test"));
    EXPECT_FALSE(emails.count(std::string(kRootEmail)));
  }
  // An exact email from another tenant finds nothing.
  UserFilter by_email;
  by_email.email = "admin@globex.test";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> none, svc().ListUsers(acme_admin(), by_email, std::nullopt, 500));
  EXPECT_TRUE(none.empty());
}

TEST_P(IdentityUsersTest, ListUsersIsPlatformWideForSuperAdminWithFilters) {
  TF_ASSERT_OK_AND_ASSIGN(User off, w().InsertUser(w().globex.id, "off@globex.test", {Role::kAuditor}));
  TF_ASSERT_OK(svc().UpdateUser(globex_admin(), off.id, UserPatch{std::nullopt, std::string("disabled"), std::nullopt}).status());

  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> all, svc().ListUsers(root(), UserFilter{}, std::nullopt, 500));
  std::set<std::string> tenants;
  for (const User& u : all) tenants.insert(u.tenant_id);
  EXPECT_TRUE(tenants.count(w().system.id));
  EXPECT_TRUE(tenants.count(w().acme.id));
  EXPECT_TRUE(tenants.count(w().globex.id));
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const User& a, const User& b) { return a.id < b.id; }));

  UserFilter globex_only;
  globex_only.tenant_id = w().globex.id;
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> g, svc().ListUsers(root(), globex_only, std::nullopt, 500));
  ASSERT_FALSE(g.empty());
  for (const User& u : g) EXPECT_EQ(u.tenant_id, w().globex.id);

  UserFilter admins;
  admins.role = "ADMIN";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> a, svc().ListUsers(root(), admins, std::nullopt, 500));
  ASSERT_GE(a.size(), 2u);
  for (const User& u : a) {
    EXPECT_NE(std::find(u.roles.begin(), u.roles.end(), Role::kAdmin), u.roles.end()) << u.email;
  }
  // "ADMIN" does not match SUPER_ADMIN.
  for (const User& u : a) EXPECT_NE(u.email, std::string(kRootEmail));

  UserFilter supers;
  supers.role = "SUPER_ADMIN";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> s, svc().ListUsers(root(), supers, std::nullopt, 500));
  ASSERT_FALSE(s.empty());
  for (const User& u : s) EXPECT_EQ(u.roles, std::vector<Role>{Role::kSuperAdmin});

  UserFilter disabled;
  disabled.status = "disabled";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> d, svc().ListUsers(root(), disabled, std::nullopt, 500));
  ASSERT_EQ(std::count_if(d.begin(), d.end(), [&](const User& u) { return u.id == off.id; }), 1);
  for (const User& u : d) EXPECT_EQ(u.status, "disabled");

  UserFilter by_email;
  by_email.email = "  ADMIN@Acme.Test ";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> e, svc().ListUsers(root(), by_email, std::nullopt, 500));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].email, "admin@acme.test");

  UserFilter bad_role;
  bad_role.role = "KING";
  EXPECT_EQ(FieldOf(svc().ListUsers(root(), bad_role, std::nullopt, 500).status()), "role");
}

TEST_P(IdentityUsersTest, ListUsersKeysetPagination) {
  for (int i = 0; i < 5; ++i) {
    TF_ASSERT_OK(w().InsertUser(w().acme.id, StrCat("page-", i, "@acme.test"), {Role::kViewer}).status());
    w().clock.Advance(milliseconds(1));
  }
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> all, svc().ListUsers(acme_admin(), UserFilter{}, std::nullopt, 500));
  ASSERT_GE(all.size(), 6u);
  std::vector<std::string> paged;
  std::optional<std::string> after;
  for (int guard = 0; guard < 100; ++guard) {
    TF_ASSERT_OK_AND_ASSIGN(std::vector<User> page, svc().ListUsers(acme_admin(), UserFilter{}, after, 2));
    ASSERT_LE(page.size(), 2u);
    for (const User& u : page) paged.push_back(u.id);
    if (page.size() < 2) break;
    after = page.back().id;
  }
  std::vector<std::string> expected;
  for (const User& u : all) expected.push_back(u.id);
  EXPECT_EQ(paged, expected);
  // A cursor past the end gives an empty page.
  TF_ASSERT_OK_AND_ASSIGN(std::vector<User> past, svc().ListUsers(acme_admin(), UserFilter{}, all.back().id, 2));
  EXPECT_TRUE(past.empty());
}

TEST_P(IdentityUsersTest, AnotherTenantsUserIsNotFoundForEveryOperation) {
  const std::string& victim = w().globex_admin.principal.user_id;
  const std::string missing = "019b76da-a87b-7000-8000-000000000001";
  auto get = svc().GetUser(acme_admin(), victim);
  auto get_missing = svc().GetUser(acme_admin(), missing);
  EXPECT_EQ(get.status().code(), absl::StatusCode::kNotFound);
  // Indistinguishable from an id that does not exist.
  EXPECT_EQ(get.status().message(), get_missing.status().message());
  EXPECT_EQ(svc().UpdateUser(acme_admin(), victim, UserPatch{std::nullopt, std::string("disabled"), std::nullopt})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(svc().UpdateUser(acme_admin(), victim, UserPatch{std::nullopt, std::nullopt, std::string("pwned")})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(svc().ResetPassword(acme_admin(), victim, std::nullopt).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(svc().ResetPassword(acme_admin(), victim, std::string(kNewPassword)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(svc().Unlock(acme_admin(), victim).status().code(), absl::StatusCode::kNotFound);
  // Untouched, and still able to work.
  TF_ASSERT_OK_AND_ASSIGN(User v, svc().GetUser(globex_admin(), victim));
  EXPECT_EQ(v.status, "active");
  EXPECT_NE(v.display_name, "pwned");
  TF_ASSERT_OK(svc().Authenticate(Bearer(w().globex_admin.login.token)).status());
  // The platform operator sees it.
  TF_ASSERT_OK(svc().GetUser(root(), victim).status());
}

TEST_P(IdentityUsersTest, NobodyChangesTheirOwnRolesOrStatus) {
  const std::string& self = acme_admin().user_id;
  auto roles = svc().UpdateUser(acme_admin(), self, UserPatch{std::vector<std::string>{"VIEWER"}, std::nullopt, std::nullopt});
  EXPECT_EQ(roles.status().code(), absl::StatusCode::kFailedPrecondition);
  auto status = svc().UpdateUser(acme_admin(), self, UserPatch{std::nullopt, std::string("disabled"), std::nullopt});
  EXPECT_EQ(status.status().code(), absl::StatusCode::kFailedPrecondition);
  auto root_self = svc().UpdateUser(root(), root().user_id, UserPatch{std::vector<std::string>{"ADMIN"}, std::nullopt, std::nullopt});
  EXPECT_EQ(root_self.status().code(), absl::StatusCode::kFailedPrecondition);
  // The display name is fine.
  TF_ASSERT_OK_AND_ASSIGN(User renamed, svc().UpdateUser(acme_admin(), self, UserPatch{std::nullopt, std::nullopt, std::string("Acme Admin")}));
  EXPECT_EQ(renamed.display_name, "Acme Admin");
  EXPECT_EQ(renamed.roles, std::vector<Role>{Role::kAdmin});
  EXPECT_EQ(renamed.status, "active");
}

TEST_P(IdentityUsersTest, UpdateUserValidatesItsPatch) {
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "patched@acme.test", {Role::kViewer}));
  EXPECT_EQ(FieldOf(svc().UpdateUser(acme_admin(), u.id, UserPatch{std::nullopt, std::string("banned"), std::nullopt}).status()),
            "status");
  EXPECT_EQ(FieldOf(svc().UpdateUser(acme_admin(), u.id, UserPatch{std::nullopt, std::nullopt, std::string(201, 'x')}).status()),
            "display_name");
  EXPECT_EQ(FieldOf(svc().UpdateUser(acme_admin(), u.id, UserPatch{std::vector<std::string>{}, std::nullopt, std::nullopt}).status()),
            "roles");
  TF_ASSERT_OK_AND_ASSIGN(User promoted, svc().UpdateUser(acme_admin(), u.id, UserPatch{std::vector<std::string>{"AUDITOR", "ACCOUNTANT"}, std::nullopt, std::nullopt}));
  EXPECT_EQ(promoted.roles, (std::vector<Role>{Role::kAuditor, Role::kAccountant}));
  TF_ASSERT_OK_AND_ASSIGN(User stored, svc().GetUser(acme_admin(), u.id));
  EXPECT_EQ(stored.roles, promoted.roles);
}

TEST_P(IdentityUsersTest, ResetPasswordForcesAChangeAndEndsSessions) {
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().acme.id, "forgetful@acme.test", {Role::kViewer}));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn before, w().SignIn(svc(), "forgetful@acme.test"));
  auto weak = svc().ResetPassword(acme_admin(), u.id, std::string("password1234"));
  EXPECT_EQ(FieldOf(weak.status()), "password");
  TF_ASSERT_OK(svc().Authenticate(Bearer(before.login.token)).status());

  TF_ASSERT_OK_AND_ASSIGN(std::optional<std::string> otp, svc().ResetPassword(acme_admin(), u.id, std::nullopt));
  ASSERT_TRUE(otp.has_value());
  EXPECT_EQ(otp->size(), 20u);
  EXPECT_EQ(otp->find_first_not_of("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"), std::string::npos);
  ExpectBadCredential(svc().Authenticate(Bearer(before.login.token)).status());
  EXPECT_EQ(w().LiveSessions(u.id), 0);
  ExpectBadLogin(LoginStatus(svc(), "forgetful@acme.test", kUserPassword, w().NextIp()));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn after, w().SignIn(svc(), "forgetful@acme.test", *otp));
  EXPECT_TRUE(after.principal.must_change_password);
}

TEST_P(IdentityUsersTest, DisablingAUserRevokesEverySession) {
  TF_ASSERT_OK_AND_ASSIGN(User u, w().InsertUser(w().globex.id, "two-sessions@globex.test", {Role::kViewer}));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn a, w().SignIn(svc(), "two-sessions@globex.test"));
  TF_ASSERT_OK_AND_ASSIGN(SignedIn b, w().SignIn(svc(), "two-sessions@globex.test"));
  EXPECT_EQ(w().LiveSessions(u.id), 2);
  TF_ASSERT_OK(svc().UpdateUser(globex_admin(), u.id, UserPatch{std::nullopt, std::string("disabled"), std::nullopt}).status());
  EXPECT_EQ(w().LiveSessions(u.id), 0);
  ExpectBadCredential(svc().Authenticate(Bearer(a.login.token)).status());
  ExpectBadCredential(svc().Authenticate(Bearer(b.login.token)).status());
  // Other users' sessions are untouched.
  TF_ASSERT_OK(svc().Authenticate(Bearer(w().globex_admin.login.token)).status());
}

// =============================================================================================
// Tenants

TEST_P(IdentityUsersTest, PrivilegedChangesRecordTheirEventWithBeforeAndAfter) {
  TF_ASSERT_OK_AND_ASSIGN(User u, svc().CreateUser(acme_admin(), NewUser{"granted@acme.test", std::string(kUserPassword),
                                                                         {"VIEWER"}, std::nullopt, "", false}));
  TF_ASSERT_OK(svc().UpdateUser(acme_admin(), u.id, UserPatch{std::vector<std::string>{"AUDITOR"}, std::nullopt,
                                                              std::nullopt})
                   .status());
  auto rows = w().temp->db().InTx(store::ReadTx(), [&](store::Transaction& tx) {
    return tx.Query("SELECT event_type, action, actor_id, tenant_id, details FROM audit_records "
                    "WHERE kind = 'event' AND resource_id = ? ORDER BY leaf_index",
                    {u.id});
  });
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Text(0), "user.created");
  EXPECT_EQ((*rows)[1].Text(0), "user.updated");
  EXPECT_EQ((*rows)[1].Text(1), "UPDATE");
  EXPECT_EQ((*rows)[1].Text(2), acme_admin().user_id);
  EXPECT_EQ((*rows)[1].Text(3), w().acme.id);
  nlohmann::json details = nlohmann::json::parse((*rows)[1].Text(4));
  EXPECT_EQ(details["before"]["roles"], nlohmann::json({"VIEWER"}));
  EXPECT_EQ(details["after"]["roles"], nlohmann::json({"AUDITOR"}));
  EXPECT_EQ((*rows)[1].Text(4).find("argon2"), std::string::npos) << "no password hash in the trail";
}

class IdentityTenantsTest : public IdentityWorldTest {};

TEST_P(IdentityTenantsTest, CreateTenantValidatesTheSlug) {
  for (std::string bad : std::vector<std::string>{"", "a", "-abc", "Acme", "acme_corp", "acme corp", "acme.corp", "\xc3\xbcmlaut",
                          "acme\n", std::string(64, 'a')}) {
    auto t = svc().CreateTenant(root(), bad, "Name", "us");
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FieldOf(t.status()), "slug") << bad;
  }
  for (std::string good : std::vector<std::string>{"ab", "a-1", "9lives", "trailing-", std::string(63, 'z')}) {
    TF_ASSERT_OK_AND_ASSIGN(Tenant t, svc().CreateTenant(root(), good, "  Name  ", ""));
    EXPECT_EQ(t.slug, good);
    EXPECT_EQ(t.name, "Name");
    EXPECT_EQ(t.data_region, "us");
    EXPECT_EQ(t.status, "active");
  }
}

TEST_P(IdentityTenantsTest, SystemSlugIsReservedAndDuplicatesAreAlreadyExists) {
  auto system = svc().CreateTenant(root(), "system", "Another system", "us");
  EXPECT_EQ(system.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(system.status()), "slug");
  EXPECT_NE(system.status().message().find("reserved"), absl::string_view::npos);
  auto dup = svc().CreateTenant(root(), "acme", "Acme again", "eu");
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("acme"), absl::string_view::npos);
}

TEST_P(IdentityTenantsTest, CreateTenantValidatesNameAndRegion) {
  EXPECT_EQ(FieldOf(svc().CreateTenant(root(), "noname", "   ", "us").status()), "name");
  EXPECT_EQ(FieldOf(svc().CreateTenant(root(), "mars", "Mars", "mars").status()), "data_region");
  EXPECT_EQ(FieldOf(svc().CreateTenant(root(), "upper", "Upper", "UK").status()), "data_region");
  for (std::string region : {"us", "ca", "uk", "eu"}) {
    TF_ASSERT_OK_AND_ASSIGN(Tenant t, svc().CreateTenant(root(), "region-" + region, "R", region));
    EXPECT_EQ(t.data_region, region);
  }
}

TEST_P(IdentityTenantsTest, NonPlatformCallersCannotManageTenants) {
  EXPECT_EQ(svc().CreateTenant(acme_admin(), "sneaky", "Sneaky", "us").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(svc().ListTenants(acme_admin(), TenantFilter{}, std::nullopt, 50).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(svc().UpdateTenant(acme_admin(), w().acme.id, TenantPatch{std::string("Renamed"), std::nullopt}).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(svc().UpdateTenant(acme_admin(), w().globex.id, TenantPatch{std::nullopt, std::string("suspended")}).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Its own tenant is readable; another is not found.
  TF_ASSERT_OK_AND_ASSIGN(Tenant own, svc().GetTenant(acme_admin(), w().acme.id));
  EXPECT_EQ(own.slug, "acme");
  EXPECT_EQ(svc().GetTenant(acme_admin(), w().globex.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(svc().GetTenant(acme_admin(), w().system.id).status().code(), absl::StatusCode::kNotFound);
  TF_ASSERT_OK_AND_ASSIGN(Tenant globex, svc().GetTenant(root(), w().globex.id));
  EXPECT_EQ(globex.status, "active");
}

TEST_P(IdentityTenantsTest, SystemTenantCannotBeSuspended) {
  auto s = svc().UpdateTenant(root(), w().system.id, TenantPatch{std::nullopt, std::string("suspended")});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  TF_ASSERT_OK_AND_ASSIGN(Tenant system, svc().GetTenant(root(), w().system.id));
  EXPECT_EQ(system.status, "active");
  // Renaming it is fine.
  TF_ASSERT_OK_AND_ASSIGN(Tenant renamed, svc().UpdateTenant(root(), w().system.id, TenantPatch{std::string(" Operators "), std::nullopt}));
  EXPECT_EQ(renamed.name, "Operators");
  EXPECT_EQ(renamed.status, "active");
  // The root session still works.
  TF_ASSERT_OK(svc().Authenticate(Bearer(w().root.login.token)).status());
}

TEST_P(IdentityTenantsTest, UpdateTenantValidatesItsPatch) {
  EXPECT_EQ(FieldOf(svc().UpdateTenant(root(), w().globex.id, TenantPatch{std::nullopt, std::string("deleted")}).status()),
            "status");
  EXPECT_EQ(FieldOf(svc().UpdateTenant(root(), w().globex.id, TenantPatch{std::string("  "), std::nullopt}).status()),
            "name");
  EXPECT_EQ(svc().UpdateTenant(root(), "019b76da-a87b-7000-8000-000000000002", TenantPatch{std::string("x"), std::nullopt})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_P(IdentityTenantsTest, ListTenantsWithFiltersAndPagination) {
  TF_ASSERT_OK_AND_ASSIGN(Tenant paused, svc().CreateTenant(root(), "paused", "Paused", "eu"));
  TF_ASSERT_OK(svc().UpdateTenant(root(), paused.id, TenantPatch{std::nullopt, std::string("suspended")}).status());
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Tenant> all, svc().ListTenants(root(), TenantFilter{}, std::nullopt, 500));
  ASSERT_GE(all.size(), 4u);
  std::vector<std::string> paged;
  std::optional<std::string> after;
  for (int guard = 0; guard < 100; ++guard) {
    TF_ASSERT_OK_AND_ASSIGN(std::vector<Tenant> page, svc().ListTenants(root(), TenantFilter{}, after, 1));
    if (page.empty()) break;
    paged.push_back(page[0].id);
    after = page[0].id;
  }
  std::vector<std::string> expected;
  for (const Tenant& t : all) expected.push_back(t.id);
  EXPECT_EQ(paged, expected);

  TenantFilter suspended;
  suspended.status = "suspended";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Tenant> s, svc().ListTenants(root(), suspended, std::nullopt, 500));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].id, paused.id);
  TenantFilter by_slug;
  by_slug.slug = "globex";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<Tenant> g, svc().ListTenants(root(), by_slug, std::nullopt, 500));
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].id, w().globex.id);
}

// =============================================================================================
// Housekeeping

class IdentitySessionPurgeTest : public ::testing::TestWithParam<Backend> {};

TEST_P(IdentitySessionPurgeTest, EndedSessionsAreDeletedAfterTheKeepPeriodOnly) {
  World world;
  TF_ASSERT_OK(world.Init(GetParam()));
  TF_ASSERT_OK_AND_ASSIGN(User u, world.InsertUser(world.acme.id, "purge@acme.test", {Role::kViewer}));
  TF_ASSERT_OK_AND_ASSIGN(auto revoked, world.SignIn(*world.svc, "purge@acme.test"));
  TF_ASSERT_OK(world.svc->Logout(revoked.principal));
  TF_ASSERT_OK_AND_ASSIGN(auto live, world.SignIn(*world.svc, "purge@acme.test"));
  auto count = [&] { return world.Query("SELECT COUNT(*) FROM sessions WHERE user_id = ?", {u.id})[0].Int(0); };
  ASSERT_EQ(count(), 2);

  // Within the keep period nothing goes.
  world.clock.Advance(std::chrono::hours(24));
  TF_ASSERT_OK_AND_ASSIGN(int64_t purged, world.svc->PurgeEndedSessions(std::chrono::hours(24 * 7)));
  EXPECT_EQ(purged, 0);
  // A week after it was revoked, the revoked session goes; the live one ended (12 h absolute
  // lifetime) less than a week ago and stays.
  world.clock.Advance(std::chrono::hours(24 * 6) + std::chrono::minutes(1));
  TF_ASSERT_OK_AND_ASSIGN(purged, world.svc->PurgeEndedSessions(std::chrono::hours(24 * 7)));
  EXPECT_GE(purged, 1);  // the world's other sessions ended too
  store::Rows left = world.Query("SELECT id FROM sessions WHERE user_id = ?", {u.id});
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].Text(0), live.login.session.id);
  world.clock.Advance(std::chrono::hours(12));
  TF_ASSERT_OK_AND_ASSIGN(purged, world.svc->PurgeEndedSessions(std::chrono::hours(24 * 7)));
  EXPECT_GE(purged, 1);  // the world's other sessions ended too
  EXPECT_EQ(count(), 0);
}

TF_INSTANTIATE_BACKENDS(IdentityAuthenticateTest);
TF_INSTANTIATE_BACKENDS(IdentityBootstrapTest);
TF_INSTANTIATE_BACKENDS(IdentityLoginTest);
TF_INSTANTIATE_BACKENDS(IdentityPersonalDataTest);
TF_INSTANTIATE_BACKENDS(IdentityTenantsTest);
TF_INSTANTIATE_BACKENDS(IdentityUsersTest);
TF_INSTANTIATE_BACKENDS(IdentitySessionPurgeTest);

}  // namespace
}  // namespace tf::identity
