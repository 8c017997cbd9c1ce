// The account-security contract that scripts rely on, against a real trustd process: TOTP
// enrolment with the secret the server issued checked by oathtool, the two-step sign-in, a
// replayed code refused, wrong codes counting toward lockout, recovery codes working once,
// revoked sessions refused at once, device cookies, and that no second-factor secret reaches
// the log.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

using nlohmann::json;

//! The current TOTP code of a base32 secret, from oathtool (an independent implementation).
std::string Oathtool(const std::string& secret, int steps_ahead = 0) {
  std::vector<std::string> argv = {"/usr/bin/oathtool", "--totp", "-b"};
  if (steps_ahead != 0) argv.push_back(absl::StrCat("--now=@", time(nullptr) + 30 * steps_ahead));
  argv.push_back(secret);
  CommandResult r = RunCommand(argv);
  EXPECT_EQ(r.exit_code, 0) << "oathtool (Debian package oathtool): " << r.err;
  std::string code = r.out;
  while (!code.empty() && (code.back() == '\n' || code.back() == '\r')) code.pop_back();
  return code;
}

std::string CookieFrom(const HttpResult& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (absl::EqualsIgnoreCase(k, "Set-Cookie") && absl::StartsWith(v, name + "=")) {
      return v.substr(name.size() + 1, v.find(';') - name.size() - 1);
    }
  }
  return "";
}

class AccountSecurityApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Four failures lock an account, so the lockout is reached quickly.
    server_ = new TrustdProcess(TrustdProcess::Options{
        {}, {{"TRUST_AUTH_LOGIN_DELAY_AFTER_FAILURES", "4"}, {"TRUST_AUTH_LOGIN_LOCK_AFTER_FAILURES", "4"}}});
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_EQ(server_->Bootstrap(kRootEmail, kPassword).exit_code, 0);
    root_ = server_->Login(kRootEmail, kPassword);
    ASSERT_FALSE(root_.empty());
    HttpResult t = server_->client().PostJson("/api/tenants", {{"slug", "acme"}, {"name", "Acme"}}, root_);
    ASSERT_EQ(t.status, 201) << t.body;
    tenant_ = t.Json()["id"];
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  //! A new accountant in acme, signed in; returns their session token.
  static std::string NewUser(const std::string& email) {
    HttpResult u = server_->client().PostJson(
        "/api/users", {{"email", email}, {"password", kPassword}, {"roles", {"ACCOUNTANT"}}, {"tenant_id", tenant_}},
        root_);
    EXPECT_EQ(u.status, 201) << u.body;
    return server_->Login(email, kPassword);
  }

  static HttpResult Login(const std::string& email, const std::string& password = kPassword) {
    return server_->client().PostJson("/api/auth/login", {{"email", email}, {"password", password}});
  }

  static HttpResult LoginMfa(const std::string& mfa_token, const std::string& code) {
    return server_->client().PostJson("/api/auth/login/mfa", {{"mfa_token", mfa_token}, {"code", code}});
  }

  //! Enrols and confirms TOTP for the session; returns {secret, recovery codes}.
  static std::pair<std::string, json> Enrol(const std::string& token) {
    auto c = server_->client();
    HttpResult e = c.PostJson("/api/auth/mfa/totp/enroll", json::object(), token);
    EXPECT_EQ(e.status, 200) << e.body;
    std::string secret = e.Json().value("secret", "");
    HttpResult ok = c.PostJson("/api/auth/mfa/totp/confirm", {{"code", Oathtool(secret)}}, token);
    EXPECT_EQ(ok.status, 200) << ok.body;
    secrets_seen_.push_back(secret);
    return {secret, ok.Json()["recovery_codes"]};
  }

  static TrustdProcess* server_;
  static std::string root_, tenant_;
  static std::vector<std::string> secrets_seen_;
};

TrustdProcess* AccountSecurityApiTest::server_ = nullptr;
std::string AccountSecurityApiTest::root_, AccountSecurityApiTest::tenant_;
std::vector<std::string> AccountSecurityApiTest::secrets_seen_;

TEST_F(AccountSecurityApiTest, EnrolWithOathtoolThenSignInInTwoStepsAndAReplayIsRefused) {
  std::string token = NewUser("mfa@acme.example");
  auto c = server_->client();
  HttpResult e = c.PostJson("/api/auth/mfa/totp/enroll", json::object(), token);
  ASSERT_EQ(e.status, 200) << e.body;
  json enrol = e.Json();
  std::string secret = enrol["secret"];
  EXPECT_TRUE(absl::StartsWith(enrol["otpauth_uri"].get<std::string>(), "otpauth://totp/Trust%20Fabric:mfa%40acme.example?secret=" + secret));
  EXPECT_TRUE(absl::StartsWith(enrol["qr_svg"].get<std::string>(), "<svg"));
  secrets_seen_.push_back(secret);

  HttpResult wrong = c.PostJson("/api/auth/mfa/totp/confirm", {{"code", Oathtool(secret, 3)}}, token);
  EXPECT_EQ(wrong.status, 422) << wrong.body;
  std::string code = Oathtool(secret);
  HttpResult confirm = c.PostJson("/api/auth/mfa/totp/confirm", {{"code", code}}, token);
  ASSERT_EQ(confirm.status, 200) << confirm.body;
  EXPECT_EQ(confirm.Json()["recovery_codes"].size(), 10u);
  HttpResult status = c.Get("/api/auth/mfa", token);
  EXPECT_EQ(status.Json()["enabled"], true) << status.body;
  EXPECT_EQ(status.Json()["recovery_codes_left"], 10);

  HttpResult first = Login("mfa@acme.example");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.Json()["mfa_required"], true);
  EXPECT_FALSE(first.Json().contains("token")) << "no session before the second factor";
  EXPECT_EQ(CookieFrom(first, "tf_session"), "");
  std::string mfa_token = first.Json()["mfa_token"];

  HttpResult replay = LoginMfa(mfa_token, code);
  EXPECT_EQ(replay.status, 401) << "the code that confirmed the enrolment was used: " << replay.body;
  EXPECT_EQ(replay.Header("Content-Type"), "application/problem+json");
  HttpResult in = LoginMfa(mfa_token, Oathtool(secret, 1));
  ASSERT_EQ(in.status, 200) << in.body;
  std::string session = in.Json()["token"];
  EXPECT_FALSE(CookieFrom(in, "tf_session").empty());
  EXPECT_EQ(c.Get("/api/auth/me", session).status, 200);
  HttpResult again = LoginMfa(mfa_token, Oathtool(secret, 1));
  EXPECT_EQ(again.status, 401) << "a finished sign-in cannot be reused";
}

TEST_F(AccountSecurityApiTest, WrongCodesCountTowardLockoutAndARecoveryCodeWorksOnce) {
  std::string token = NewUser("recovery@acme.example");
  auto [secret, codes] = Enrol(token);
  HttpResult pending = Login("recovery@acme.example");
  std::string mfa_token = pending.Json()["mfa_token"];
  std::string recovery = codes[0];
  HttpResult in = LoginMfa(mfa_token, recovery);
  ASSERT_EQ(in.status, 200) << in.body;
  HttpResult second = Login("recovery@acme.example");
  HttpResult reuse = LoginMfa(second.Json()["mfa_token"], recovery);
  EXPECT_EQ(reuse.status, 401) << "a recovery code works once";

  // With the reused code, three wrong codes and a wrong password reach the lock threshold of four.
  std::string t2 = second.Json()["mfa_token"];
  EXPECT_EQ(LoginMfa(t2, "000000").status, 401);
  EXPECT_EQ(LoginMfa(t2, "999999").status, 401);
  EXPECT_EQ(Login("recovery@acme.example", "not-the-password-1").status, 401);
  EXPECT_EQ(LoginMfa(t2, Oathtool(secret, 1)).status, 401) << "a locked account cannot finish signing in";
  EXPECT_EQ(Login("recovery@acme.example").status, 401) << "nor start";
  HttpResult me = server_->client().Get("/api/users?email=recovery@acme.example", root_);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["items"][0]["locked"], true) << me.body;
  EXPECT_EQ(server_->client().Get("/api/auth/me", token).status, 401) << "a locked account's sessions stop too";
}

TEST_F(AccountSecurityApiTest, ARevokedSessionIsRefusedAtOnce) {
  std::string keep = NewUser("sessions@acme.example");
  std::string other = server_->Login("sessions@acme.example", kPassword);
  auto c = server_->client();
  HttpResult list = c.Get("/api/auth/sessions", keep);
  ASSERT_EQ(list.status, 200) << list.body;
  json items = list.Json()["items"];
  ASSERT_EQ(items.size(), 2u);
  std::string other_id;
  for (const json& s : items) {
    if (!s["current"].get<bool>()) other_id = s["id"];
  }
  ASSERT_FALSE(other_id.empty());
  EXPECT_EQ(c.Get("/api/auth/me", other).status, 200);
  EXPECT_EQ(c.Delete("/api/auth/sessions/" + other_id, keep).status, 204);
  EXPECT_EQ(c.Get("/api/auth/me", other).status, 401) << "refused on the very next request";
  EXPECT_EQ(c.Get("/api/auth/me", keep).status, 200);
}

TEST_F(AccountSecurityApiTest, ABrowserKeepsItsDeviceCookie) {
  NewUser("device@acme.example");
  HttpResult first = Login("device@acme.example");
  std::string cookie = CookieFrom(first, "tf_device");
  ASSERT_TRUE(absl::StartsWith(cookie, "tfd_")) << first.body;
  bool http_only = false;
  for (const auto& [k, v] : first.headers) {
    if (absl::StartsWith(v, "tf_device=")) http_only = absl::StrContains(v, "HttpOnly");
  }
  EXPECT_TRUE(http_only);
  HttpResult again = server_->client().Send("POST", "/api/auth/login",
                                            json{{"email", "device@acme.example"}, {"password", kPassword}}.dump(),
                                            {{"Content-Type", "application/json"}, {"Cookie", "tf_device=" + cookie}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["device_id"], first.Json()["device_id"]);
  EXPECT_EQ(CookieFrom(again, "tf_device"), "") << "a known cookie is not replaced";
}

TEST_F(AccountSecurityApiTest, SecondFactorSecretsNeverReachTheLog) {
  std::string token = NewUser("log@acme.example");
  auto [secret, codes] = Enrol(token);
  std::string log = server_->Log();
  for (const std::string& s : secrets_seen_) EXPECT_FALSE(absl::StrContains(log, s)) << "a TOTP secret is in the log";
  for (const json& code : codes) EXPECT_FALSE(absl::StrContains(log, code.get<std::string>()));
}

}  // namespace
}  // namespace tf::testing
