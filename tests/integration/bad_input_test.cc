// Hostile and malformed input against a real trustd: each gets the right 4xx as RFC 9457
// problem+json and changes nothing in the store (checked by listing users, tenants and tokens
// before and after), and the server stays healthy afterwards.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

using nlohmann::json;

constexpr size_t kSmallLimit = 16 * 1024;
constexpr size_t kDefaultLimit = 1024 * 1024;

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '@') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

//! Checks the RFC 9457 shape. `traced`: the pipeline answered, so request_id is set and echoed.
void ExpectProblem(const HttpResult& r, int status, const std::string& what, bool traced = true) {
  EXPECT_EQ(r.status, status) << what << ": " << r.body.substr(0, 400);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << what;
  json j = r.Json();
  ASSERT_TRUE(j.is_object()) << what << ": not JSON: " << r.body.substr(0, 400);
  EXPECT_EQ(j.value("status", 0), status) << what;
  for (const char* field : {"type", "title", "detail", "instance", "request_id"}) {
    EXPECT_TRUE(j.contains(field) && j[field].is_string()) << what << ": no string '" << field << "'";
  }
  EXPECT_TRUE(absl::StartsWith(j.value("type", ""), "/problems/")) << what;
  EXPECT_FALSE(j.value("detail", "").empty()) << what;
  if (traced) {
    EXPECT_FALSE(j.value("request_id", "").empty()) << what;
    EXPECT_EQ(j.value("request_id", ""), r.Header("X-Request-Id")) << what;
  }
}

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new TrustdProcess();
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_EQ(server_->Bootstrap(kRootEmail, kPassword).exit_code, 0);
    root_ = server_->Login(kRootEmail, kPassword);
    ASSERT_FALSE(root_.empty());
    auto c = server_->client();
    HttpResult t = c.PostJson("/api/tenants", {{"slug", "acme"}, {"name", "Acme"}}, root_);
    ASSERT_EQ(t.status, 201) << t.body;
    tenant_ = t.Json()["id"];
    HttpResult u = c.PostJson(
        "/api/users", {{"email", "subject@acme.example"}, {"password", kPassword}, {"roles", {"VIEWER"}}, {"tenant_id", tenant_}},
        root_);
    ASSERT_EQ(u.status, 201) << u.body;
    user_ = u.Json()["id"];
    HttpResult k = c.PostJson("/api/auth/tokens", {{"name", "fixture"}, {"permissions", {"users.read"}}}, root_);
    ASSERT_EQ(k.status, 201) << k.body;
    token_id_ = k.Json()["id"];
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void TearDown() override {
    // Whatever a test threw at it, the server still answers.
    HttpResult health = server_->client().Get("/health");
    EXPECT_EQ(health.status, 200) << "trustd stopped answering: " << server_->Log().substr(0, 2000);
  }

  //! Everything a request could have changed, as root sees it.
  static std::string Snapshot() {
    auto c = server_->client();
    std::string out;
    for (const char* path : {"/api/users?limit=500", "/api/tenants?limit=500", "/api/auth/tokens?limit=500"}) {
      HttpResult r = c.Get(path, root_);
      EXPECT_EQ(r.status, 200) << path << ": " << r.body;
      json j = r.Json();
      absl::StrAppend(&out, path, " ", j.is_object() ? j["items"].dump() : "?", "\n");
    }
    return out;
  }

  static std::map<std::string, std::string> Headers(const std::string& content_type = "application/json",
                                                    bool auth = true) {
    std::map<std::string, std::string> h;
    if (auth) h["Authorization"] = "Bearer " + root_;
    if (!content_type.empty()) h["Content-Type"] = content_type;
    return h;
  }

  static HttpResult Send(const std::string& method, const std::string& target, const std::string& body = "",
                         const std::string& content_type = "application/json") {
    return server_->client().Send(method, target, body, Headers(body.empty() ? "" : content_type));
  }

  //! The JSON routes that take a body, with the caller's ids filled in.
  static std::vector<std::pair<std::string, std::string>> BodyRoutes() {
    return {{"POST", "/api/users"},
            {"PATCH", "/api/users/" + user_},
            {"POST", "/api/tenants"},
            {"PATCH", "/api/tenants/" + tenant_},
            {"POST", "/api/auth/tokens"},
            {"POST", "/api/auth/login"},
            {"POST", "/api/auth/password"},
            {"POST", "/api/users/" + user_ + "/reset-password"}};
  }

  static TrustdProcess* server_;
  static std::string root_, tenant_, user_, token_id_;
};

TrustdProcess* BadInputTest::server_ = nullptr;
std::string BadInputTest::root_, BadInputTest::tenant_, BadInputTest::user_, BadInputTest::token_id_;

TEST_F(BadInputTest, MalformedJsonIs400) {
  std::string before = Snapshot();
  const std::vector<std::string> bodies = {
      R"({"email":)", R"({"email":"a@b.co",})", "{'email':'a@b.co'}", "not json", R"({"a":1}{"b":2})",
      R"({"email":"x" "password":"y"})", "{", R"({"email":"unterminated)", "\xEF\xBB\xBF{}garbage"};
  for (const auto& [method, path] : BodyRoutes()) {
    for (const std::string& body : bodies) {
      HttpResult r = Send(method, path, body);
      ExpectProblem(r, 400, method + " " + path + " " + body);
    }
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, BodiesThatAreNotObjectsAre400) {
  std::string before = Snapshot();
  for (const auto& [method, path] : BodyRoutes()) {
    for (const std::string& body : std::vector<std::string>{"[]", R"([{"email":"a@b.co","password":"correct-Horse-7-battery"}])", R"("text")",
                                   "42", "null", "true"}) {
      HttpResult r = Send(method, path, body);
      ExpectProblem(r, 400, method + " " + path + " " + body);
      EXPECT_TRUE(absl::StrContains(r.Json().value("detail", ""), "object")) << r.body;
    }
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, WrongTypesAre400) {
  std::string before = Snapshot();
  const std::vector<std::pair<std::string, json>> cases = {
      {"/api/users", {{"email", 5}, {"password", kPassword}, {"roles", {"VIEWER"}}}},
      {"/api/users", {{"email", "typed@acme.example"}, {"password", kPassword}, {"roles", "VIEWER"}}},
      {"/api/users", {{"email", "typed@acme.example"}, {"password", kPassword}, {"roles", {1}}}},
      {"/api/users", {{"email", "typed@acme.example"}, {"password", {"a"}}, {"roles", {"VIEWER"}}}},
      {"/api/users",
       {{"email", "typed@acme.example"}, {"password", kPassword}, {"roles", {"VIEWER"}}, {"must_change_password", "yes"}}},
      {"/api/users", {{"email", {{"nested", "x"}}}, {"password", kPassword}, {"roles", {"VIEWER"}}}},
      {"/api/tenants", {{"slug", true}, {"name", "Typed"}}},
      {"/api/tenants", {{"slug", "typed"}, {"name", 3.5}}},
      {"/api/auth/tokens", {{"name", "typed"}, {"permissions", {"users.read"}}, {"expires_in_days", "10"}}},
      {"/api/auth/tokens", {{"name", "typed"}, {"permissions", "users.read"}}},
      {"/api/auth/login", {{"email", kRootEmail}, {"password", 12345678901234}}},
  };
  for (const auto& [path, body] : cases) {
    HttpResult r = server_->client().PostJson(path, body, root_);
    ExpectProblem(r, 400, path + " " + body.dump());
    EXPECT_TRUE(absl::StrContains(r.Json().value("detail", ""), "must be")) << r.body;
  }
  HttpResult patch = server_->client().PatchJson("/api/users/" + user_, {{"roles", {{"role", "ADMIN"}}}}, root_);
  ExpectProblem(patch, 400, "PATCH roles object");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, UnknownFieldsAre400) {
  std::string before = Snapshot();
  const std::vector<std::pair<std::string, json>> cases = {
      {"/api/users",
       {{"email", "extra@acme.example"}, {"password", kPassword}, {"roles", {"VIEWER"}}, {"is_admin", true}}},
      {"/api/users",
       {{"email", "extra@acme.example"}, {"password", kPassword}, {"roles", {"VIEWER"}}, {"password_hash", "x"}}},
      {"/api/tenants", {{"slug", "extra"}, {"name", "Extra"}, {"id", "0190a5e0-0000-7000-8000-000000000000"}}},
      {"/api/auth/tokens", {{"name", "extra"}, {"permissions", {"users.read"}}, {"tenant_id", tenant_}}},
      {"/api/auth/login", {{"email", kRootEmail}, {"password", kPassword}, {"remember_me", true}}},
  };
  for (const auto& [path, body] : cases) {
    HttpResult r = server_->client().PostJson(path, body, root_);
    ExpectProblem(r, 400, path + " " + body.dump());
    EXPECT_TRUE(absl::StrContains(r.Json().value("detail", ""), "unknown field")) << r.body;
  }
  ExpectProblem(server_->client().PatchJson("/api/users/" + user_, {{"tenant_id", tenant_}}, root_), 400,
                "PATCH user tenant_id");
  ExpectProblem(server_->client().PatchJson("/api/tenants/" + tenant_, {{"slug", "renamed"}}, root_), 400,
                "PATCH tenant slug");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, OversizedBodiesAre413) {
  // A body of exactly 16 KiB is read (and then handled for its content: here a no-op rename).
  std::string fits = json({{"name", "Acme"}}).dump();
  fits.insert(fits.size() - 1, std::string(kSmallLimit - fits.size(), ' '));
  ASSERT_EQ(fits.size(), kSmallLimit);
  EXPECT_EQ(Send("PATCH", "/api/tenants/" + tenant_, fits).status, 200);

  std::string before = Snapshot();
  // Small routes take 16 KiB; one byte more is refused before the body is read.
  std::string padded = json({{"email", "big@acme.example"}, {"password", kPassword}, {"roles", {"VIEWER"}}}).dump();
  padded.insert(padded.size() - 1, std::string(kSmallLimit + 1 - padded.size(), ' '));
  ASSERT_EQ(padded.size(), kSmallLimit + 1);
  for (const auto& [method, path] : BodyRoutes()) {
    ExpectProblem(Send(method, path, padded), 413, method + " " + path, /*traced=*/false);
  }

  // Chunked bodies are counted as they arrive.
  auto chunked = [](const std::string& target, size_t size) {
    std::string body(size, ' ');
    return absl::StrCat("POST ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer ",
                        root_, "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                        absl::Hex(size), "\r\n", body, "\r\n0\r\n\r\n");
  };
  ExpectProblem(server_->client().SendRaw(chunked("/api/users", kSmallLimit + 1)), 413, "chunked small route",
                /*traced=*/false);
  // Default routes take 1 MiB.
  ExpectProblem(server_->client().SendRaw(chunked("/api/no-such-route", kDefaultLimit + 1)), 413,
                "chunked default route", /*traced=*/false);
  HttpResult at_limit = server_->client().SendRaw(chunked("/api/no-such-route", kDefaultLimit));
  ExpectProblem(at_limit, 404, "1 MiB exactly is read");
  EXPECT_EQ(Snapshot(), before);
}

// A Content-Length over the route's body limit is refused with 413 before the body is read,
// whatever the server default.
TEST_F(BadInputTest, BodyOverTheDefaultLimitWithContentLengthIs413) {
  std::string before = Snapshot();
  std::string body(kDefaultLimit + 1, ' ');
  ExpectProblem(Send("POST", "/api/no-such-route", body), 413, "POST 1 MiB + 1 to a default route", false);
  ExpectProblem(Send("DELETE", "/api/auth/tokens/" + token_id_, body), 413, "DELETE with 1 MiB + 1", false);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, OversizedHeaderBlockIs431) {
  std::string before = Snapshot();
  auto h = Headers("");
  h["X-Padding"] = std::string(17 * 1024, 'a');
  ExpectProblem(server_->client().Send("GET", "/api/users", "", h), 431, "17 KiB header", /*traced=*/false);
  std::map<std::string, std::string> many = Headers("");
  for (int i = 0; i < 40; ++i) many[absl::StrCat("X-Many-", i)] = std::string(500, 'b');
  ExpectProblem(server_->client().Send("GET", "/api/users", "", many), 431, "40 x 500 B headers", false);
  std::string long_target = "/api/users?email=" + std::string(17 * 1024, 'c');
  ExpectProblem(server_->client().Send("GET", long_target, "", Headers("")), 431, "17 KiB target", false);
  EXPECT_EQ(Snapshot(), before);
}

// Problems the server writes itself (413 on Content-Length, 431, 400 for a bad target) bypass the
// pipeline but still carry a request id, echoed in X-Request-Id, to join them to the log.
TEST_F(BadInputTest, ServerWrittenProblemsCarryARequestId) {
  auto h = Headers("");
  h["X-Padding"] = std::string(17 * 1024, 'a');
  ExpectProblem(server_->client().Send("GET", "/api/users", "", h), 431, "431", /*traced=*/true);
  ExpectProblem(Send("POST", "/api/users", std::string(kSmallLimit + 1, ' ')), 413, "413", true);
  ExpectProblem(Send("GET", "/api/users/%FF"), 400, "400 invalid target", true);
}

TEST_F(BadInputTest, UnknownRoutesAre404) {
  for (const std::string& target : std::vector<std::string>{"/api/nope", "/api/users/x/y/z", "/API/USERS", "/api/users/", "//api/users",
                                   "/api", "/favicon.ico", "/.env", "/api/auth/tokens/"}) {
    ExpectProblem(server_->client().Get(target), 404, "anonymous " + target);
    ExpectProblem(server_->client().Get(target, root_), 404, "root " + target);
  }
}

TEST_F(BadInputTest, WrongMethodIs405WithAllow) {
  struct Case {
    std::string method, path;
    std::set<std::string> allow;
  };
  const std::vector<Case> cases = {
      {"DELETE", "/api/users", {"GET", "POST"}},
      {"PUT", "/api/users/" + user_, {"GET", "PATCH"}},
      {"POST", "/health", {"GET"}},
      {"DELETE", "/api/tenants", {"GET", "POST"}},
      {"GET", "/api/auth/login", {"POST"}},
      {"GET", "/api/auth/tokens/" + token_id_, {"DELETE"}},
      {"PATCH", "/metrics", {"GET"}},
  };
  std::string before = Snapshot();
  for (const Case& c : cases) {
    for (bool auth : {false, true}) {
      HttpResult r = server_->client().Send(c.method, c.path, "", Headers("", auth));
      ExpectProblem(r, 405, c.method + " " + c.path);
      std::set<std::string> allow;
      for (absl::string_view m : absl::StrSplit(r.Header("Allow"), ',', absl::SkipWhitespace())) {
        allow.insert(std::string(absl::StripAsciiWhitespace(m)));
      }
      EXPECT_EQ(allow, c.allow) << c.method << " " << c.path << ": Allow: " << r.Header("Allow");
    }
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, PathTraversalNeverLeavesTheRouter) {
  const std::vector<std::string> targets = {
      "/api/users/..%2F..%2Fetc%2Fpasswd", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
      "/api/users/../../../etc/passwd", "/web/../../etc/passwd", "/api/users/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/assets/..%2f..%2f..%2fetc%2fshadow", "/api/users/....//....//etc/passwd"};
  for (const std::string& target : targets) {
    for (bool auth : {false, true}) {
      HttpResult r = server_->client().Send("GET", target, "", Headers("", auth));
      EXPECT_TRUE(r.status == 404 || r.status == 400) << target << ": " << r.status << " " << r.body;
      EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << target;
      EXPECT_FALSE(absl::StrContains(r.body, "root:")) << target;
    }
  }
  // A dot-dot id is just an id that cannot exist.
  ExpectProblem(server_->client().Get("/api/users/%2E%2E", root_), 404, "/api/users/%2E%2E");
  ExpectProblem(server_->client().Get("/api/users/..", root_), 404, "/api/users/..");
  // Overlong UTF-8 for '/' is not a separator: it is invalid.
  ExpectProblem(server_->client().Get("/api/users/..%C0%AF..%C0%AFetc", root_), 400, "overlong '/'", false);
}

TEST_F(BadInputTest, SqlMetacharactersAreStoredAndMatchedLiterally) {
  auto c = server_->client();
  json users_before = c.Get("/api/users?limit=500", root_).Json()["items"];
  json tenants_before = c.Get("/api/tenants?limit=500", root_).Json()["items"];
  const std::string drop = "\"; DROP TABLE users; --";
  const std::string always = "' OR 1=1 --";

  HttpResult t = c.PostJson("/api/tenants", {{"slug", "sql-literal"}, {"name", drop}}, root_);
  ASSERT_EQ(t.status, 201) << t.body;
  EXPECT_EQ(t.Json()["name"], drop);
  const std::string email = "o'neil+or-1=1--@sql.example";
  HttpResult u = c.PostJson("/api/users",
                            {{"email", email}, {"password", kPassword}, {"roles", {"VIEWER"}},
                             {"display_name", always}, {"tenant_id", t.Json()["id"]}},
                            root_);
  ASSERT_EQ(u.status, 201) << u.body;
  std::string id = u.Json()["id"];
  HttpResult got = c.Get("/api/users/" + id, root_);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.Json()["display_name"], always);
  EXPECT_EQ(got.Json()["email"], email);
  EXPECT_EQ(c.Get("/api/tenants/" + t.Json()["id"].get<std::string>(), root_).Json()["name"], drop);

  // Query parameters are values, never SQL.
  for (const std::string& evil : {always, drop, std::string("%"), std::string("_"), std::string("' OR '1'='1")}) {
    for (const char* param : {"email", "status"}) {
      HttpResult r = c.Get(absl::StrCat("/api/users?", param, "=", UrlEncode(evil)), root_);
      ASSERT_EQ(r.status, 200) << param << "=" << evil << ": " << r.body;
      EXPECT_TRUE(r.Json()["items"].empty()) << param << "=" << evil << " matched rows: " << r.body;
    }
    HttpResult slug = c.Get("/api/tenants?slug=" + UrlEncode(evil), root_);
    ASSERT_EQ(slug.status, 200) << slug.body;
    EXPECT_TRUE(slug.Json()["items"].empty()) << evil;
    ExpectProblem(c.Get("/api/users?role=" + UrlEncode(evil), root_), 422, "role=" + evil);
    ExpectProblem(c.Get("/api/users/" + UrlEncode(evil), root_), 404, "id " + evil);
  }
  // The literal address matches exactly one user.
  HttpResult exact = c.Get("/api/users?email=" + UrlEncode(email), root_);
  ASSERT_EQ(exact.status, 200);
  ASSERT_EQ(exact.Json()["items"].size(), 1u) << exact.body;
  EXPECT_EQ(exact.Json()["items"][0]["id"], id);
  // A sign-in with SQL in it is just a failed sign-in.
  ExpectProblem(c.PostJson("/api/auth/login", {{"email", always}, {"password", always}}), 401, "login with SQL");

  // Everything else is intact: exactly one more user and tenant.
  json users_after = c.Get("/api/users?limit=500", root_).Json()["items"];
  json tenants_after = c.Get("/api/tenants?limit=500", root_).Json()["items"];
  EXPECT_EQ(users_after.size(), users_before.size() + 1);
  EXPECT_EQ(tenants_after.size(), tenants_before.size() + 1);
  for (const json& before : users_before) {
    bool same = false;
    for (const json& after : users_after) same = same || after == before;
    EXPECT_TRUE(same) << "changed: " << before.dump();
  }
}

TEST_F(BadInputTest, InvalidUtf8IsRejected) {
  std::string before = Snapshot();
  const std::vector<std::string> bodies = {
      "{\"email\":\"bad\xFF@acme.example\",\"password\":\"correct-Horse-7-battery\",\"roles\":[\"VIEWER\"]}",
      "{\"email\":\"bad@acme.example\",\"password\":\"correct-Horse-7-battery\xC3\x28\",\"roles\":[\"VIEWER\"]}",
      "{\"email\":\"bad@acme.example\",\"password\":\"correct-Horse-7-battery\",\"roles\":[\"VIEWER\xED\xA0\x80\"]}",
      R"({"email":"bad@acme.example","password":"correct-Horse-7-battery","display_name":"\ud800","roles":["VIEWER"]})",
      "{\"email\":\"bad@acme.example\",\"password\":\"correct-Horse-7-battery\",\"display_name\":\"\xC0\xAF\","
      "\"roles\":[\"VIEWER\"]}",
  };
  for (const std::string& body : bodies) ExpectProblem(Send("POST", "/api/users", body), 400, "invalid UTF-8 body");
  ExpectProblem(Send("PATCH", "/api/tenants/" + tenant_, "{\"name\":\"\xFE\xFF\"}"), 400, "PATCH tenant name");
  ExpectProblem(Send("POST", "/api/auth/login", "{\"email\":\"\xFF\",\"password\":\"x\"}"), 400, "login");
  for (const std::string& target : std::vector<std::string>{"/api/users/%C3%28", "/api/users/%FF", "/api/users/\xC3\x28", "/api/users?email=%FF",
                                   "/api/users?status=%ED%A0%80", "/api/users/%F4%90%80%80"}) {
    HttpResult r = Send("GET", target);
    ExpectProblem(r, 400, "target " + target, /*traced=*/false);
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, NulBytesAreRejected) {
  std::string before = Snapshot();
  for (const std::string target :
       {"/api/users/abc%00", "/api/users%00/x", "/api/users?email=a%00b", "/health%00", "/api/users?%00=1"}) {
    ExpectProblem(Send("GET", target), 400, target, /*traced=*/false);
  }
  HttpResult raw_nul = Send("GET", std::string("/api/users/a\0b", 14));
  EXPECT_EQ(raw_nul.status, 400) << raw_nul.body;
  // A raw NUL inside a JSON string is a control character: not JSON.
  ExpectProblem(Send("POST", "/api/tenants", std::string("{\"slug\":\"nul") + '\0' + "x\",\"name\":\"Nul\"}"), 400,
                "raw NUL in JSON");
  // An escaped NUL is JSON, but no valid slug or address.
  ExpectProblem(Send("POST", "/api/tenants", R"({"slug":"nul\u0000x","name":"Nul"})"), 422, "escaped NUL in slug");
  ExpectProblem(Send("POST", "/api/users",
                     R"({"email":"nul\u0000@acme.example","password":"correct-Horse-7-battery","roles":["VIEWER"]})"),
                422, "escaped NUL in email");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, NonJsonContentTypeIs415) {
  // A charset parameter is fine.
  HttpResult ok = server_->client().Send("PATCH", "/api/tenants/" + tenant_, R"({"name":"Acme"})",
                                         Headers("application/json; charset=utf-8"));
  EXPECT_EQ(ok.status, 200) << ok.body;

  std::string before = Snapshot();
  const std::string body = json({{"slug", "typed"}, {"name", "Typed"}}).dump();
  for (const std::string& type : std::vector<std::string>{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                 "text/json", "application/xml"}) {
    for (const auto& [method, path] : BodyRoutes()) {
      HttpResult r = server_->client().Send(method, path, body, Headers(type));
      ExpectProblem(r, 415, method + " " + path + " as '" + type + "'");
    }
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, PageParametersAreValidated) {
  for (const char* path : {"/api/users", "/api/tenants", "/api/auth/tokens"}) {
    for (const char* limit : {"0", "501", "abc", "-1", "1.5", "", "10abc", "99999999999999999999", "%201", "0x10"}) {
      ExpectProblem(Send("GET", absl::StrCat(path, "?limit=", limit)), 400, absl::StrCat(path, " limit=", limit));
    }
    for (const char* limit : {"1", "500"}) {
      EXPECT_EQ(Send("GET", absl::StrCat(path, "?limit=", limit)).status, 200) << path << " limit=" << limit;
    }
    for (const std::string& cursor : std::vector<std::string>{std::string("!!!"), std::string(300, 'A'), std::string("@@"), std::string("a.b")}) {
      ExpectProblem(Send("GET", absl::StrCat(path, "?cursor=", UrlEncode(cursor))), 400, absl::StrCat(path, " cursor=", cursor));
    }
    ExpectProblem(Send("GET", absl::StrCat(path, "?cursor=%ZZ")), 400, "undecodable cursor", /*traced=*/false);
  }
}

// Only cursors this server issued (base64url of an item id) are accepted; anything else is 400.
TEST_F(BadInputTest, CursorsThisServerDidNotIssueAre400) {
  for (const char* cursor : {"Zm9v", "_w", "JyBPUiAxPTEgLS0", "a%20b"}) {
    ExpectProblem(Send("GET", absl::StrCat("/api/users?cursor=", cursor)), 400, absl::StrCat("cursor=", cursor));
  }
}

TEST_F(BadInputTest, IdsThatAreNotUuidsAre404) {
  std::string before = Snapshot();
  for (const std::string& id : std::vector<std::string>{"123", "not-a-uuid", "0190a5e0-0000-7000-8000-00000000000", "0190a5e0-0000-7000-8000-0000000000000",
                               "0190a5e0x0000x7000x8000x000000000000", std::string(200, 'f'), "-1", "%20",
                               "0190a5e0-0000-7000-8000-000000000000"}) {
    ExpectProblem(Send("GET", "/api/users/" + id), 404, "GET user " + id);
    ExpectProblem(Send("PATCH", "/api/users/" + id, R"({"display_name":"x"})"), 404, "PATCH user " + id);
    ExpectProblem(Send("POST", "/api/users/" + id + "/unlock"), 404, "unlock " + id);
    ExpectProblem(Send("POST", "/api/users/" + id + "/reset-password", "{}"), 404, "reset " + id);
    ExpectProblem(Send("GET", "/api/tenants/" + id), 404, "GET tenant " + id);
    ExpectProblem(Send("PATCH", "/api/tenants/" + id, R"({"name":"x"})"), 404, "PATCH tenant " + id);
    ExpectProblem(Send("DELETE", "/api/auth/tokens/" + id), 404, "DELETE token " + id);
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, HugeNumbersAreRefusedCleanly) {
  std::string before = Snapshot();
  auto token = [](const std::string& days) {
    return absl::StrCat(R"({"name":"huge","permissions":["users.read"],"expires_in_days":)", days, "}");
  };
  for (const char* days : {"1e400", "99999999999999999999999", "1.5", "1e2", "-1e400", "NaN", "Infinity"}) {
    ExpectProblem(Send("POST", "/api/auth/tokens", token(days)), 400, absl::StrCat("expires_in_days=", days));
  }
  for (const char* days : {"18446744073709551615", "9223372036854775807", "-9223372036854775808", "0", "100001"}) {
    ExpectProblem(Send("POST", "/api/auth/tokens", token(days)), 422, absl::StrCat("expires_in_days=", days));
  }
  ExpectProblem(Send("POST", "/api/users",
                     R"({"email":"n@acme.example","password":"correct-Horse-7-battery","roles":["VIEWER"],)"
                     R"("must_change_password":1})"),
                400, "must_change_password=1");
  ExpectProblem(Send("POST", "/api/tenants", absl::StrCat(R"({"slug":"huge","name":)", std::string(400, '9'), "}")),
                400, "400-digit name");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, DeeplyNestedJsonIs400WithoutCrashing) {
  std::string before = Snapshot();
  // Not objects, or not JSON at all: 400 on every route.
  const std::vector<std::string> malformed = {
      std::string(10000, '['),
      std::string(5000, '[') + std::string(5000, ']'),
      std::string(8000, '[') + std::string(7999, ']'),
      std::string(10000, '{'),
      std::string(4000, '[') + "{}" + std::string(4000, ']'),
  };
  for (const std::string& body : malformed) {
    ASSERT_LE(body.size(), kSmallLimit);
    for (const auto& [method, path] : BodyRoutes()) {
      ExpectProblem(Send(method, path, body), 400, method + " " + path + " nested " + body.substr(0, 12));
    }
  }
  // Objects with deep values: refused as wrongly typed (400), unknown (400) or missing (422).
  std::string objects;
  for (int i = 0; i < 1500; ++i) objects += R"({"a":)";
  objects += "1" + std::string(1500, '}');
  const std::vector<std::string> deep_values = {
      objects,
      R"({"email":)" + std::string(5000, '[') + std::string(5000, ']') + "}",
      R"({"name":)" + std::string(3000, '[') + R"("x")" + std::string(3000, ']') + "}",
      R"({"roles":)" + std::string(3000, '[') + R"("VIEWER")" + std::string(3000, ']') + "}",
  };
  for (const std::string& body : deep_values) {
    ASSERT_LE(body.size(), kSmallLimit);
    for (const auto& [method, path] : BodyRoutes()) {
      HttpResult r = Send(method, path, body);
      EXPECT_TRUE(r.status == 400 || r.status == 422) << method << " " << path << ": " << r.status << " " << r.body;
      EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << method << " " << path;
    }
  }
  EXPECT_EQ(Snapshot(), before);
}

// Last: after all of the above, the process is alive, ready, and logged no internal errors.
TEST_F(BadInputTest, ServerStaysHealthyAfterAllOfIt) {
  auto c = server_->client();
  EXPECT_EQ(c.Get("/health").status, 200);
  EXPECT_EQ(c.Get("/health/ready").status, 200);
  EXPECT_EQ(c.Get("/api/users", root_).status, 200);
  HttpResult metrics = c.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_FALSE(absl::StrContains(metrics.body, "status=\"500\"")) << "some input caused a 500";
  std::string log = server_->Log();
  EXPECT_FALSE(absl::StrContains(log, "\"level\":\"error\"")) << log.substr(0, 4000);
}

}  // namespace
}  // namespace tf::testing
