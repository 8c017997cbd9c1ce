// Every route x every caller (anonymous, each role in two tenants, SUPER_ADMIN, and an API token
// holding one permission) against a real trustd, driven by one table that must list exactly
// the routes the application registers; and the tenant wall: ids from tenant B, used by tenant
// A's callers, answer 404 (never 403, never confirming they exist) and change nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "app/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/permissions.h"
#include "core/rng.h"
#include "support/trustd_process.h"
#include "support/wait.h"

namespace tf::testing {
namespace {

using nlohmann::json;
using P = Permission;

constexpr char kNoSuchId[] = "0190a5e0-0000-7000-8000-00000000dead";

//! One row: a route, the access it must declare, and a request that succeeds when allowed.
struct RouteCase {
  std::string method;
  std::string pattern;
  Access access;
  //! JSON body ("" = none); "{n}" is replaced by a number unique to each call.
  std::string body;
  //! The status a caller who is allowed gets (with the ids of their own tenant).
  int allowed_status;
  //! What an allowed API token gets instead, for routes that need a session (0: the same).
  int token_status = 0;
};

Access Pub() { return Access::Public(); }
Access AnyUser() { return Access::Authenticated().AllowPendingSetup(); }
Access Authed() { return Access::Authenticated(); }
Access Needs(P p) { return Access::Requires(p); }

//! THE table. A route added to trustd without a row here fails RoutesTableMatchesTheRouter.
const std::vector<RouteCase>& Table() {
  static const auto* table = new std::vector<RouteCase>{
      // authentication ({} fails validation: proves the route was reached without a login)
      {"POST", "/api/auth/login", Pub(), "{}", 422},
      {"POST", "/api/auth/logout", AnyUser(), "", 204},
      {"GET", "/api/auth/me", AnyUser(), "", 200},
      {"POST", "/api/auth/password", AnyUser(), "{}", 422},
      {"POST", "/api/auth/login/mfa", Pub(), "{}", 422},
      {"POST", "/api/auth/login/device", Pub(), "{}", 422},
      // the caller's second factor, sessions, devices and events ({id}s that are not theirs: 404)
      {"GET", "/api/auth/mfa", AnyUser(), "", 200},
      {"POST", "/api/auth/mfa/totp/enroll", AnyUser(), "", 200, 409},
      {"POST", "/api/auth/mfa/totp/confirm", AnyUser(), "{}", 422},
      {"POST", "/api/auth/mfa/totp/disable", Authed(), "{}", 422},
      {"POST", "/api/auth/mfa/recovery-codes", Authed(), "{}", 422},
      {"GET", "/api/auth/sessions", Authed(), "", 200},
      {"DELETE", "/api/auth/sessions/{id}", Authed(), "", 404},
      {"POST", "/api/auth/sessions/revoke-others", Authed(), "", 200, 409},
      {"GET", "/api/auth/devices", Authed(), "", 200},
      {"PATCH", "/api/auth/devices/{id}", Authed(), R"({"name":"Matrix {n}"})", 404},
      {"DELETE", "/api/auth/devices/{id}", Authed(), "", 404},
      {"POST", "/api/auth/devices/{id}/approve", Authed(), "", 404},
      {"GET", "/api/auth/events", Authed(), "", 200},
      {"GET", "/api/auth/account-events", Needs(P::kUsersRead), "", 200},
      {"GET", "/api/auth/summary", Needs(P::kUsersRead), "", 200},
      // API tokens
      {"GET", "/api/auth/tokens", Needs(P::kTokensRead), "", 200},
      {"POST", "/api/auth/tokens", Needs(P::kTokensWrite), R"({"name":"matrix {n}","permissions":["users.read"]})", 201},
      {"DELETE", "/api/auth/tokens/{id}", Needs(P::kTokensWrite), "", 204},
      // tenants
      {"POST", "/api/tenants", Needs(P::kTenantsWrite), R"({"slug":"matrix-{n}","name":"Matrix {n}"})", 201},
      {"GET", "/api/tenants", Needs(P::kTenantsRead), "", 200},
      {"GET", "/api/tenants/{id}", Needs(P::kTenantsRead), "", 200},
      {"PATCH", "/api/tenants/{id}", Needs(P::kTenantsWrite), "{}", 200},
      {"GET", "/api/tenants/{id}/security-policy", Authed(), "", 200},
      {"PATCH", "/api/tenants/{id}/security-policy", Needs(P::kSecurityPolicyWrite), "{}", 200},
      // users
      {"POST", "/api/users", Needs(P::kUsersWrite),
       R"({"email":"matrix-{n}@matrix.example","password":"correct-Horse-7-battery","roles":["VIEWER"]})", 201},
      {"GET", "/api/users", Needs(P::kUsersRead), "", 200},
      {"GET", "/api/users/{id}", Needs(P::kUsersRead), "", 200},
      {"PATCH", "/api/users/{id}", Needs(P::kUsersWrite), R"({"display_name":"Matrix {n}"})", 200},
      {"POST", "/api/users/{id}/reset-password", Needs(P::kUsersWrite), "{}", 200},
      {"POST", "/api/users/{id}/unlock", Needs(P::kUsersWrite), "", 200},
      // (an unconfirmed erasure: 422 proves the route was reached and erases nobody)
      {"POST", "/api/users/{id}/erasure", Needs(P::kUsersWrite), "{}", 422},
      {"GET", "/api/users/{id}/sessions", Needs(P::kUsersRead), "", 200},
      {"DELETE", "/api/users/{id}/sessions", Needs(P::kUsersWrite), "", 200},
      {"DELETE", "/api/users/{id}/sessions/{session_id}", Needs(P::kUsersWrite), "", 404},
      {"GET", "/api/users/{id}/devices", Needs(P::kUsersRead), "", 200},
      {"POST", "/api/users/{id}/devices/{device_id}/approve", Needs(P::kUsersWrite), "", 404},
      {"DELETE", "/api/users/{id}/devices/{device_id}", Needs(P::kUsersWrite), "", 404},
      // the audit trail (the set-up waits for the first checkpoint; {id} is no audit record;
      // proofs without their parameters are 422)
      {"GET", "/api/audit/public-key", Pub(), "", 200},
      {"GET", "/api/audit/checkpoints/latest", Needs(P::kAuditRead), "", 200},
      {"GET", "/api/audit/checkpoints", Needs(P::kAuditRead), "", 200},
      {"GET", "/api/audit/logs", Needs(P::kAuditRead), "", 200},
      {"GET", "/api/audit/logs/{id}", Needs(P::kAuditRead), "", 404},
      {"GET", "/api/audit/stats", Needs(P::kAuditRead), "", 200},
      {"GET", "/api/audit/export", Needs(P::kAuditRead), "", 200},
      {"GET", "/api/tenants/{id}/audit-retention", Needs(P::kAuditRead), "", 200},
      {"PUT", "/api/tenants/{id}/audit-retention", Needs(P::kAuditManage), R"({"retention_days":365})", 200},
      {"POST", "/api/tenants/{id}/audit-retention/prune", Needs(P::kAuditManage), "", 200, 409},
      {"DELETE", "/api/tenants/{id}/audit-retention", Needs(P::kAuditManage), "", 204, 404},
      {"GET", "/api/audit/proof/inclusion", Needs(P::kAuditRead), "", 422},
      {"GET", "/api/audit/proof/consistency", Needs(P::kAuditRead), "", 422},
      // the secret inventory and rotation ledger ({name} names no secret; values go to API
      // tokens only)
      {"POST", "/api/secrets", Needs(P::kSecretsManage),
       R"({"name":"matrix-{n}","type":"API_KEY","rotation_days":30,"managed":true})", 201},
      {"GET", "/api/secrets", Needs(P::kSecretsRead), "", 200},
      {"GET", "/api/secrets/{name}", Needs(P::kSecretsFetch).ApiTokensOnly(), "", 404},
      {"POST", "/api/security/secret-rotations", Needs(P::kSecretsManage),
       R"({"secret_name":"no-such-secret","reason":"matrix"})", 404},
      {"GET", "/api/security/secret-rotations", Needs(P::kSecretsRead), "", 200},
      {"GET", "/api/security/secret-rotations/due", Needs(P::kSecretsRead), "", 200},
      {"PUT", "/api/security/secret-rotations/policy", Needs(P::kSecretsManage),
       R"({"secret_name":"no-such-secret","rotation_days":30})", 404},
      {"GET", "/api/security/encryption-status", Needs(P::kSecretsRead), "", 200},
      // security events ({id} is no event) and detection rules ({name} is failed_logins)
      {"POST", "/api/security/events", Needs(P::kSecurityRespond),
       R"({"type":"matrix","severity":"low","description":"matrix {n}"})", 201},
      {"GET", "/api/security/events", Needs(P::kSecurityRead), "", 200},
      {"GET", "/api/security/events/summary", Needs(P::kSecurityRead), "", 200},
      {"GET", "/api/security/events/{id}", Needs(P::kSecurityRead), "", 404},
      {"PATCH", "/api/security/events/{id}", Needs(P::kSecurityRespond), R"({"severity":"low"})", 404},
      {"PATCH", "/api/security/events/{id}/status", Needs(P::kSecurityRespond), R"({"status":"investigating"})", 404},
      // incidents ({id} is no incident)
      {"POST", "/api/security/incidents", Needs(P::kSecurityRespond), R"({"title":"matrix {n}","severity":"SEV4"})", 201},
      {"GET", "/api/security/incidents", Needs(P::kSecurityRead), "", 200},
      {"GET", "/api/security/incidents/metrics", Needs(P::kSecurityRead), "", 200},
      {"GET", "/api/security/incidents/{id}", Needs(P::kSecurityRead), "", 404},
      {"PATCH", "/api/security/incidents/{id}", Needs(P::kSecurityRespond), R"({"severity":"SEV3"})", 404},
      {"PATCH", "/api/security/incidents/{id}/status", Needs(P::kSecurityRespond), R"({"status":"investigating"})", 404},
      {"POST", "/api/security/incidents/{id}/timeline", Needs(P::kSecurityRespond), R"({"text":"matrix {n}"})", 404},
      {"POST", "/api/security/incidents/{id}/events", Needs(P::kSecurityRespond),
       R"({"event_id":"0190a5e0-0000-7000-8000-00000000dead"})", 404},
      {"GET", "/api/security/incidents/{id}/postmortem", Needs(P::kSecurityRead), "", 404},
      {"PUT", "/api/security/incidents/{id}/postmortem", Needs(P::kSecurityRespond), R"({"summary":"matrix"})", 404},
      // just-in-time access ({id} is no request; a request too short is 422, from an API token 409)
      {"POST", "/api/security/access-requests", Authed(), R"({"role":"ADMIN","duration_minutes":1,"reason":"matrix"})",
       422, 409},
      {"GET", "/api/security/access-requests", Authed(), "", 200},
      {"GET", "/api/security/access-requests/{id}", Authed(), "", 404},
      {"POST", "/api/security/access-requests/{id}/approve", Needs(P::kAccessManage), "", 404},
      {"POST", "/api/security/access-requests/{id}/reject", Needs(P::kAccessManage), "", 404},
      {"POST", "/api/security/access-requests/{id}/revoke", Authed(), "", 404},
      // access reviews ({id} is no review)
      {"POST", "/api/security/access-reviews", Needs(P::kAccessManage), R"({"title":"matrix {n}"})", 201},
      {"GET", "/api/security/access-reviews", Needs(P::kAuditRead), "", 200},
      {"GET", "/api/security/access-reviews/{id}", Needs(P::kAuditRead), "", 404},
      {"POST", "/api/security/access-reviews/{id}/decisions", Needs(P::kAccessManage),
       R"({"user_id":"0190a5e0-0000-7000-8000-00000000dead","decision":"certify"})", 404},
      {"POST", "/api/security/access-reviews/{id}/complete", Needs(P::kAccessManage), "", 404},
      {"GET", "/api/security/rules", Needs(P::kSecurityRead), "", 200},
      {"GET", "/api/security/rules/{name}", Needs(P::kSecurityRead), "", 200},
      {"PATCH", "/api/security/rules/{name}", Needs(P::kSecurityPolicyWrite), R"({"enabled":true})", 200},
      // monitoring
      {"GET", "/health", Pub(), "", 200},
      {"GET", "/health/ready", Pub(), "", 200},
      {"GET", "/health/database", Pub(), "", 200},
      {"GET", "/health/detailed", Needs(P::kSystemHealth), "", 200},
      {"GET", "/metrics", Pub(), "", 200},
  };
  return *table;
}

std::string AccessName(const Access& a) {
  switch (a.kind) {
    case Access::Kind::kPublic: return "public";
    case Access::Kind::kAuthenticated:
      return a.allow_pending_setup ? "authenticated(pending ok)" : "authenticated";
    case Access::Kind::kPermission:
      return absl::StrCat(std::string(PermissionName(a.permission)), a.allow_pending_setup ? "(pending ok)" : "",
                          a.api_tokens_only ? "(api tokens only)" : "");
  }
  return "?";
}

//! Ids of one tenant's resources that requests put in {id}.
struct TenantIds {
  std::string tenant;
  std::string user;   //!< a user the calls may modify (display name, password reset, unlock)
  std::string token;  //!< an API token the calls may revoke
};

struct Caller {
  std::string name;   //!< "A/ADMIN", "token(users.read)", "anonymous"
  std::string email;  //!< for a fresh session (logout); "" for anonymous and the token
  std::string token;  //!< "" = anonymous
  char tenant = 0;    //!< 'S' (system), 'A' or 'B'
  PermissionSet permissions;
  bool is_api_token = false;
};

std::string Fill(const RouteCase& rc, const TenantIds& ids) {
  std::string id = absl::StartsWith(rc.pattern, "/api/users/")    ? ids.user
                   : absl::StartsWith(rc.pattern, "/api/tenants/") ? ids.tenant
                                                                   : ids.token;
  std::string name = absl::StartsWith(rc.pattern, "/api/security/rules/") ? "failed_logins" : "no-such-secret";
  return absl::StrReplaceAll(rc.pattern, {{"{id}", id},
                                          {"{session_id}", kNoSuchId},
                                          {"{device_id}", kNoSuchId},
                                          {"{name}", name}});
}

std::string BodyFor(const RouteCase& rc) {
  static std::atomic<int> n{0};
  return absl::StrReplaceAll(rc.body, {{"{n}", absl::StrCat(n.fetch_add(1))}});
}

HttpResult Call(const HttpClient& c, const std::string& method, const std::string& path, const std::string& body,
                const std::string& token) {
  std::map<std::string, std::string> h;
  if (!token.empty()) h["Authorization"] = "Bearer " + token;
  if (!body.empty()) h["Content-Type"] = "application/json";
  return c.Send(method, path, body, h);
}

//! Runs `jobs` on threads of their own (argon2id dominates set-up; the server has workers).
void Parallel(const std::vector<std::function<void()>>& jobs) {
  std::vector<std::thread> threads;
  for (const auto& job : jobs) threads.emplace_back(job);
  for (auto& t : threads) t.join();
}

class PermissionMatrixTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new TrustdProcess();
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_EQ(server_->Bootstrap(kRootEmail, kPassword).exit_code, 0);
    root_ = server_->Login(kRootEmail, kPassword);
    ASSERT_FALSE(root_.empty());
    auto c = server_->client();

    HttpResult me = c.Get("/api/auth/me", root_);
    ASSERT_EQ(me.status, 200);
    ids_['S'].tenant = me.Json()["tenant_id"];
    for (char t : {'A', 'B'}) {
      std::string slug = t == 'A' ? "tenant-a" : "tenant-b";
      HttpResult r = c.PostJson("/api/tenants", {{"slug", slug}, {"name", slug}}, root_);
      ASSERT_EQ(r.status, 201) << r.body;
      ids_[t].tenant = r.Json()["id"];
    }

    // Users: every tenant role in A and B, a victim per tenant for the matrix, and a target in B
    // for the cross-tenant test that nothing else touches.
    struct NewUser {
      NewUser(char t, std::string r, std::string e) : tenant(t), role(std::move(r)), email(std::move(e)) {}
      char tenant;
      std::string role;
      std::string email;
      std::string id{};
      int status = 0;
      std::string body{};
    };
    std::vector<NewUser> users;
    for (char t : {'A', 'B'}) {
      for (const char* role : {"ADMIN", "ACCOUNTANT", "AUDITOR", "VIEWER"}) {
        users.emplace_back(t, role, absl::AsciiStrToLower(absl::StrCat(role, "@", std::string(1, t), ".example")));
      }
      users.emplace_back(t, "VIEWER", absl::StrCat("victim@", std::string(1, t), ".example"));
    }
    users.emplace_back('S', "VIEWER", "victim@system.example");
    users.emplace_back('B', "VIEWER", "target@b.example");
    std::vector<std::function<void()>> jobs;
    for (NewUser& u : users) {
      jobs.push_back([&u] {
        HttpResult r = server_->client().PostJson(
            "/api/users",
            {{"email", u.email}, {"password", kPassword}, {"roles", {u.role}}, {"tenant_id", ids_[u.tenant].tenant}},
            root_);
        u.status = r.status;
        u.body = r.body;
        if (r.status == 201) u.id = r.Json()["id"];
      });
    }
    Parallel(jobs);
    for (const NewUser& u : users) ASSERT_EQ(u.status, 201) << u.email << ": " << u.body;

    // Sessions for every role user (and B's target).
    callers_.push_back({"anonymous", "", "", 0, {}, false});
    callers_.push_back({"S/SUPER_ADMIN", kRootEmail, root_, 'S', PermissionsOf(Role::kSuperAdmin), false});
    std::vector<Caller> sessions;
    for (const NewUser& u : users) {
      if (absl::StartsWith(u.email, "victim@")) {
        ids_[u.tenant].user = u.id;
        continue;
      }
      if (absl::StartsWith(u.email, "target@")) {
        target_user_ = u.id;
        continue;
      }
      sessions.push_back({absl::StrCat(std::string(1, u.tenant), "/", u.role), u.email, "", u.tenant,
                          PermissionsOf(*ParseRole(u.role)), false});
    }
    jobs.clear();
    for (Caller& s : sessions) jobs.push_back([&s] { s.token = server_->Login(s.email, kPassword); });
    jobs.push_back([] { target_session_ = server_->Login("target@b.example", kPassword); });
    Parallel(jobs);
    for (const Caller& s : sessions) {
      ASSERT_FALSE(s.token.empty()) << s.email;
      callers_.push_back(s);
    }
    ASSERT_FALSE(target_session_.empty());

    // API tokens: revocable victims per tenant, B's target token, and the one-permission caller.
    auto make_token = [&c](const std::string& creator, const std::vector<std::string>& perms, json* out) {
      HttpResult r = c.PostJson("/api/auth/tokens", {{"name", "fixture"}, {"permissions", perms}}, creator);
      ASSERT_EQ(r.status, 201) << r.body;
      *out = r.Json();
    };
    json t;
    make_token(root_, {"users.read"}, &t);
    ids_['S'].token = t["id"];
    make_token(Token("A/ADMIN"), {"users.read"}, &t);
    ids_['A'].token = t["id"];
    make_token(Token("B/ADMIN"), {"users.read"}, &t);
    ids_['B'].token = t["id"];
    make_token(Token("B/ADMIN"), {"users.read"}, &t);
    target_token_id_ = t["id"];
    target_token_ = t["token"];
    make_token(Token("A/ADMIN"), {"users.read"}, &t);
    PermissionSet one;
    one.set(static_cast<size_t>(P::kUsersRead));
    callers_.push_back({"A/token(users.read)", "", t["token"], 'A', one, true});
    HttpResult event = c.PostJson("/api/security/events",
                                  {{"type", "fixture"}, {"severity", "high"}, {"description", "B's own"}},
                                  Token("B/ADMIN"));
    ASSERT_EQ(event.status, 201) << event.body;
    target_event_ = event.Json()["id"];
    HttpResult incident = c.PostJson("/api/security/incidents", {{"title", "B's own"}, {"severity", "SEV2"}},
                                     Token("B/ADMIN"));
    ASSERT_EQ(incident.status, 201) << incident.body;
    target_incident_ = incident.Json()["id"];
    HttpResult request = c.PostJson("/api/security/access-requests",
                                    {{"role", "AUDITOR"}, {"duration_minutes", 60}, {"reason", "B's own"}},
                                    Token("B/VIEWER"));
    ASSERT_EQ(request.status, 201) << request.body;
    target_request_ = request.Json()["id"];
    HttpResult review = c.PostJson("/api/security/access-reviews", {{"title", "B's own"}}, Token("B/ADMIN"));
    ASSERT_EQ(review.status, 201) << review.body;
    target_review_ = review.Json()["id"];
    // The set-up's requests are in the audit tree, and the first checkpoint follows at once.
    ASSERT_TRUE(WaitFor([&c] { return c.Get("/api/audit/checkpoints/latest", root_).status == 200; }));
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    callers_.clear();
    ids_.clear();
  }

  static std::string Token(const std::string& caller) {
    for (const Caller& c : callers_) {
      if (c.name == caller) return c.token;
    }
    return "";
  }

  static TrustdProcess* server_;
  static std::string root_;
  static std::vector<Caller> callers_;
  static std::map<char, TenantIds> ids_;
  static std::string target_user_, target_session_, target_token_id_, target_token_, target_event_,
      target_incident_, target_request_, target_review_;
};

TrustdProcess* PermissionMatrixTest::server_ = nullptr;
std::string PermissionMatrixTest::root_;
std::vector<Caller> PermissionMatrixTest::callers_;
std::map<char, TenantIds> PermissionMatrixTest::ids_;
std::string PermissionMatrixTest::target_user_, PermissionMatrixTest::target_session_,
    PermissionMatrixTest::target_token_id_, PermissionMatrixTest::target_token_, PermissionMatrixTest::target_event_,
    PermissionMatrixTest::target_incident_, PermissionMatrixTest::target_request_, PermissionMatrixTest::target_review_;

// The table and the router must agree exactly: same routes, same declared access.
TEST(PermissionMatrixRoutesTest, RoutesTableMatchesTheRouter) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  ASSERT_TRUE(log::Init(LogOptions{LogLevel::kWarn, ""}).ok());
  TempDir dir;
  Config config;
  config.data_dir = dir.path();
  config.server.listen = "127.0.0.1:0";
  auto app = App::Create(config, SystemClock::Instance(), SystemRng::Instance());
  ASSERT_TRUE(app.ok()) << app.status();

  std::map<std::string, const RouteCase*> table;
  for (const RouteCase& rc : Table()) {
    EXPECT_TRUE(table.emplace(rc.method + " " + rc.pattern, &rc).second) << "duplicate row " << rc.pattern;
  }
  std::set<std::string> registered;
  for (const http::Route& route : (*app)->router().routes()) {
    std::string key = route.method + " " + route.pattern;
    registered.insert(key);
    auto it = table.find(key);
    if (it == table.end()) {
      ADD_FAILURE() << "route " << key << " (" << AccessName(route.access)
                    << ") has no row in the permission matrix of permission_matrix_test.cc";
      continue;
    }
    const Access& want = it->second->access;
    EXPECT_EQ(AccessName(route.access), AccessName(want)) << key << " declares a different access than the matrix";
  }
  for (const auto& [key, rc] : table) {
    EXPECT_TRUE(registered.contains(key)) << "the matrix lists " << key << " but trustd does not register it";
  }
}

TEST_F(PermissionMatrixTest, EveryRouteForEveryCaller) {
  auto c = server_->client();
  int checked = 0;
  for (const Caller& caller : callers_) {
    for (const RouteCase& rc : Table()) {
      const TenantIds& ids = ids_[caller.tenant == 0 ? 'A' : caller.tenant];
      std::string path = Fill(rc, ids);
      std::string token = caller.token;
      // Logging out ends the session: use a fresh one so the caller's own stays valid.
      if (rc.pattern == "/api/auth/logout" && !caller.email.empty()) {
        token = server_->Login(caller.email, kPassword);
        ASSERT_FALSE(token.empty()) << caller.name;
      }
      HttpResult r = Call(c, rc.method, path, BodyFor(rc), token);
      std::string what = absl::StrCat(rc.method, " ", path, " as ", caller.name, " (needs ", AccessName(rc.access),
                                      "): ", r.status, " ", r.body.substr(0, 300));
      ++checked;
      EXPECT_LT(r.status, 500) << what;
      EXPECT_NE(r.status, 0) << what;
      if (rc.access.kind == Access::Kind::kPublic) {
        EXPECT_EQ(r.status, rc.allowed_status) << what;
      } else if (caller.token.empty()) {
        EXPECT_EQ(r.status, 401) << what;
        EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << what;
      } else if (rc.access.api_tokens_only && !caller.is_api_token &&
                 caller.permissions.test(static_cast<size_t>(rc.access.permission))) {
        EXPECT_EQ(r.status, 403) << what << " (a session, on a route for API tokens only)";
        EXPECT_TRUE(absl::StrContains(r.body, "API tokens only")) << what;
      } else if (rc.access.kind == Access::Kind::kAuthenticated || caller.permissions.test(static_cast<size_t>(rc.access.permission))) {
        EXPECT_NE(r.status, 401) << what;
        EXPECT_NE(r.status, 403) << what;
        // An API token is not a session: it cannot log out, enrol MFA or end its
        // "other" sessions (409); everything else succeeds.
        int expected = rc.allowed_status;
        if (caller.is_api_token && rc.pattern == "/api/auth/logout") expected = 409;
        if (caller.is_api_token && rc.token_status != 0) expected = rc.token_status;
        EXPECT_EQ(r.status, expected) << what;
      } else {
        EXPECT_EQ(r.status, 403) << what;
        EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << what;
        EXPECT_TRUE(absl::StrContains(r.body, std::string(PermissionName(rc.access.permission)))) << what;
      }
    }
  }
  EXPECT_EQ(checked, static_cast<int>(callers_.size() * Table().size()));
  EXPECT_EQ(callers_.size(), 1u + 1u + 8u + 1u) << "anonymous, SUPER_ADMIN, 4 roles x 2 tenants, one API token";
}

TEST_F(PermissionMatrixTest, OtherTenantsIdsAnswer404AndChangeNothing) {
  auto c = server_->client();
  const std::string a_admin = Token("A/ADMIN"), a_auditor = Token("A/AUDITOR"), b_admin = Token("B/ADMIN");
  HttpResult user_before = c.Get("/api/users/" + target_user_, b_admin);
  ASSERT_EQ(user_before.status, 200) << user_before.body;
  HttpResult tenant_before = c.Get("/api/tenants/" + ids_['B'].tenant, root_);
  ASSERT_EQ(tenant_before.status, 200);

  struct Probe {
    std::string method;
    std::string pattern;  // {id} = the B resource
    std::string id;
    std::string body;
    Permission needs;
  };
  const std::vector<Probe> probes = {
      {"GET", "/api/users/{id}", target_user_, "", P::kUsersRead},
      {"PATCH", "/api/users/{id}", target_user_, R"({"display_name":"pwned","roles":["ADMIN"],"status":"disabled"})",
       P::kUsersWrite},
      {"POST", "/api/users/{id}/reset-password", target_user_, "{}", P::kUsersWrite},
      {"POST", "/api/users/{id}/reset-password", target_user_, R"({"password":"Attacker-Chosen-99-pass"})",
       P::kUsersWrite},
      {"POST", "/api/users/{id}/unlock", target_user_, "", P::kUsersWrite},
      {"POST", "/api/users/{id}/erasure", target_user_, R"({"confirm":true})", P::kUsersWrite},
      {"DELETE", "/api/auth/tokens/{id}", target_token_id_, "", P::kTokensWrite},
      {"GET", "/api/tenants/{id}", ids_['B'].tenant, "", P::kTenantsRead},
      {"PATCH", "/api/tenants/{id}", ids_['B'].tenant, R"({"status":"suspended"})", P::kTenantsWrite},
      {"GET", "/api/users/{id}/sessions", target_user_, "", P::kUsersRead},
      {"DELETE", "/api/users/{id}/sessions", target_user_, "", P::kUsersWrite},
      {"GET", "/api/users/{id}/devices", target_user_, "", P::kUsersRead},
      {"GET", "/api/tenants/{id}/security-policy", ids_['B'].tenant, "", P::kUsersRead},
      {"PATCH", "/api/tenants/{id}/security-policy", ids_['B'].tenant, R"({"require_mfa":true})",
       P::kSecurityPolicyWrite},
      {"GET", "/api/tenants/{id}/audit-retention", ids_['B'].tenant, "", P::kAuditRead},
      {"PUT", "/api/tenants/{id}/audit-retention", ids_['B'].tenant, R"({"retention_days":30})", P::kAuditManage},
      {"DELETE", "/api/tenants/{id}/audit-retention", ids_['B'].tenant, "", P::kAuditManage},
      {"POST", "/api/tenants/{id}/audit-retention/prune", ids_['B'].tenant, "", P::kAuditManage},
      {"GET", "/api/security/events/{id}", target_event_, "", P::kSecurityRead},
      {"PATCH", "/api/security/events/{id}", target_event_, R"({"severity":"low","assignee":""})",
       P::kSecurityRespond},
      {"PATCH", "/api/security/events/{id}/status", target_event_, R"({"status":"investigating"})",
       P::kSecurityRespond},
      {"GET", "/api/security/incidents/{id}", target_incident_, "", P::kSecurityRead},
      {"PATCH", "/api/security/incidents/{id}", target_incident_, R"({"severity":"SEV4","personal_data_breach":true})",
       P::kSecurityRespond},
      {"PATCH", "/api/security/incidents/{id}/status", target_incident_, R"({"status":"resolved"})",
       P::kSecurityRespond},
      {"POST", "/api/security/incidents/{id}/timeline", target_incident_, R"({"text":"pwned"})", P::kSecurityRespond},
      {"POST", "/api/security/incidents/{id}/events", target_incident_, R"({"event_id":"0190a5e0-0000-7000-8000-00000000dead"})",
       P::kSecurityRespond},
      {"GET", "/api/security/incidents/{id}/postmortem", target_incident_, "", P::kSecurityRead},
      {"PUT", "/api/security/incidents/{id}/postmortem", target_incident_, R"({"summary":"pwned"})",
       P::kSecurityRespond},
      {"GET", "/api/security/access-requests/{id}", target_request_, "", P::kSecurityRead},
      {"POST", "/api/security/access-requests/{id}/approve", target_request_, "", P::kAccessManage},
      {"POST", "/api/security/access-requests/{id}/reject", target_request_, "", P::kAccessManage},
      {"POST", "/api/security/access-requests/{id}/revoke", target_request_, "", P::kSecurityRead},
      {"GET", "/api/security/access-reviews/{id}", target_review_, "", P::kAuditRead},
      {"POST", "/api/security/access-reviews/{id}/decisions", target_review_,
       R"({"user_id":")" + target_user_ + R"(","decision":"revoke"})", P::kAccessManage},
      {"POST", "/api/security/access-reviews/{id}/complete", target_review_, "", P::kAccessManage},
  };
  int not_found = 0;
  for (const auto& [caller, token] : {std::pair<std::string, std::string>{"A/ADMIN", a_admin}, {"A/AUDITOR", a_auditor}}) {
    PermissionSet perms = PermissionsOf(caller == "A/ADMIN" ? Role::kAdmin : Role::kAuditor);
    for (const Probe& p : probes) {
      std::string real = absl::StrReplaceAll(p.pattern, {{"{id}", p.id}});
      std::string none = absl::StrReplaceAll(p.pattern, {{"{id}", kNoSuchId}});
      HttpResult r = Call(c, p.method, real, p.body, token);
      HttpResult n = Call(c, p.method, none, p.body, token);
      std::string what = absl::StrCat(p.method, " ", real, " as ", caller, ": ", r.status, " ", r.body);
      // Indistinguishable from an id that never existed...
      EXPECT_EQ(r.status, n.status) << what;
      EXPECT_EQ(r.Json().value("detail", "?"), n.Json().value("detail", "!")) << what;
      EXPECT_EQ(r.Json().value("title", "?"), n.Json().value("title", "!")) << what;
      // ...and, wherever the caller holds the permission, a plain 404.
      if (perms.test(static_cast<size_t>(p.needs))) {
        EXPECT_EQ(r.status, 404) << what;
        ++not_found;
      } else {
        EXPECT_EQ(r.status, 403) << what;
      }
    }
  }
  EXPECT_GE(not_found, 7);

  // Lists never show B's rows to A, whatever the filter says.
  for (const std::string& token : {a_admin, a_auditor}) {
    HttpResult users = c.Get("/api/users?limit=500&tenant_id=" + ids_['B'].tenant, token);
    ASSERT_EQ(users.status, 200) << users.body;
    json items = users.Json()["items"];
    ASSERT_FALSE(items.empty());
    for (const json& u : items) EXPECT_EQ(u["tenant_id"], ids_['A'].tenant) << u.dump();
    HttpResult events = c.Get("/api/security/events?limit=500&tenant_id=" + ids_['B'].tenant, token);
    ASSERT_EQ(events.status, 200) << events.body;
    EXPECT_TRUE(events.Json()["items"].empty()) << events.body;
    HttpResult incidents = c.Get("/api/security/incidents?limit=500&tenant_id=" + ids_['B'].tenant, token);
    ASSERT_EQ(incidents.status, 200) << incidents.body;
    EXPECT_TRUE(incidents.Json()["items"].empty()) << incidents.body;
    HttpResult requests = c.Get("/api/security/access-requests?limit=500&tenant_id=" + ids_['B'].tenant, token);
    ASSERT_EQ(requests.status, 200) << requests.body;
    EXPECT_TRUE(requests.Json()["items"].empty()) << requests.body;
    HttpResult rules = c.Get("/api/security/rules?tenant_id=" + ids_['B'].tenant, token);
    EXPECT_EQ(rules.status, 404) << rules.body;
    HttpResult tokens = c.Get("/api/auth/tokens?limit=500", token);
    ASSERT_EQ(tokens.status, 200) << tokens.body;
    json token_items = tokens.Json()["items"];
    for (const json& t : token_items) EXPECT_EQ(t["tenant_id"], ids_['A'].tenant) << t.dump();
  }
  // An ADMIN's tenant_id in a new user's body does not reach B.
  HttpResult planted = c.PostJson("/api/users",
                                  {{"email", "planted@a.example"}, {"password", kPassword}, {"roles", {"VIEWER"}},
                                   {"tenant_id", ids_['B'].tenant}},
                                  a_admin);
  ASSERT_EQ(planted.status, 201) << planted.body;
  EXPECT_EQ(planted.Json()["tenant_id"], ids_['A'].tenant);

  // B, seen by B's admin: nothing changed.
  HttpResult user_after = c.Get("/api/users/" + target_user_, b_admin);
  ASSERT_EQ(user_after.status, 200);
  EXPECT_EQ(user_after.Json(), user_before.Json()) << "B's user was changed through A's callers";
  HttpResult tenant_after = c.Get("/api/tenants/" + ids_['B'].tenant, root_);
  EXPECT_EQ(tenant_after.Json(), tenant_before.Json());
  HttpResult b_users = c.Get("/api/users?limit=500", b_admin);
  json b_items = b_users.Json()["items"];
  for (const json& u : b_items) EXPECT_NE(u["email"], "planted@a.example");
  HttpResult b_event = c.Get("/api/security/events/" + target_event_, b_admin);
  ASSERT_EQ(b_event.status, 200) << b_event.body;
  EXPECT_EQ(b_event.Json()["status"], "open");
  EXPECT_EQ(b_event.Json()["severity"], "high");
  HttpResult b_incident = c.Get("/api/security/incidents/" + target_incident_, b_admin);
  ASSERT_EQ(b_incident.status, 200) << b_incident.body;
  EXPECT_EQ(b_incident.Json()["status"], "triage");
  EXPECT_EQ(b_incident.Json()["severity"], "SEV2");
  EXPECT_EQ(b_incident.Json()["timeline"].size(), 1u) << "no note or link from A";
  EXPECT_TRUE(b_incident.Json()["postmortem"].is_null());
  HttpResult b_review = c.Get("/api/security/access-reviews/" + target_review_, b_admin);
  ASSERT_EQ(b_review.status, 200) << b_review.body;
  EXPECT_EQ(b_review.Json()["status"], "open");
  EXPECT_EQ(b_review.Json()["progress"]["decided"], 0) << "A's callers decided nothing in B's review";
  HttpResult b_request = c.Get("/api/security/access-requests/" + target_request_, b_admin);
  ASSERT_EQ(b_request.status, 200) << b_request.body;
  EXPECT_EQ(b_request.Json()["status"], "pending") << "A's callers neither decided nor ended it";
  HttpResult b_tokens = c.Get("/api/auth/tokens?limit=500", b_admin);
  json b_token_items = b_tokens.Json()["items"];
  bool found = false;
  for (const json& t : b_token_items) {
    if (t["id"] == target_token_id_) {
      found = true;
      EXPECT_TRUE(t["revoked_at"].is_null()) << "B's token was revoked by A";
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(c.Get("/api/users/" + target_user_, target_token_).status, 200) << "B's token still works";
  EXPECT_EQ(c.Get("/api/auth/me", target_session_).status, 200) << "B's session was not ended by a reset";
  EXPECT_FALSE(server_->Login("target@b.example", kPassword).empty()) << "B's password was not reset";
  EXPECT_TRUE(server_->Login("target@b.example", "Attacker-Chosen-99-pass").empty());
}

}  // namespace
}  // namespace tf::testing
