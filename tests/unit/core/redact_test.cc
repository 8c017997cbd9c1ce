#include "core/redact.h"

#include <gtest/gtest.h>

#include <string>

#include "support/sample_secrets.h"

namespace tf {
namespace {

// Realistic shapes of every secret the redactor must catch.
const std::string kSessionToken = testing::kSampleSessionToken;
const std::string kApiToken = testing::kSampleApiToken;
const std::string kBasicCredential = "dXNlcjpwYXNz";  // base64("user:pass")
const std::string kPem =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n"
    "-----END PRIVATE KEY-----";
const std::string kRsaPem =
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "-----END RSA PRIVATE KEY-----";
const std::string kArgon2 =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$RdescudvJCsgt3ub+b+dWRWJTmaaJObGabc";
const std::string kAwsKeyId = "AKIAIOSFODNN7EXAMPLE";
const std::string kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

// ---------------------------------------------------------------------------------------------
// IsSecretKey

TEST(IsSecretKeyTest, MatchesSecretKeyNamesInAnyCaseAndSpelling) {
  for (const char* key : {"password",
                          "PASSWORD",
                          "user_password",
                          "newPassword",
                          "passwd",
                          "passphrase",
                          "client_secret",
                          "secret",
                          "access_token",
                          "refreshToken",
                          "id_token",
                          "Authorization",
                          "authorization",
                          "Proxy-Authorization",
                          "Cookie",
                          "Set-Cookie",
                          "api_key",
                          "apiKey",
                          "X-Api-Key",
                          "APIKEY",
                          "apikey",
                          "private_key",
                          "privateKey",
                          "credentials",
                          "aws_credential",
                          "session_id",
                          "sessionId",
                          "SESSION_ID",
                          "csrf",
                          "X-CSRF-Token",
                          "csrf_token",
                          "otp",
                          "OTP",
                          "mfa_otp",
                          "mfaOtp",
                          "totp",
                          "mfa_code",
                          "mfaCode",
                          "dsn",
                          "DATABASE_DSN",
                          "database.dsn",
                          "recovery_codes",
                          "signing_key",
                          "pin"}) {
    EXPECT_TRUE(IsSecretKey(key)) << key;
  }
}

TEST(IsSecretKeyTest, AcceptedFalsePositiveErrsOnTheSafeSide) { EXPECT_TRUE(IsSecretKey("token_count")); }

TEST(IsSecretKeyTest, LeavesOrdinaryKeysAlone) {
  for (const char* key :
       {"username",    "email",      "tenant_id", "request_id", "trace_id", "description",
        "status",      "created_at", "id",        "key",        "auth",     "name",
        "fields_name", "footprint",  "option",    "spinner",    "patch",    "idempotency_key",
        "level",       "msg",        ""}) {
    EXPECT_FALSE(IsSecretKey(key)) << key;
  }
}

// ---------------------------------------------------------------------------------------------
// LooksLikeSecret

TEST(LooksLikeSecretTest, RecognisesEverySecretPattern) {
  for (const std::string& value :
       {kSessionToken, kApiToken, "Bearer " + kApiToken, std::string("Bearer abc"), std::string("bearer x"),
        "Basic " + kBasicCredential, std::string("Basic Zm9v"), kPem, kRsaPem, kArgon2,
        std::string("postgresql://app:s3cret@db/trust"), std::string("https://user:pw@example.com/"),
        kAwsKeyId, kJwt, std::string("password=hunter2"),
        std::string("ghp_abcdefghijklmnopqrstuvwxyz0123456789")}) {
    EXPECT_TRUE(LooksLikeSecret(value)) << value;
  }
}

TEST(LooksLikeSecretTest, OrdinaryValuesAreNotSecrets) {
  for (const char* value :
       {"", "hello world", "tft_", "tft_short", "https://example.com/path?page=2",
        "postgresql://app@db/trust", "postgresql://db:5432/trust", "AKIA1234", "eyJhbGciOiJIUzI1NiJ9",
        "basic validation failed", "the bearer of bad news", "0190a8a2-7c1e-7b4c-9d2f-1c2b3a4d5e6f",
        "user@example.com", "sha256:abcdef", "[REDACTED]", "postgresql://app:[REDACTED]@db/trust"}) {
    EXPECT_FALSE(LooksLikeSecret(value)) << value;
  }
}

// ---------------------------------------------------------------------------------------------
// RedactString

TEST(RedactStringTest, KeepsTheUrlAndHidesOnlyItsPassword) {
  EXPECT_EQ(RedactString("postgresql://app:s3cret@db/trust"), "postgresql://app:[REDACTED]@db/trust");
  EXPECT_EQ(RedactString("connect to postgres://app:p%40ss@db:5432/trust?sslmode=require failed"),
            "connect to postgres://app:[REDACTED]@db:5432/trust?sslmode=require failed");
  EXPECT_EQ(RedactString("https://example.com:8443/a?b=c"), "https://example.com:8443/a?b=c");
  EXPECT_EQ(RedactString("https://alice@example.com/"), "https://alice@example.com/");
}

TEST(RedactStringTest, HidesBearerAndBasicCredentialsButKeepsTheScheme) {
  EXPECT_EQ(RedactString("Authorization: Bearer " + kApiToken), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(RedactString("Bearer abc"), "Bearer [REDACTED]");  // a whole header value
  EXPECT_EQ(RedactString("header was Bearer abcdefgh12345678 ok"), "header was Bearer [REDACTED] ok");
  EXPECT_EQ(RedactString("Authorization: Basic " + kBasicCredential), "Authorization: Basic [REDACTED]");
  EXPECT_EQ(RedactString("the bearer of bad news"), "the bearer of bad news");
  EXPECT_EQ(RedactString("basic validation failed"), "basic validation failed");
}

TEST(RedactStringTest, HidesOurTokensInsideFreeText) {
  EXPECT_EQ(RedactString("login ok, session " + kSessionToken + " issued to bob"),
            "login ok, session [REDACTED] issued to bob");
  EXPECT_EQ(RedactString("(" + kApiToken + ")"), "([REDACTED])");
  // Not preceded by a word character; too short after the prefix.
  EXPECT_EQ(RedactString("softft_abcdefghijkl"), "softft_abcdefghijkl");
  EXPECT_EQ(RedactString("prefix tft_abc"), "prefix tft_abc");
}

TEST(RedactStringTest, HidesPrivateKeysHashesAwsKeysAndJwts) {
  EXPECT_EQ(RedactString("key:\n" + kPem + "\nend"), "key:\n[REDACTED]\nend");
  EXPECT_EQ(RedactString(kRsaPem), "[REDACTED]");
  // A truncated key is still secret: everything from BEGIN on goes.
  EXPECT_EQ(RedactString("x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB"), "x [REDACTED]");
  // A certificate is public.
  std::string cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  EXPECT_EQ(RedactString(cert), cert);
  EXPECT_EQ(RedactString("hash=" + kArgon2), "hash=[REDACTED]");
  EXPECT_EQ(RedactString("stored " + kArgon2 + " for bob"), "stored [REDACTED] for bob");
  EXPECT_EQ(RedactString("aws " + kAwsKeyId + " used"), "aws [REDACTED] used");
  EXPECT_EQ(RedactString("jwt=" + kJwt + "; next"), "jwt=[REDACTED]; next");
  EXPECT_EQ(RedactString("got " + kJwt), "got [REDACTED]");
}

TEST(RedactStringTest, HidesValuesOfSecretKeysInQueryStringsDsnsAndEchoedJson) {
  EXPECT_EQ(RedactString("GET /x?api_key=abc123&page=2"), "GET /x?api_key=[REDACTED]&page=2");
  EXPECT_EQ(RedactString("host=db password=hunter2 dbname=trust"),
            "host=db password=[REDACTED] dbname=trust");
  EXPECT_EQ(RedactString(R"(body {"password":"hunter2","user":"bob"})"),
            R"(body {"password":"[REDACTED]","user":"bob"})");
  EXPECT_EQ(RedactString(R"({"otp" : "123456"})"), R"({"otp" : "[REDACTED]"})");
  // Prose with a colon is not a pair.
  EXPECT_EQ(RedactString("invalid token: expired"), "invalid token: expired");
  EXPECT_EQ(RedactString("a == b"), "a == b");
}

TEST(RedactStringTest, RedactsSeveralSecretsAndKeepsEverythingElse) {
  std::string text =
      "user=bob url=postgresql://app:pw@db/t token " + kApiToken + " aws=" + kAwsKeyId + " caf\xC3\xA9 done";
  EXPECT_EQ(RedactString(text),
            "user=bob url=postgresql://app:[REDACTED]@db/t token [REDACTED] aws=[REDACTED] "
            "caf\xC3\xA9 done");
}

TEST(RedactStringTest, IsIdempotentAndLeavesPlainTextUntouched) {
  std::string once = RedactString("Bearer " + kApiToken + " postgresql://a:b@h/d password=x");
  EXPECT_EQ(RedactString(once), once);
  EXPECT_EQ(RedactString("nothing to see here: 42 items, 3 pages"), "nothing to see here: 42 items, 3 pages");
  EXPECT_EQ(RedactString(""), "");
}

// ---------------------------------------------------------------------------------------------
// RedactJson

TEST(RedactJsonTest, RedactsValuesUnderSecretKeysAtAnyDepth) {
  nlohmann::json in = {
      {"user", "bob"},
      {"password", "hunter2"},
      {"otp", 123456},
      {"mfa_enabled", true},
      {"headers", {{"Authorization", "Bearer " + kApiToken}, {"Accept", "application/json"}}},
      {"credentials", {{"username", "bob"}, {"secret", "x"}}},
      {"items",
       nlohmann::json::array({{{"name", "a"}, {"api_key", "k1"}}, {{"name", "b"}, {"apiKey", nullptr}}})},
  };
  nlohmann::json out = RedactJson(in);
  EXPECT_EQ(out["user"], "bob");
  EXPECT_EQ(out["password"], "[REDACTED]");
  EXPECT_EQ(out["otp"], "[REDACTED]");  // numbers too: OTP codes are numbers
  EXPECT_EQ(out["mfa_enabled"], true);
  EXPECT_EQ(out["headers"]["Authorization"], "[REDACTED]");
  EXPECT_EQ(out["headers"]["Accept"], "application/json");
  EXPECT_EQ(out["credentials"], "[REDACTED]");  // a whole subtree under a secret key
  EXPECT_EQ(out["items"][0]["name"], "a");
  EXPECT_EQ(out["items"][0]["api_key"], "[REDACTED]");
  EXPECT_TRUE(out["items"][1]["apiKey"].is_null());  // null carries nothing
  // The input is not modified.
  EXPECT_EQ(in["password"], "hunter2");
}

TEST(RedactJsonTest, RedactsSecretLookingStringsUnderOrdinaryKeys) {
  nlohmann::json in = {
      {"note", "retry with " + kSessionToken},
      {"target", "postgresql://app:s3cret@db/trust"},
      {"list", {"plain", kJwt, kAwsKeyId}},
      {kApiToken, "keyed by a token"},
      {"count", 3},
  };
  nlohmann::json out = RedactJson(in);
  EXPECT_EQ(out["note"], "retry with [REDACTED]");
  EXPECT_EQ(out["target"], "postgresql://app:[REDACTED]@db/trust");
  EXPECT_EQ(out["list"], nlohmann::json({"plain", "[REDACTED]", "[REDACTED]"}));
  EXPECT_EQ(out["[REDACTED]"], "keyed by a token");
  EXPECT_EQ(out["count"], 3);
  EXPECT_EQ(out.dump().find(kApiToken), std::string::npos);
}

TEST(RedactJsonTest, ScalarsAndDeepNesting) {
  EXPECT_EQ(RedactJson(nlohmann::json(kApiToken)), "[REDACTED]");
  EXPECT_EQ(RedactJson(nlohmann::json(7)), 7);
  EXPECT_TRUE(RedactJson(nlohmann::json()).is_null());

  nlohmann::json deep = "tail";
  for (int i = 0; i < 200; ++i) deep = nlohmann::json::array({deep});
  nlohmann::json out = RedactJson(deep);
  std::string dumped = out.dump();
  EXPECT_NE(dumped.find("[REDACTED]"), std::string::npos);
  EXPECT_EQ(dumped.find("tail"), std::string::npos);
}

TEST(RedactMembersTest, RedactsTheNamedTopLevelMembersOnly) {
  nlohmann::json body = {{"code", "123456"}, {"note", "kept"}, {"nested", {{"code", "654321"}}}};
  nlohmann::json out = RedactMembers(body, {"code", "absent"});
  EXPECT_EQ(out["code"], kRedacted);
  EXPECT_EQ(out["note"], "kept");
  EXPECT_EQ(out["nested"]["code"], "654321") << "top level only: a route names its own fields";
  EXPECT_FALSE(out.contains("absent"));
  EXPECT_EQ(RedactMembers(nlohmann::json::array({"code"}), {"code"}), nlohmann::json::array({"code"}));
  EXPECT_EQ(RedactMembers("code", {"code"}), "code");
}

}  // namespace
}  // namespace tf
