// The operator contract of the identity domain against a real trustd process: bootstrap with
// trustctl, sign-in, tenants, users, sessions and cookies (CSRF), API tokens, password resets,
// sign-in throttling, and that secrets never reach the log or any response but the one that
// issues them.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

using nlohmann::json;

const std::regex& UuidPattern() {
  static const std::regex kUuid("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return kUuid;
}
bool IsUuidV7(const json& v) { return v.is_string() && std::regex_match(v.get<std::string>(), UuidPattern()); }

//! Every Set-Cookie header whose cookie is `name`.
std::string SetCookie(const HttpResult& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (absl::EqualsIgnoreCase(k, "Set-Cookie") && absl::StartsWith(v, name + "=")) return v;
  }
  return "";
}

std::map<std::string, std::string> CookieHeaders(const std::string& session, const std::string& csrf = "") {
  std::map<std::string, std::string> h = {{"Cookie", "tf_session=" + session + "; theme=dark"},
                                          {"Content-Type", "application/json"}};
  if (!csrf.empty()) h["X-CSRF-Token"] = csrf;
  return h;
}

//! The body with the value of "request_id" blanked: what must match byte for byte.
std::string WithoutRequestId(const HttpResult& r) {
  std::string body = r.body;
  std::string id = r.Json().value("request_id", "");
  if (!id.empty()) body.replace(body.find(id), id.size(), "");
  return body;
}

//! The "items" of a list answer, by value (a range-for over `r.Json()["items"]` would dangle).
json Items(const HttpResult& r) {
  json j = r.Json();
  return j.is_object() && j.contains("items") ? j["items"] : json::array();
}

void ExpectProblem(const HttpResult& r, int status) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << r.body;
  json j = r.Json();
  ASSERT_TRUE(j.is_object()) << r.body;
  EXPECT_EQ(j.value("status", 0), status);
  for (const char* field : {"type", "title", "detail", "instance", "request_id"}) {
    EXPECT_TRUE(j.contains(field) && j[field].is_string()) << field << " in " << r.body;
  }
}

class IdentityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new TrustdProcess();
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    CommandResult boot = server_->Bootstrap(kRootEmail, kPassword);
    ASSERT_EQ(boot.exit_code, 0) << boot.out << boot.err;
    ASSERT_TRUE(absl::StrContains(boot.out, "Created SUPER_ADMIN")) << boot.out;
    Remember(kPassword);
    root_ = server_->Login(kRootEmail, kPassword);
    ASSERT_FALSE(root_.empty());
    Remember(root_);

    auto c = server_->client();
    HttpResult a = c.PostJson("/api/tenants", {{"slug", "acme"}, {"name", "Acme Bookkeeping"}}, root_);
    HttpResult b = c.PostJson("/api/tenants", {{"slug", "globex"}, {"name", "Globex Tax"}}, root_);
    ASSERT_EQ(a.status, 201) << a.body;
    ASSERT_EQ(b.status, 201) << b.body;
    tenant_a_ = a.Json()["id"];
    tenant_b_ = b.Json()["id"];

    HttpResult admin = c.PostJson("/api/users",
                                  {{"email", "admin@acme.example"}, {"password", kPassword},
                                   {"roles", {"ADMIN"}}, {"tenant_id", tenant_a_}},
                                  root_);
    ASSERT_EQ(admin.status, 201) << admin.body;
    admin_a_id_ = admin.Json()["id"];
    admin_a_ = server_->Login("admin@acme.example", kPassword);
    ASSERT_FALSE(admin_a_.empty());
    Remember(admin_a_);
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  //! A secret this suite handled; none may appear in the log or in other responses.
  static void Remember(const std::string& secret) {
    std::lock_guard lock(mu_);
    secrets_.push_back(secret);
  }

  static std::string NewEmail(const std::string& label) {
    static std::atomic<int> n{0};
    return absl::StrCat(label, "-", n.fetch_add(1), "@acme.example");
  }

  //! Creates a user through `token` (tenant_id only when non-empty); returns the response.
  static HttpResult CreateUser(const std::string& token, const std::string& email,
                               const std::vector<std::string>& roles, const std::string& tenant_id = "") {
    json body = {{"email", email}, {"password", kPassword}, {"roles", roles}};
    if (!tenant_id.empty()) body["tenant_id"] = tenant_id;
    return server_->client().PostJson("/api/users", body, token);
  }

  static HttpResult Login(const std::string& email, const std::string& password) {
    return server_->client().PostJson("/api/auth/login", {{"email", email}, {"password", password}});
  }

  static TrustdProcess* server_;
  static std::string root_, admin_a_, admin_a_id_, tenant_a_, tenant_b_;
  static std::mutex mu_;
  static std::vector<std::string> secrets_;
};

TrustdProcess* IdentityTest::server_ = nullptr;
std::string IdentityTest::root_, IdentityTest::admin_a_, IdentityTest::admin_a_id_, IdentityTest::tenant_a_,
    IdentityTest::tenant_b_;
std::mutex IdentityTest::mu_;
std::vector<std::string> IdentityTest::secrets_;

TEST_F(IdentityTest, LoginReturnsTokenUserAndHardenedSessionCookie) {
  HttpResult r = Login("  ROOT@Example.com ", kPassword);  // addresses are normalised
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  json j = r.Json();
  std::string token = j.value("token", "");
  Remember(token);
  Remember(j.value("csrf_token", ""));
  EXPECT_TRUE(absl::StartsWith(token, "tfs_")) << token;
  EXPECT_GE(token.size(), 40u);
  ASSERT_TRUE(j["user"].is_object()) << r.body;
  EXPECT_TRUE(IsUuidV7(j["user"]["id"])) << r.body;
  EXPECT_EQ(j["user"]["email"], kRootEmail);
  EXPECT_EQ(j["user"]["roles"], json({"SUPER_ADMIN"}));
  EXPECT_TRUE(IsUuidV7(j["user"]["tenant_id"])) << r.body;
  EXPECT_FALSE(j["user"].contains("password_hash"));

  std::string cookie = SetCookie(r, "tf_session");
  ASSERT_FALSE(cookie.empty()) << "no tf_session cookie";
  EXPECT_TRUE(absl::StartsWith(cookie, "tf_session=" + token + ";")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "; HttpOnly")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "; SameSite=Strict")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "; Path=/")) << cookie;

  HttpResult me = server_->client().Get("/api/auth/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["email"], kRootEmail);
  EXPECT_EQ(me.Json()["authenticated_by"], "session");
  EXPECT_EQ(me.Json()["id"], j["user"]["id"]);
}

TEST_F(IdentityTest, SuperAdminManagesTenantsAndUsersInAnyTenant) {
  auto c = server_->client();
  HttpResult t = c.PostJson("/api/tenants", {{"slug", "initech"}, {"name", "Initech"}, {"data_region", "uk"}}, root_);
  ASSERT_EQ(t.status, 201) << t.body;
  std::string tenant_id = t.Json()["id"];
  EXPECT_TRUE(IsUuidV7(t.Json()["id"]));
  EXPECT_EQ(t.Header("Location"), "/api/tenants/" + tenant_id);
  EXPECT_EQ(t.Json()["data_region"], "uk");
  ExpectProblem(c.PostJson("/api/tenants", {{"slug", "initech"}, {"name", "Again"}}, root_), 409);

  HttpResult got_tenant = c.Get("/api/tenants/" + tenant_id, root_);
  ASSERT_EQ(got_tenant.status, 200) << got_tenant.body;
  EXPECT_EQ(got_tenant.Json()["slug"], "initech");

  HttpResult u = CreateUser(root_, NewEmail("accountant"), {"ACCOUNTANT"}, tenant_id);
  ASSERT_EQ(u.status, 201) << u.body;
  json user = u.Json();
  EXPECT_TRUE(IsUuidV7(user["id"]));
  EXPECT_EQ(user["tenant_id"], tenant_id) << "SUPER_ADMIN's tenant_id is honoured";
  EXPECT_EQ(user["roles"], json({"ACCOUNTANT"}));
  EXPECT_EQ(u.Header("Location"), "/api/users/" + user["id"].get<std::string>());
  EXPECT_FALSE(u.body.find(kPassword) != std::string::npos) << "the password is never echoed";

  // No such tenant, and SUPER_ADMIN outside the system tenant, are refused.
  ExpectProblem(CreateUser(root_, NewEmail("ghost"), {"VIEWER"}, "0190a5e0-0000-7000-8000-000000000000"), 422);
  ExpectProblem(CreateUser(root_, NewEmail("climber"), {"SUPER_ADMIN"}, tenant_id), 422);
}

TEST_F(IdentityTest, AdminsUsersLandInTheAdminsTenantWhateverTenantIdSays) {
  HttpResult u = CreateUser(admin_a_, NewEmail("planted"), {"VIEWER"}, tenant_b_);
  ASSERT_EQ(u.status, 201) << u.body;
  EXPECT_EQ(u.Json()["tenant_id"], tenant_a_);
  std::string id = u.Json()["id"];
  // Tenant B does not have it.
  HttpResult in_b = server_->client().Get("/api/users?limit=500&tenant_id=" + tenant_b_, root_);
  ASSERT_EQ(in_b.status, 200) << in_b.body;
  for (const json& item : Items(in_b)) EXPECT_NE(item["id"], id);
  // An ADMIN cannot grant roles above their own.
  ExpectProblem(CreateUser(admin_a_, NewEmail("upgrade"), {"SUPER_ADMIN"}), 422);
}

TEST_F(IdentityTest, GetAndPatchUser) {
  auto c = server_->client();
  HttpResult u = CreateUser(admin_a_, NewEmail("clerk"), {"VIEWER"});
  ASSERT_EQ(u.status, 201) << u.body;
  std::string id = u.Json()["id"];

  HttpResult got = c.Get("/api/users/" + id, admin_a_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.Json()["id"], id);
  EXPECT_EQ(got.Json()["status"], "active");
  EXPECT_EQ(got.Json()["must_change_password"], false);
  EXPECT_FALSE(got.Json().contains("password_hash"));

  HttpResult patched = c.PatchJson("/api/users/" + id, {{"display_name", "Clerk Kent"}, {"roles", {"AUDITOR"}}}, admin_a_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json()["display_name"], "Clerk Kent");
  EXPECT_EQ(patched.Json()["roles"], json({"AUDITOR"}));
  HttpResult again = c.Get("/api/users/" + id, admin_a_);
  EXPECT_EQ(again.Json()["display_name"], "Clerk Kent");
  EXPECT_EQ(again.Json()["roles"], json({"AUDITOR"}));

  ExpectProblem(c.PatchJson("/api/users/" + id, {{"status", "deleted"}}, admin_a_), 422);
  ExpectProblem(c.PatchJson("/api/users/" + id, {{"roles", {"SUPER_ADMIN"}}}, admin_a_), 422);
  ExpectProblem(c.PatchJson("/api/users/" + admin_a_id_, {{"status", "disabled"}}, admin_a_), 409);
  ExpectProblem(c.Get("/api/users/0190a5e0-0000-7000-8000-000000000000", admin_a_), 404);
}

TEST_F(IdentityTest, ListUsersPaginatesWithCursorsAndFilters) {
  auto c = server_->client();
  // A tenant of its own so the expected content is exactly known.
  HttpResult t = c.PostJson("/api/tenants", {{"slug", "paging"}, {"name", "Paging Ltd"}}, root_);
  ASSERT_EQ(t.status, 201) << t.body;
  std::string tenant = t.Json()["id"];
  const std::vector<std::vector<std::string>> roles = {{"ADMIN"}, {"AUDITOR"}, {"VIEWER"}, {"VIEWER"}, {"ACCOUNTANT"}};
  std::vector<std::string> emails(roles.size());
  std::vector<HttpResult> created(roles.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < roles.size(); ++i) {
    emails[i] = NewEmail("page");
    threads.emplace_back([&, i] { created[i] = CreateUser(root_, emails[i], roles[i], tenant); });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> ids;
  for (const auto& r : created) {
    ASSERT_EQ(r.status, 201) << r.body;
    ids.insert(r.Json()["id"].get<std::string>());
  }

  // Walk two at a time.
  std::vector<std::string> walked;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string target = "/api/users?limit=2&tenant_id=" + tenant + (cursor.empty() ? "" : "&cursor=" + cursor);
    HttpResult r = c.Get(target, root_);
    ASSERT_EQ(r.status, 200) << r.body;
    json j = r.Json();
    ASSERT_TRUE(j["items"].is_array());
    EXPECT_LE(j["items"].size(), 2u);
    for (const json& item : j["items"]) walked.push_back(item["id"]);
    ASSERT_TRUE(j.contains("next_cursor"));
    if (j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"];
  }
  EXPECT_EQ(walked.size(), 5u);
  EXPECT_EQ(std::set<std::string>(walked.begin(), walked.end()), ids);
  EXPECT_TRUE(std::is_sorted(walked.begin(), walked.end())) << "pages follow id order";

  HttpResult all = c.Get("/api/users?limit=500&tenant_id=" + tenant, root_);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.Json()["items"].size(), 5u);
  EXPECT_TRUE(all.Json()["next_cursor"].is_null());

  HttpResult viewers = c.Get("/api/users?role=VIEWER&tenant_id=" + tenant, root_);
  ASSERT_EQ(viewers.status, 200) << viewers.body;
  ASSERT_EQ(viewers.Json()["items"].size(), 2u);
  for (const json& item : Items(viewers)) EXPECT_EQ(item["roles"], json({"VIEWER"}));

  std::string upper = emails[1];
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  HttpResult by_email = c.Get("/api/users?email=" + upper, root_);
  ASSERT_EQ(by_email.status, 200) << by_email.body;
  ASSERT_EQ(by_email.Json()["items"].size(), 1u);
  EXPECT_EQ(by_email.Json()["items"][0]["email"], emails[1]);

  std::string victim = created[3].Json()["id"];
  ASSERT_EQ(c.PatchJson("/api/users/" + victim, {{"status", "disabled"}}, root_).status, 200);
  HttpResult disabled = c.Get("/api/users?status=disabled&tenant_id=" + tenant, root_);
  ASSERT_EQ(disabled.status, 200);
  ASSERT_EQ(disabled.Json()["items"].size(), 1u);
  EXPECT_EQ(disabled.Json()["items"][0]["id"], victim);

  ExpectProblem(c.Get("/api/users?role=OVERLORD", root_), 422);

  // An ADMIN's tenant_id filter cannot widen the scope beyond their tenant.
  HttpResult scoped = c.Get("/api/users?limit=500&tenant_id=" + tenant, admin_a_);
  ASSERT_EQ(scoped.status, 200) << scoped.body;
  for (const json& item : Items(scoped)) EXPECT_EQ(item["tenant_id"], tenant_a_);
}

TEST_F(IdentityTest, BootstrapOneTimePasswordMustBeChangedBeforeAnythingElse) {
  TrustdProcess fresh;
  std::string error;
  ASSERT_TRUE(fresh.Start(&error)) << error;
  CommandResult boot =
      RunCommand({TF_TRUSTCTL_PATH, "--data-dir", fresh.data_dir() + "/data", "bootstrap", "--email", "ops@example.com"},
                 "", fresh.DatabaseEnv());
  ASSERT_EQ(boot.exit_code, 0) << boot.out << boot.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(boot.out, m, std::regex("One-time password: (\\S+)"))) << boot.out;
  std::string otp = m[1];
  EXPECT_GE(otp.size(), 16u);
  EXPECT_FALSE(absl::StrContains(boot.err, otp)) << "the one-time password goes to stdout only";

  auto c = fresh.client();
  HttpResult login = c.PostJson("/api/auth/login", {{"email", "ops@example.com"}, {"password", otp}});
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.Json()["user"]["must_change_password"], true);
  std::string token = login.Json()["token"];

  for (const char* path : {"/api/users", "/api/tenants", "/api/auth/tokens", "/health/detailed"}) {
    HttpResult r = c.Get(path, token);
    ExpectProblem(r, 403);
    EXPECT_TRUE(absl::StrContains(r.Json().value("detail", ""), "/api/auth/password")) << path << " " << r.body;
  }
  ExpectProblem(c.PostJson("/api/tenants", {{"slug", "early"}, {"name", "Early"}}, token), 403);
  HttpResult me = c.Get("/api/auth/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["must_change_password"], true);

  const std::string next = "Ledger-Quartz-91-walnut";
  ExpectProblem(c.PostJson("/api/auth/password", {{"current_password", "not-the-one-time-pw"}, {"new_password", next}},
                           token),
                422);
  ExpectProblem(c.PostJson("/api/auth/password", {{"current_password", otp}, {"new_password", "short"}}, token), 422);
  HttpResult changed = c.PostJson("/api/auth/password", {{"current_password", otp}, {"new_password", next}}, token);
  ASSERT_EQ(changed.status, 204) << changed.body;

  EXPECT_EQ(c.Get("/api/users", token).status, 200) << "the same session continues after the change";
  EXPECT_EQ(c.PostJson("/api/auth/login", {{"email", "ops@example.com"}, {"password", otp}}).status, 401);
  HttpResult relogin = c.PostJson("/api/auth/login", {{"email", "ops@example.com"}, {"password", next}});
  ASSERT_EQ(relogin.status, 200) << relogin.body;
  EXPECT_EQ(relogin.Json()["user"]["must_change_password"], false);

  std::string log = fresh.Log();
  EXPECT_FALSE(absl::StrContains(log, otp)) << "one-time password in the log";
  EXPECT_FALSE(absl::StrContains(log, next)) << "new password in the log";
  EXPECT_FALSE(absl::StrContains(log, token)) << "session token in the log";
}

TEST_F(IdentityTest, CookieSessionsNeedTheCsrfHeaderForChanges) {
  HttpResult login = Login("admin@acme.example", kPassword);
  ASSERT_EQ(login.status, 200) << login.body;
  std::string session = login.Json()["token"], csrf = login.Json()["csrf_token"];
  Remember(session);
  Remember(csrf);
  std::string csrf_cookie = SetCookie(login, "tf_csrf");
  EXPECT_TRUE(absl::StartsWith(csrf_cookie, "tf_csrf=" + csrf + ";")) << csrf_cookie;
  EXPECT_FALSE(absl::StrContains(csrf_cookie, "HttpOnly")) << "the console must be able to read it";

  auto c = server_->client();
  HttpResult me = c.Send("GET", "/api/auth/me", "", CookieHeaders(session));
  ASSERT_EQ(me.status, 200) << "reads need no CSRF header: " << me.body;
  EXPECT_EQ(me.Json()["email"], "admin@acme.example");

  const std::string body = json({{"name", "cookie"}, {"permissions", {"users.read"}}}).dump();
  ExpectProblem(c.Send("POST", "/api/auth/tokens", body, CookieHeaders(session)), 403);
  ExpectProblem(c.Send("POST", "/api/auth/tokens", body, CookieHeaders(session, "forged-" + csrf)), 403);
  ExpectProblem(c.Send("POST", "/api/auth/tokens", body, CookieHeaders(session, session)), 403);
  HttpResult ok = c.Send("POST", "/api/auth/tokens", body, CookieHeaders(session, csrf));
  ASSERT_EQ(ok.status, 201) << ok.body;
  Remember(ok.Json().value("token", ""));

  // Logout is a change too.
  ExpectProblem(c.Send("POST", "/api/auth/logout", "", CookieHeaders(session)), 403);
  EXPECT_EQ(c.Send("GET", "/api/auth/me", "", CookieHeaders(session)).status, 200);
  HttpResult out = c.Send("POST", "/api/auth/logout", "", CookieHeaders(session, csrf));
  ASSERT_EQ(out.status, 204) << out.body;
  EXPECT_TRUE(absl::StrContains(SetCookie(out, "tf_session"), "Max-Age=0")) << "the cookie is cleared";
  ExpectProblem(c.Send("GET", "/api/auth/me", "", CookieHeaders(session)), 401);

  // An API token is never accepted from a cookie.
  ExpectProblem(c.Send("GET", "/api/auth/me", "", CookieHeaders(ok.Json().value("token", ""))), 401);
}

TEST_F(IdentityTest, LogoutRevokesTheSession) {
  HttpResult login = Login("admin@acme.example", kPassword);
  ASSERT_EQ(login.status, 200) << login.body;
  std::string token = login.Json()["token"];
  Remember(token);
  auto c = server_->client();
  ASSERT_EQ(c.Get("/api/users", token).status, 200);
  HttpResult out = c.PostJson("/api/auth/logout", json::object(), token);
  ASSERT_EQ(out.status, 204) << out.body;
  ExpectProblem(c.Get("/api/users", token), 401);
  ExpectProblem(c.Get("/api/auth/me", token), 401);
  ExpectProblem(c.PostJson("/api/auth/logout", json::object(), token), 401);
  EXPECT_FALSE(c.Get("/api/auth/me", token).Header("WWW-Authenticate").empty());
  // Other sessions of the same user live on.
  EXPECT_EQ(c.Get("/api/auth/me", admin_a_).status, 200);
}

TEST_F(IdentityTest, ApiTokensAreShownOnceScopedAndRevocable) {
  auto c = server_->client();
  HttpResult created =
      c.PostJson("/api/auth/tokens", {{"name", "ci export"}, {"permissions", {"users.read"}}, {"expires_in_days", 30}},
                 admin_a_);
  ASSERT_EQ(created.status, 201) << created.body;
  json j = created.Json();
  std::string secret = j.value("token", "");
  std::string id = j.value("id", "");
  Remember(secret);
  EXPECT_TRUE(absl::StartsWith(secret, "tft_")) << secret;
  EXPECT_TRUE(IsUuidV7(j["id"]));
  EXPECT_EQ(j["permissions"], json({"users.read"}));
  EXPECT_EQ(j["tenant_id"], tenant_a_);
  EXPECT_EQ(j["created_by"], admin_a_id_);
  EXPECT_TRUE(j["revoked_at"].is_null());

  // Usable as a bearer, within its permissions.
  HttpResult users = c.Get("/api/users", secret);
  ASSERT_EQ(users.status, 200) << users.body;
  for (const json& item : Items(users)) EXPECT_EQ(item["tenant_id"], tenant_a_);
  HttpResult me = c.Get("/api/auth/me", secret);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["authenticated_by"], "api_token");
  EXPECT_EQ(me.Json()["permissions"], json({"users.read"}));
  ExpectProblem(c.PostJson("/api/users", {{"email", NewEmail("tok")}, {"password", kPassword}, {"roles", {"VIEWER"}}},
                           secret),
                403);
  ExpectProblem(c.Get("/api/auth/tokens", secret), 403);

  // Listing shows it but never the secret (nor anything derived from it).
  HttpResult list = c.Get("/api/auth/tokens?limit=500", admin_a_);
  ASSERT_EQ(list.status, 200) << list.body;
  bool found = false;
  for (const json& item : Items(list)) {
    EXPECT_FALSE(item.contains("token")) << item.dump();
    EXPECT_FALSE(item.contains("token_hash")) << item.dump();
    if (item["id"] == id) found = true;
  }
  EXPECT_TRUE(found) << id << " not in " << list.body;
  EXPECT_FALSE(absl::StrContains(list.body, secret));
  EXPECT_FALSE(absl::StrContains(list.body, secret.substr(4)));

  // Never more than the creator holds; unknown permissions are invalid.
  ExpectProblem(c.PostJson("/api/auth/tokens", {{"name", "escalate"}, {"permissions", {"tenants.read"}}}, admin_a_), 403);
  ExpectProblem(
      c.PostJson("/api/auth/tokens", {{"name", "escalate"}, {"permissions", {"users.read", "tenants.write"}}}, admin_a_),
      403);
  ExpectProblem(c.PostJson("/api/auth/tokens", {{"name", "bogus"}, {"permissions", {"everything"}}}, admin_a_), 422);
  ExpectProblem(c.PostJson("/api/auth/tokens", {{"name", "none"}, {"permissions", json::array()}}, admin_a_), 422);
  ExpectProblem(c.PostJson("/api/auth/tokens", {{"name", "forever"}, {"permissions", {"users.read"}},
                                                {"expires_in_days", 100000}},
                           admin_a_),
                422);
  // A token cannot mint a broader token either.
  ExpectProblem(c.PostJson("/api/auth/tokens", {{"name", "child"}, {"permissions", {"users.read"}}}, secret), 403);

  // Revocation takes effect at once and is idempotent.
  HttpResult revoked = c.Delete("/api/auth/tokens/" + id, admin_a_);
  ASSERT_EQ(revoked.status, 204) << revoked.body;
  ExpectProblem(c.Get("/api/users", secret), 401);
  ExpectProblem(c.Get("/api/auth/me", secret), 401);
  EXPECT_EQ(c.Delete("/api/auth/tokens/" + id, admin_a_).status, 204);
  HttpResult after = c.Get("/api/auth/tokens?limit=500", admin_a_);
  for (const json& item : Items(after)) {
    if (item["id"] == id) {
      EXPECT_FALSE(item["revoked_at"].is_null());
    }
  }
  // A token is not a session: it cannot log out.
  HttpResult other = c.PostJson("/api/auth/tokens", {{"name", "second"}, {"permissions", {"users.read"}}}, admin_a_);
  ASSERT_EQ(other.status, 201);
  Remember(other.Json()["token"]);
  ExpectProblem(c.PostJson("/api/auth/logout", json::object(), other.Json()["token"].get<std::string>()), 409);
}

TEST_F(IdentityTest, ResetPasswordIssuesOneTimePasswordAndEndsSessions) {
  auto c = server_->client();
  std::string email = NewEmail("reset");
  HttpResult u = CreateUser(admin_a_, email, {"AUDITOR"});
  ASSERT_EQ(u.status, 201) << u.body;
  std::string id = u.Json()["id"];
  std::string first = server_->Login(email, kPassword), second = server_->Login(email, kPassword);
  ASSERT_FALSE(first.empty());
  Remember(first);
  Remember(second);
  ASSERT_EQ(c.Get("/api/users", first).status, 200);

  HttpResult reset = c.PostJson("/api/users/" + id + "/reset-password", json::object(), admin_a_);
  ASSERT_EQ(reset.status, 200) << reset.body;
  std::string otp = reset.Json().value("one_time_password", "");
  Remember(otp);
  EXPECT_GE(otp.size(), 16u);
  EXPECT_EQ(reset.Json()["must_change_password"], true);

  ExpectProblem(c.Get("/api/users", first), 401);
  ExpectProblem(c.Get("/api/auth/me", second), 401);
  EXPECT_EQ(c.Get("/api/users/" + id, admin_a_).Json()["must_change_password"], true);
  EXPECT_EQ(Login(email, kPassword).status, 401) << "the old password is gone";

  HttpResult login = Login(email, otp);
  ASSERT_EQ(login.status, 200) << login.body;
  std::string token = login.Json()["token"];
  Remember(token);
  ExpectProblem(c.Get("/api/users", token), 403);
  const std::string next = "Audit-Trail-58-pelican";
  Remember(next);
  ASSERT_EQ(c.PostJson("/api/auth/password", {{"current_password", otp}, {"new_password", next}}, token).status, 204);
  EXPECT_EQ(c.Get("/api/users", token).status, 200);

  // An explicit password is checked against the policy; admins cannot reset stronger users.
  ExpectProblem(c.PostJson("/api/users/" + id + "/reset-password", {{"password", "password1234"}}, admin_a_), 422);
  ExpectProblem(c.PostJson("/api/users/" + id + "/reset-password", json::object(), token), 403);
}

TEST_F(IdentityTest, RepeatedBadPasswordsAreThrottledWithRetryAfter) {
  std::string email = NewEmail("throttle");
  ASSERT_EQ(CreateUser(admin_a_, email, {"VIEWER"}).status, 201);
  for (int i = 0; i < 3; ++i) ExpectProblem(Login(email, "Wrong-Password-" + std::to_string(i) + "-xyz"), 401);
  HttpResult throttled = Login(email, kPassword);  // even the right password waits
  ExpectProblem(throttled, 429);
  int retry_after = 0;
  ASSERT_TRUE(absl::SimpleAtoi(throttled.Header("Retry-After"), &retry_after)) << throttled.Header("Retry-After");
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 2);
  EXPECT_TRUE(absl::StrContains(throttled.Json().value("detail", ""), "try again")) << throttled.body;
  // Other accounts are not affected.
  EXPECT_EQ(Login("admin@acme.example", kPassword).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(retry_after * 1000 + 150));
  EXPECT_EQ(Login(email, kPassword).status, 200) << "after the delay the right password works";
}

TEST_F(IdentityTest, UnknownUserAndBadPasswordAnswerIdentically) {
  std::string known = NewEmail("known"), disabled = NewEmail("disabled");
  ASSERT_EQ(CreateUser(admin_a_, known, {"VIEWER"}).status, 201);
  HttpResult d = CreateUser(admin_a_, disabled, {"VIEWER"});
  ASSERT_EQ(d.status, 201);
  ASSERT_EQ(server_->client().PatchJson("/api/users/" + d.Json()["id"].get<std::string>(), {{"status", "disabled"}},
                                        admin_a_)
                .status,
            200);

  HttpResult unknown = Login("nobody-" + known, kPassword);
  HttpResult bad = Login(known, "Not-The-Password-42");
  HttpResult off = Login(disabled, kPassword);
  for (const HttpResult* r : {&unknown, &bad, &off}) {
    ExpectProblem(*r, 401);
    EXPECT_EQ(r->Header("WWW-Authenticate"), unknown.Header("WWW-Authenticate"));
    EXPECT_EQ(r->Header("Content-Length"), unknown.Header("Content-Length"));
    EXPECT_EQ(r->Json()["instance"], "/api/auth/login");
    EXPECT_EQ(WithoutRequestId(*r), WithoutRequestId(unknown)) << "bodies differ only in request_id";
  }
  EXPECT_NE(unknown.Json()["request_id"], bad.Json()["request_id"]);
}

// Last on purpose: checks the log after everything above ran (and stands alone when filtered).
TEST_F(IdentityTest, SecretsNeverReachTheLogOrOtherResponses) {
  auto c = server_->client();
  // Produce a few more secrets, including failures that might be logged carelessly.
  HttpResult created = c.PostJson("/api/auth/tokens", {{"name", "leak-check"}, {"permissions", {"users.read"}}}, root_);
  ASSERT_EQ(created.status, 201);
  Remember(created.Json()["token"]);
  const std::string wrong = "Wrong-Secret-Password-77";
  Remember(wrong);
  EXPECT_EQ(Login("nobody@acme.example", wrong).status, 401);
  const std::string forged = "tfs_ForgedSessionTokenValue0123456789abcdefgh";
  Remember(forged);
  EXPECT_EQ(c.Get("/api/users", forged).status, 401);
  const std::string weak = "qwertyuiop123";
  HttpResult refused =
      c.PostJson("/api/users", {{"email", NewEmail("weak")}, {"password", weak}, {"roles", {"VIEWER"}}}, admin_a_);
  ExpectProblem(refused, 422);
  EXPECT_FALSE(absl::StrContains(refused.body, weak)) << "a refused password is not echoed";

  std::vector<std::string> secrets;
  {
    std::lock_guard lock(mu_);
    secrets = secrets_;
  }
  ASSERT_GE(secrets.size(), 5u);

  // Responses that do not issue a secret never carry one.
  std::vector<std::pair<std::string, HttpResult>> reads = {
      {"users", c.Get("/api/users?limit=500", root_)},
      {"tokens(system)", c.Get("/api/auth/tokens?limit=500", root_)},
      {"tokens(acme)", c.Get("/api/auth/tokens?limit=500", admin_a_)},
      {"me", c.Get("/api/auth/me", admin_a_)},
      {"tenants", c.Get("/api/tenants?limit=500", root_)},
      {"metrics", c.Get("/metrics")},
      {"health", c.Get("/health/detailed", root_)},
  };
  for (const auto& [name, r] : reads) {
    ASSERT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_FALSE(absl::StrContains(r.body, "$argon2")) << name << " shows a password hash";
    for (const std::string& s : secrets) {
      if (s.empty()) continue;
      EXPECT_FALSE(absl::StrContains(r.body, s)) << name << " shows a secret";
      for (const auto& [k, v] : r.headers) EXPECT_FALSE(absl::StrContains(v, s)) << name << " header " << k;
    }
  }

  std::string log = server_->Log();
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(absl::StrContains(log, "signed in")) << "the log is being written";
  for (const std::string& s : secrets) {
    if (s.empty()) continue;
    EXPECT_FALSE(absl::StrContains(log, s)) << "a secret reached the trustd log (" << s.substr(0, 6) << "...)";
  }
  EXPECT_FALSE(absl::StrContains(log, weak));
  EXPECT_FALSE(absl::StrContains(log, "$argon2"));
}

}  // namespace
}  // namespace tf::testing
