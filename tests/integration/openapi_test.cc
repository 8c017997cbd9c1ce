// docs/api/openapi.yaml against the routes trustd really registers: every registered route must
// be documented, every documented route must exist, and each documented operation must carry an
// operationId, at least one response, and the x-permission (and x-allow-pending-setup,
// x-api-tokens-only) of the route's access rule.
//
// The spec is read without a YAML library, by layout: under the top-level `paths:` key, path
// keys are lines indented by exactly 2 spaces that start with '/' and end with ':'; method keys
// are lines indented by exactly 4 spaces; operation fields (operationId, responses,
// x-permission, ...) are indented by 6 and response codes by 8.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/permissions.h"
#include "core/rng.h"
#include "support/trustd_process.h"

namespace tf::testing {
namespace {

const char* const kSpecPath = TF_SOURCE_DIR "/docs/api/openapi.yaml";

//! One operation of the spec: "GET /api/users/{id}" and the fields the checks read.
struct SpecOperation {
  std::string method;  //!< upper case, as the router spells it
  std::string path;
  int line = 0;  //!< 1-based line of the method key
  std::string operation_id;
  int responses = 0;
  std::string permission;  //!< x-permission
  bool allow_pending_setup = false;
  bool api_tokens_only = false;

  std::string Key() const { return method + " " + path; }
};

struct RouteInfo {
  std::string method;
  std::string pattern;
  std::string permission;  //!< "public", "authenticated" or a permission name
  bool allow_pending_setup = false;
  bool api_tokens_only = false;

  std::string Key() const { return method + " " + pattern; }
};

int Indent(const std::string& line) {
  size_t n = line.find_first_not_of(' ');
  return n == std::string::npos ? static_cast<int>(line.size()) : static_cast<int>(n);
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

//! Drops a trailing " # comment" and surrounding quotes from a scalar.
std::string Scalar(std::string s) {
  if (size_t hash = s.find(" #"); hash != std::string::npos) s = s.substr(0, hash);
  s = Trim(s);
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    s = s.substr(1, s.size() - 2);
  }
  return s;
}

//! "key: value" -> ("key", "value"); "key:" -> ("key", ""). False for lines that are no key.
bool SplitKey(const std::string& text, std::string* key, std::string* value) {
  std::string t = text;
  if (size_t hash = t.find(" #"); hash != std::string::npos) t = Trim(t.substr(0, hash));
  if (!t.empty() && t.back() == ':') {
    *key = Scalar(t.substr(0, t.size() - 1));
    value->clear();
    return true;
  }
  size_t colon = t.find(": ");
  if (colon == std::string::npos) return false;
  *key = Scalar(t.substr(0, colon));
  *value = Scalar(t.substr(colon + 2));
  return true;
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

//! The operations under the top-level `paths:` key; `error` is set when the file is unreadable
//! or has no `paths:` key.
std::vector<SpecOperation> ParseSpec(const std::string& file, std::string* error) {
  std::ifstream in(file);
  if (!in) {
    *error = "cannot read " + file;
    return {};
  }
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options"};
  std::vector<SpecOperation> ops;
  bool in_paths = false, seen_paths = false, in_responses = false;
  std::string path;
  SpecOperation* op = nullptr;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string text = Trim(line);
    if (text.empty() || text[0] == '#') continue;
    int indent = Indent(line);
    if (indent == 0) {
      in_paths = text == "paths:";
      seen_paths = seen_paths || in_paths;
      path.clear();
      op = nullptr;
      continue;
    }
    if (!in_paths) continue;
    if (indent == 2) {
      op = nullptr;
      path.clear();
      if (text[0] == '/' && text.back() == ':')
        path = text.substr(0, text.size() - 1);
      else if ((text[0] == '\'' || text[0] == '"') && text.size() > 2 && text[1] == '/' &&
               text.back() == ':') {
        path = Scalar(text.substr(0, text.size() - 1));
      }
      continue;
    }
    if (indent == 4) {
      op = nullptr;
      std::string key, value;
      if (!path.empty() && SplitKey(text, &key, &value) && value.empty() && kMethods.count(key)) {
        ops.emplace_back();
        op = &ops.back();
        op->method = Upper(key);
        op->path = path;
        op->line = number;
        in_responses = false;
      }
      continue;
    }
    if (op == nullptr) continue;
    std::string key, value;
    if (indent == 6) {
      in_responses = false;
      if (!SplitKey(text, &key, &value)) continue;
      if (key == "operationId")
        op->operation_id = value;
      else if (key == "x-permission")
        op->permission = value;
      else if (key == "x-allow-pending-setup")
        op->allow_pending_setup = value == "true";
      else if (key == "x-api-tokens-only")
        op->api_tokens_only = value == "true";
      else if (key == "responses")
        in_responses = value.empty();
    } else if (indent == 8 && in_responses && SplitKey(text, &key, &value) && value.empty()) {
      op->responses++;
    }
  }
  if (!seen_paths) *error = "no top-level 'paths:' key in " + file;
  return ops;
}

std::string DocumentedAccess(const Access& access) {
  switch (access.kind) {
    case Access::Kind::kPublic:
      return "public";
    case Access::Kind::kAuthenticated:
      return "authenticated";
    case Access::Kind::kPermission:
      return std::string(PermissionName(access.permission));
  }
  return "?";
}

class OpenApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    routes_ = new std::vector<RouteInfo>();
    spec_ = new std::vector<SpecOperation>();
    setup_error_ = new std::string();

    *spec_ = ParseSpec(kSpecPath, setup_error_);
    if (!setup_error_->empty()) return;

    absl::Status crypto = crypto::InitCrypto();
    if (!crypto.ok()) {
      *setup_error_ = "InitCrypto: " + crypto.ToString();
      return;
    }
    TempDir dir;
    Config config;
    config.data_dir = dir.path();
    config.log.access_log = false;
    auto app = App::Create(config, SystemClock::Instance(), SystemRng::Instance());
    if (!app.ok()) {
      *setup_error_ = "App::Create: " + app.status().ToString();
      return;
    }
    for (const http::Route& r : (*app)->router().routes()) {
      routes_->push_back(
          {r.method, r.pattern, DocumentedAccess(r.access), r.access.allow_pending_setup, r.access.api_tokens_only});
    }
  }
  static void TearDownTestSuite() {
    delete routes_;
    delete spec_;
    delete setup_error_;
  }

  void SetUp() override { ASSERT_TRUE(setup_error_->empty()) << *setup_error_; }

  static std::map<std::string, const RouteInfo*> RouteMap() {
    std::map<std::string, const RouteInfo*> out;
    for (const RouteInfo& r : *routes_) out[r.Key()] = &r;
    return out;
  }
  static std::map<std::string, const SpecOperation*> SpecMap() {
    std::map<std::string, const SpecOperation*> out;
    for (const SpecOperation& op : *spec_) out.emplace(op.Key(), &op);
    return out;
  }

  static std::vector<RouteInfo>* routes_;
  static std::vector<SpecOperation>* spec_;
  static std::string* setup_error_;
};
std::vector<RouteInfo>* OpenApiTest::routes_ = nullptr;
std::vector<SpecOperation>* OpenApiTest::spec_ = nullptr;
std::string* OpenApiTest::setup_error_ = nullptr;

TEST_F(OpenApiTest, ParsesTheRoutesAndTheSpec) {
  EXPECT_FALSE(routes_->empty()) << "trustd registered no routes";
  EXPECT_FALSE(spec_->empty()) << "found no operations under 'paths:' in " << kSpecPath;
}

TEST_F(OpenApiTest, EveryRegisteredRouteIsDocumented) {
  auto documented = SpecMap();
  std::ostringstream missing;
  int count = 0;
  for (const RouteInfo& r : *routes_) {
    if (documented.count(r.Key())) continue;
    missing << "\n  " << r.Key() << "  (x-permission: " << r.permission << ")";
    ++count;
  }
  EXPECT_EQ(count, 0) << count << " registered route(s) missing from docs/api/openapi.yaml:" << missing.str();
}

TEST_F(OpenApiTest, EveryDocumentedRouteExists) {
  auto registered = RouteMap();
  std::ostringstream extra;
  int count = 0;
  for (const SpecOperation& op : *spec_) {
    if (registered.count(op.Key())) continue;
    extra << "\n  " << op.Key() << "  (openapi.yaml:" << op.line << ")";
    ++count;
  }
  EXPECT_EQ(count, 0) << count
                      << " route(s) documented in docs/api/openapi.yaml but not registered by trustd:"
                      << extra.str();
}

TEST_F(OpenApiTest, NoOperationIsDocumentedTwice) {
  std::map<std::string, int> first_line;
  for (const SpecOperation& op : *spec_) {
    auto [it, inserted] = first_line.emplace(op.Key(), op.line);
    EXPECT_TRUE(inserted) << op.Key() << " is documented at openapi.yaml:" << it->second
                          << " and again at line " << op.line;
  }
}

TEST_F(OpenApiTest, EveryOperationHasAnOperationIdAndResponses) {
  std::map<std::string, std::string> ids;
  for (const SpecOperation& op : *spec_) {
    EXPECT_FALSE(op.operation_id.empty())
        << op.Key() << " (openapi.yaml:" << op.line << ") has no operationId";
    EXPECT_GT(op.responses, 0) << op.Key() << " (openapi.yaml:" << op.line << ") documents no responses";
    if (op.operation_id.empty()) continue;
    auto [it, inserted] = ids.emplace(op.operation_id, op.Key());
    EXPECT_TRUE(inserted) << "operationId '" << op.operation_id << "' is used by both " << it->second
                          << " and " << op.Key();
  }
}

TEST_F(OpenApiTest, DocumentedPermissionsMatchTheRoutes) {
  auto documented = SpecMap();
  for (const RouteInfo& r : *routes_) {
    auto it = documented.find(r.Key());
    if (it == documented.end()) continue;  // reported by EveryRegisteredRouteIsDocumented
    const SpecOperation& op = *it->second;
    EXPECT_EQ(op.permission, r.permission)
        << r.Key() << " (openapi.yaml:" << op.line << "): x-permission should be '" << r.permission << "'";
    EXPECT_EQ(op.allow_pending_setup, r.allow_pending_setup)
        << r.Key() << " (openapi.yaml:" << op.line << "): x-allow-pending-setup should be "
        << (r.allow_pending_setup ? "true" : "absent");
    EXPECT_EQ(op.api_tokens_only, r.api_tokens_only)
        << r.Key() << " (openapi.yaml:" << op.line << "): x-api-tokens-only should be "
        << (r.api_tokens_only ? "true" : "absent");
  }
}

}  // namespace
}  // namespace tf::testing
