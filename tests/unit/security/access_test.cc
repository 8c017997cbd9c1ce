// Tests of just-in-time access on both backends with a fake clock: the four-eyes rule
// (self-approval refused), approvers acting on their standing access and holding the role's
// permissions, a grant in force at once on the requester's sessions (never on API tokens) and
// ending exactly at its expiry, the sweep expiring grants and lapsing undecided requests,
// giving a grant up, the request checks, and who sees which requests.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "unit/security/security_fixture.h"

namespace tf::security {
namespace {

//! An authenticator that answers one principal, as the identity module would.
class FixedAuthenticator final : public http::Authenticator {
 public:
  explicit FixedAuthenticator(Principal p) : p_(std::move(p)) {}
  absl::StatusOr<std::optional<Principal>> Authenticate(const http::Request&) override { return p_; }

 private:
  Principal p_;
};

Principal Person(const char* tenant, const char* user, Role role) {
  Principal p = With(tenant, user, {});
  p.roles = {role};
  p.permissions = PermissionsOf(role);
  return p;
}

class AccessTest : public SecurityFixture {
 protected:
  NewAccessRequest Ask(std::string role = "ADMIN", int64_t minutes = 60) {
    return {std::move(role), minutes, "month-end close: approve the VAT return"};
  }
  //! The principal a session of `p` authenticates as, grants added.
  Principal Signed(const Principal& p) {
    FixedAuthenticator inner(p);
    GrantingAuthenticator auth(inner, *grants_);
    return auth.Authenticate(http::Request{}).value().value();
  }

  Principal clerk_ = Person(kTenantA, kUserA2, Role::kViewer);
  Principal admin_ = Person(kTenantA, kUserA, Role::kAdmin);
};

TEST_P(AccessTest, AnApprovedGrantIsInForceAtOnceAndEndsByItself) {
  TF_ASSERT_OK_AND_ASSIGN(AccessRequest r, access_->Request(clerk_, Ask("ADMIN", 30)));
  EXPECT_EQ(r.status, "pending");
  EXPECT_FALSE(Has(Signed(clerk_).permissions, Permission::kUsersWrite)) << "not before approval";

  absl::StatusOr<AccessRequest> self = access_->Approve(Person(kTenantA, kUserA2, Role::kAdmin), r.id, std::nullopt);
  EXPECT_EQ(self.status().code(), absl::StatusCode::kPermissionDenied) << "four-eyes";
  EXPECT_TRUE(absl::StrContains(self.status().message(), "four-eyes")) << self.status();

  TF_ASSERT_OK_AND_ASSIGN(r, access_->Approve(admin_, r.id, std::string("for the close")));
  EXPECT_EQ(r.status, "approved");
  EXPECT_EQ(r.expires_at, clock_.NowMicros() + int64_t{30} * 60'000'000);
  Principal elevated = Signed(clerk_);
  EXPECT_TRUE(Has(elevated.permissions, Permission::kUsersWrite));
  EXPECT_EQ(elevated.roles, (std::vector<Role>{Role::kViewer, Role::kAdmin}));
  EXPECT_EQ(elevated.via, "jit:" + r.id);
  EXPECT_EQ(audit::Actor::Of(elevated).via, "jit:" + r.id) << "its audit records carry the marker";
  Principal token = clerk_;
  token.kind = Principal::Kind::kApiToken;
  EXPECT_FALSE(Has(Signed(token).permissions, Permission::kUsersWrite)) << "API tokens never gain grants";

  clock_.Advance(std::chrono::minutes(29));
  EXPECT_TRUE(Has(Signed(clerk_).permissions, Permission::kUsersWrite));
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_FALSE(Has(Signed(clerk_).permissions, Permission::kUsersWrite)) << "ends exactly at its expiry";
  TF_ASSERT_OK_AND_ASSIGN(int64_t swept, access_->Sweep());
  EXPECT_EQ(swept, 1);
  TF_ASSERT_OK_AND_ASSIGN(r, access_->Get(clerk_, r.id));
  EXPECT_EQ(r.status, "expired");
  EXPECT_EQ(r.ended_by, "system");
  EXPECT_EQ(AuditEvents("access.requested").size(), 1u);
  EXPECT_EQ(AuditEvents("access.granted").size(), 1u);
  EXPECT_EQ(AuditEvents("access.expired").size(), 1u);
  // Expired, the role may be asked for again.
  TF_ASSERT_OK(access_->Request(clerk_, Ask()).status());
}

TEST_P(AccessTest, ApproversActOnTheirStandingAccessAndGrantOnlyWhatTheyHold) {
  TF_ASSERT_OK_AND_ASSIGN(AccessRequest r, access_->Request(clerk_, Ask("ADMIN")));
  Principal manager_only = With(kTenantA, kUserA, {Permission::kAccessManage});
  EXPECT_EQ(access_->Approve(manager_only, r.id, std::nullopt).status().code(), absl::StatusCode::kPermissionDenied);
  Principal elevated = admin_;
  elevated.via = "jit:0190f000-0000-7000-8000-000000000777";
  absl::StatusOr<AccessRequest> by_grant = access_->Approve(elevated, r.id, std::nullopt);
  EXPECT_EQ(by_grant.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(by_grant.status().message(), "standing access")) << by_grant.status();
  EXPECT_EQ(access_->Approve(Person(kTenantB, kUserB, Role::kAdmin), r.id, std::nullopt).status().code(),
            absl::StatusCode::kNotFound)
      << "another tenant's admin cannot see it";
  EXPECT_EQ(access_->Approve(clerk_, r.id, std::nullopt).status().code(), absl::StatusCode::kPermissionDenied);
  TF_ASSERT_OK_AND_ASSIGN(r, access_->Reject(admin_, r.id, std::string("use the shared approver")));
  EXPECT_EQ(r.status, "rejected");
  EXPECT_EQ(access_->Approve(admin_, r.id, std::nullopt).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Has(Signed(clerk_).permissions, Permission::kUsersWrite));
}

TEST_P(AccessTest, AGrantGivenUpEndsAtOnceAndUndecidedRequestsLapse) {
  TF_ASSERT_OK_AND_ASSIGN(AccessRequest r, access_->Request(clerk_, Ask("AUDITOR")));
  TF_ASSERT_OK(access_->Approve(admin_, r.id, std::nullopt).status());
  EXPECT_TRUE(Has(Signed(clerk_).permissions, Permission::kAuditRead));
  TF_ASSERT_OK_AND_ASSIGN(r, access_->Revoke(clerk_, r.id, std::string("done early")));
  EXPECT_EQ(r.status, "revoked");
  EXPECT_FALSE(Has(Signed(clerk_).permissions, Permission::kAuditRead)) << "no wait for a reload";
  EXPECT_EQ(access_->Revoke(clerk_, r.id, std::nullopt).status().code(), absl::StatusCode::kFailedPrecondition);

  TF_ASSERT_OK_AND_ASSIGN(AccessRequest waiting, access_->Request(clerk_, Ask("ACCOUNTANT")));
  clock_.Advance(std::chrono::hours(25));
  TF_ASSERT_OK(access_->Sweep().status());
  TF_ASSERT_OK_AND_ASSIGN(waiting, access_->Get(admin_, waiting.id));
  EXPECT_EQ(waiting.status, "lapsed");
  EXPECT_EQ(AuditEvents("access.lapsed").size(), 1u);
}

TEST_P(AccessTest, RequestsAreCheckedAndSeenByTheirRequesterAndTheTenantsManagers) {
  EXPECT_EQ(access_->Request(clerk_, Ask("OWNER")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_->Request(clerk_, Ask("ADMIN", 4)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_->Request(clerk_, Ask("ADMIN", 481)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_->Request(clerk_, Ask("VIEWER")).status().code(), absl::StatusCode::kFailedPrecondition)
      << "already held";
  EXPECT_EQ(access_->Request(clerk_, Ask("SUPER_ADMIN")).status().code(), absl::StatusCode::kInvalidArgument)
      << "the platform role is for the system tenant's users";
  Principal token = clerk_;
  token.kind = Principal::Kind::kApiToken;
  EXPECT_EQ(access_->Request(token, Ask()).status().code(), absl::StatusCode::kFailedPrecondition);
  NewAccessRequest blank = Ask();
  blank.reason = "";
  EXPECT_EQ(access_->Request(clerk_, blank).status().code(), absl::StatusCode::kInvalidArgument);
  TF_ASSERT_OK_AND_ASSIGN(AccessRequest mine, access_->Request(clerk_, Ask()));
  EXPECT_EQ(access_->Request(clerk_, Ask()).status().code(), absl::StatusCode::kFailedPrecondition)
      << "one open request per role";
  Principal other = Person(kTenantA, kUserA, Role::kViewer);
  TF_ASSERT_OK(access_->Request(other, Ask("AUDITOR")).status());

  EXPECT_EQ(access_->List(clerk_, AccessFilter{}).value().size(), 1u) << "a requester sees their own";
  EXPECT_EQ(access_->List(admin_, AccessFilter{}).value().size(), 2u) << "a manager sees the tenant's";
  EXPECT_TRUE(access_->List(Person(kTenantB, kUserB, Role::kAdmin), AccessFilter{}).value().empty());
  EXPECT_EQ(access_->Get(other, mine.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(access_->Revoke(other, mine.id, std::nullopt).status().code(), absl::StatusCode::kNotFound);
  TF_ASSERT_OK_AND_ASSIGN(mine, access_->Revoke(clerk_, mine.id, std::nullopt));
  EXPECT_EQ(mine.status, "cancelled");
}

TF_INSTANTIATE_BACKENDS(AccessTest);

TEST(GrantCacheTest, OneCallerReloadsAStaleCacheAndAFailedLoadWaitsASecond) {
  FakeClock clock{store::testing::TestEpoch()};
  std::atomic<int> loads{0};
  std::atomic<bool> fail{false};
  GrantCache cache(clock, [&](int64_t now) -> absl::StatusOr<std::vector<AccessRequest>> {
    loads.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (fail) return absl::UnavailableError("the database is down");
    AccessRequest r;
    r.id = "req";
    r.requester = kUserA;
    r.role = "AUDITOR";
    r.status = "approved";
    r.expires_at = now + 3'600'000'000;
    return std::vector<AccessRequest>{r};
  });
  TF_ASSERT_OK(cache.Refresh());
  EXPECT_EQ(cache.For(kUserA).size(), 1u);
  EXPECT_EQ(loads.load(), 1) << "fresh: no reload";
  clock.Advance(std::chrono::seconds(2));
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { EXPECT_EQ(cache.For(kUserA).size(), 1u); });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(loads.load(), 2) << "eight stale lookups, one reload";

  fail = true;
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(cache.For(kUserA).size(), 1u) << "a failed reload keeps what it had";
  EXPECT_EQ(cache.For(kUserA).size(), 1u);
  EXPECT_EQ(loads.load(), 3) << "and is not tried again on every lookup";
  clock.Advance(std::chrono::seconds(1));
  (void)cache.For(kUserA);
  EXPECT_EQ(loads.load(), 4);
}

}  // namespace
}  // namespace tf::security
