// The web console as trustd serves it, against a real process and a console folder written by
// the test: files with their types and caching, index.html for client routes, the API's own
// prefixes untouched, and the security headers on every kind of response.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

namespace fs = std::filesystem;

void ExpectSecurityHeaders(const HttpResult& r, const std::string& what) {
  std::string csp = r.Header("Content-Security-Policy");
  EXPECT_TRUE(absl::StrContains(csp, "script-src 'self'")) << what << ": " << csp;
  EXPECT_TRUE(absl::StrContains(csp, "frame-ancestors 'none'")) << what;
  EXPECT_FALSE(absl::StrContains(csp, "unsafe-inline")) << what;
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << what;
  EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer") << what;
  EXPECT_EQ(r.Header("X-Frame-Options"), "DENY") << what;
}

class ConsoleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fs::path dist = fs::path(dir_->path()) / "dist";
    fs::create_directories(dist / "assets");
    std::ofstream(dist / "index.html") << "<!doctype html><title>Trust Fabric</title><div id=root></div>";
    std::ofstream(dist / "assets/index-0f1e2d.js") << "export{}";
    server_ = new TrustdProcess(TrustdProcess::Options{{}, {{"TRUST_SERVER_CONSOLE_DIR", dist.string()}}});
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  static TrustdProcess* server_;
  static TempDir* dir_;
};
TrustdProcess* ConsoleTest::server_ = nullptr;
TempDir* ConsoleTest::dir_ = nullptr;

TEST_F(ConsoleTest, ServesTheShellForClientRoutesAndHashedAssetsForAYear) {
  auto c = server_->client();
  for (const char* path : {"/", "/login", "/account", "/terms", "/account/devices?tab=1"}) {
    HttpResult r = c.Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(r.Header("Cache-Control"), "no-cache") << path;
    EXPECT_TRUE(absl::StrContains(r.body, "<div id=root>")) << path;
    ExpectSecurityHeaders(r, path);
  }
  HttpResult js = c.Get("/assets/index-0f1e2d.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.Header("Cache-Control"), "public, max-age=31536000, immutable");
  HttpResult revalidated = c.Send("GET", "/assets/index-0f1e2d.js", "", {{"If-None-Match", js.Header("ETag")}});
  EXPECT_EQ(revalidated.status, 304);
  HttpResult missing = c.Get("/assets/index-missing.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("Content-Type"), "application/problem+json");
}

TEST_F(ConsoleTest, TheApiKeepsItsOwnAnswersAndEveryResponseCarriesTheHeaders) {
  auto c = server_->client();
  HttpResult unknown_api = c.Get("/api/no-such-route");
  EXPECT_EQ(unknown_api.status, 404);
  EXPECT_EQ(unknown_api.Header("Content-Type"), "application/problem+json");
  ExpectSecurityHeaders(unknown_api, "API 404");
  EXPECT_EQ(c.Get("/health/nope").status, 404);
  HttpResult health = c.Get("/health");
  EXPECT_EQ(health.status, 200);
  ExpectSecurityHeaders(health, "/health");
  HttpResult unauthenticated = c.Get("/api/auth/me");
  EXPECT_EQ(unauthenticated.status, 401);
  ExpectSecurityHeaders(unauthenticated, "401");
  HttpResult post = c.PostJson("/account", nlohmann::json::object());
  EXPECT_EQ(post.status, 404) << "the console answers GET only";
  // Refused by the HTTP layer before the pipeline runs.
  HttpResult malformed = c.SendRaw("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(malformed.status, 400);
  ExpectSecurityHeaders(malformed, "protocol-level 400");
}

}  // namespace
}  // namespace tf::testing
