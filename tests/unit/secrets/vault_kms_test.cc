// Tests of the vault-transit KMS against a local receiver on loopback that speaks the
// Transit HTTP API as HashiCorp documents it (and OpenBao implements it): each request is
// checked for its method, path, X-Vault-Token (and X-Vault-Namespace), a JSON body with
// exactly the documented fields, base64 where the API wants it; answers are {"data": ...}
// or {"errors": [...]} with the documented statuses. The receiver really encrypts, binding
// associated_data, so wrap/unwrap/rotate/rewrap/retire are exercised end to end, then with
// DataKeys over a real database.

#include "modules/secrets/vault_kms.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/crypto.h"
#include "http/server.h"
#include "modules/secrets/data_keys.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "unit/store/test_db.h"

namespace tf::secrets {
namespace {

using nlohmann::json;
using tf::testing::Backend;
using tf::testing::TestDatabase;

constexpr char kToken[] = "hvs.test-token-0123456789";
constexpr char kKey[] = "trust-fabric";

//! The subset of Vault's Transit engine trustd uses, at /v1/transit.
class FakeVault {
 public:
  struct Seen {
    std::string method, path, body;
    std::optional<std::string> token, ns;
  };

  FakeVault() {
    AddVersion();
    http::ServerOptions o;
    o.port = 0;
    server_ = std::make_unique<http::Server>(
        o, [this](http::Request r) { return Handle(std::move(r)); },
        [](std::string_view, std::string_view) -> uint64_t { return 1 << 20; });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~FakeVault() { server_->Shutdown(std::chrono::milliseconds(1000)); }

  std::string address() const { return StrCat("http://127.0.0.1:", server_->port()); }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  //! Every body field the receiver did not expect, across all requests.
  std::set<std::string> unexpected() {
    std::lock_guard lock(mu_);
    return unexpected_;
  }
  bool ignore_associated_data = false;
  std::string expected_namespace;

 private:
  static http::Response Errors(int status, std::string message) {
    return http::Response::Json(status, {{"errors", json::array({std::move(message)})}});
  }

  void AddVersion() {
    keys_[static_cast<int>(keys_.size()) + 1] = crypto::RandomBytes(crypto::kAeadKeyBytes);
    created_[static_cast<int>(keys_.size())] = 1767225600 + static_cast<int64_t>(keys_.size());
  }

  json KeyInfo() const {
    json keys = json::object();
    for (const auto& [v, t] : created_) keys[std::to_string(v)] = t;
    return {{"data",
             {{"name", kKey},
              {"type", "chacha20-poly1305"},
              {"latest_version", static_cast<int>(keys_.size())},
              {"min_decryption_version", min_decryption_},
              {"min_encryption_version", 0},
              {"supports_encryption", true},
              {"keys", keys}}}};
  }

  //! The body's fields, each required ones present as strings, nothing else expected.
  absl::StatusOr<json> Body(const http::Request& r, std::initializer_list<const char*> fields) {
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
    std::set<std::string> allowed(fields.begin(), fields.end());
    for (const auto& [k, v] : body.items()) {
      if (!allowed.contains(k)) unexpected_.insert(k);
    }
    return body;
  }

  absl::StatusOr<std::string> B64(const json& body, const char* field) {
    if (!body.contains(field) || !body[field].is_string()) return absl::InvalidArgumentError(StrCat("missing ", field));
    absl::StatusOr<std::string> v = crypto::Base64Decode(body[field].get<std::string>());
    if (!v.ok()) return absl::InvalidArgumentError(StrCat(field, " is not base64"));
    return v;
  }

  std::string Seal(int version, std::string_view plaintext, std::string_view aad) {
    std::string nonce = crypto::RandomBytes(crypto::kAeadNonceBytes);
    std::string sealed = crypto::AeadSeal(keys_.at(version), nonce, plaintext, aad).value();
    return StrCat("vault:v", version, ":", crypto::Base64Encode(nonce + sealed));
  }

  http::Response Handle(http::Request r) {
    std::lock_guard lock(mu_);
    auto header = [&](std::string_view name) -> std::optional<std::string> {
      auto v = r.headers.Get(name);
      return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
    };
    seen_.push_back({r.method, r.path, r.body, header("X-Vault-Token"), header("X-Vault-Namespace")});
    if (header("X-Vault-Token") != kToken) return Errors(403, "1 error occurred:\n\t* permission denied\n\n");
    if (!expected_namespace.empty() && header("X-Vault-Namespace") != expected_namespace) {
      return Errors(403, "permission denied");
    }
    const std::string prefix = "/v1/transit/";
    if (!absl::StartsWith(r.path, prefix)) return Errors(404, "no handler for route");
    std::string rest = r.path.substr(prefix.size());
    if (r.method == "GET" && rest == StrCat("keys/", kKey)) return http::Response::Json(200, KeyInfo());
    if (r.method == "GET" && absl::StartsWith(rest, "keys/")) return http::Response::Json(404, {{"errors", json::array()}});
    if (r.method != "POST") return Errors(405, "unsupported operation");
    if (rest == StrCat("keys/", kKey, "/rotate")) {
      AddVersion();
      return http::Response::Json(200, KeyInfo());
    }
    if (rest == StrCat("keys/", kKey, "/config")) {
      absl::StatusOr<json> body = Body(r, {"min_decryption_version"});
      if (!body.ok() || !(*body)["min_decryption_version"].is_number_integer()) return Errors(400, "bad config");
      int v = (*body)["min_decryption_version"];
      if (v > static_cast<int>(keys_.size())) return Errors(400, "cannot set min decryption version");
      min_decryption_ = v;
      return http::Response::Json(200, KeyInfo());
    }
    if (rest == StrCat("encrypt/", kKey)) {
      absl::StatusOr<json> body = Body(r, {"plaintext", "associated_data"});
      if (!body.ok()) return Errors(400, std::string(body.status().message()));
      absl::StatusOr<std::string> plaintext = B64(*body, "plaintext");
      absl::StatusOr<std::string> aad = B64(*body, "associated_data");
      if (!plaintext.ok() || !aad.ok()) return Errors(400, "plaintext and associated_data must be base64");
      int version = static_cast<int>(keys_.size());
      return http::Response::Json(
          200, {{"data", {{"ciphertext", Seal(version, *plaintext, ignore_associated_data ? "" : *aad)},
                          {"key_version", version}}}});
    }
    if (rest == StrCat("decrypt/", kKey)) {
      absl::StatusOr<json> body = Body(r, {"ciphertext", "associated_data"});
      if (!body.ok() || !(*body)["ciphertext"].is_string()) return Errors(400, "missing ciphertext");
      absl::StatusOr<std::string> aad = B64(*body, "associated_data");
      if (!aad.ok()) return Errors(400, "associated_data must be base64");
      std::vector<std::string> parts = absl::StrSplit((*body)["ciphertext"].get<std::string>(), ':');
      if (parts.size() != 3 || parts[0] != "vault") return Errors(400, "invalid ciphertext: no prefix");
      int version = std::atoi(parts[1].c_str() + 1);
      if (version < min_decryption_) return Errors(400, "ciphertext or signature version is disallowed by policy (too old)");
      if (!keys_.contains(version)) return Errors(400, "invalid ciphertext: version is too new");
      std::string raw = crypto::Base64Decode(parts[2]).value_or("");
      if (raw.size() < crypto::kAeadNonceBytes) return Errors(400, "invalid ciphertext length");
      absl::StatusOr<std::string> opened =
          crypto::AeadOpen(keys_.at(version), raw.substr(0, crypto::kAeadNonceBytes),
                           raw.substr(crypto::kAeadNonceBytes), ignore_associated_data ? "" : *aad);
      if (!opened.ok()) return Errors(400, "chacha20poly1305: message authentication failed");
      return http::Response::Json(200, {{"data", {{"plaintext", crypto::Base64Encode(*opened)}}}});
    }
    return Errors(400, "key not found");
  }

  std::mutex mu_;
  std::map<int, std::string> keys_;
  std::map<int, int64_t> created_;
  int min_decryption_ = 1;
  std::vector<Seen> seen_;
  std::set<std::string> unexpected_;
  std::unique_ptr<http::Server> server_;
};

class VaultKmsTest : public ::testing::Test {
 protected:
  VaultOptions Options(std::string token = kToken) {
    VaultOptions o;
    o.address = vault_.address();
    o.token = std::move(token);
    o.key = kKey;
    o.http.timeout = std::chrono::milliseconds(3000);
    return o;
  }

  FakeClock clock_{store::testing::TestEpoch()};
  FakeVault vault_;
};

TEST_F(VaultKmsTest, WrapsUnwrapsRotatesAndRetiresThroughTheDocumentedRequests) {
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VaultTransitKms> kms, VaultTransitKms::Open(Options(), clock_));
  KmsStatus s = kms->Status();
  EXPECT_EQ(s.provider, "vault-transit");
  EXPECT_EQ(s.wrap_prefix, "vault");
  EXPECT_EQ(s.latest_version, 1);
  ASSERT_EQ(s.versions.size(), 1u);
  EXPECT_EQ(s.versions[0].created_at, int64_t{1767225601} * 1'000'000);

  std::string dek = crypto::RandomBytes(32);
  size_t before = vault_.seen().size();
  TF_ASSERT_OK_AND_ASSIGN(std::string wrapped, kms->Wrap(dek, "dek/tenant-a/1"));
  EXPECT_TRUE(wrapped.starts_with("vault:v1:")) << wrapped;
  std::vector<FakeVault::Seen> seen = vault_.seen();
  ASSERT_EQ(seen.size(), before + 1);
  const FakeVault::Seen& encrypt = seen.back();
  EXPECT_EQ(encrypt.method, "POST");
  EXPECT_EQ(encrypt.path, "/v1/transit/encrypt/trust-fabric");
  EXPECT_EQ(encrypt.token, kToken);
  json body = json::parse(encrypt.body);
  EXPECT_EQ(crypto::Base64Decode(body["plaintext"].get<std::string>()).value(), dek);
  EXPECT_EQ(crypto::Base64Decode(body["associated_data"].get<std::string>()).value(), "dek/tenant-a/1");

  EXPECT_EQ(kms->Unwrap(wrapped, "dek/tenant-a/1").value(), dek);
  absl::StatusOr<std::string> elsewhere = kms->Unwrap(wrapped, "dek/tenant-b/1");
  EXPECT_EQ(elsewhere.status().code(), absl::StatusCode::kDataLoss) << elsewhere.status();
  EXPECT_EQ(kms->Unwrap("local:v1:AAAA", "dek/tenant-a/1").status().code(), absl::StatusCode::kInvalidArgument);

  TF_ASSERT_OK_AND_ASSIGN(int v2, kms->Rotate());
  EXPECT_EQ(v2, 2);
  TF_ASSERT_OK_AND_ASSIGN(std::string rewrapped, kms->Rewrap(wrapped, "dek/tenant-a/1"));
  EXPECT_TRUE(rewrapped.starts_with("vault:v2:")) << rewrapped;
  TF_ASSERT_OK(kms->SetMinDecryptionVersion(2));
  EXPECT_EQ(kms->Status().min_decryption_version, 2);
  EXPECT_EQ(kms->Unwrap(wrapped, "dek/tenant-a/1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(kms->Unwrap(rewrapped, "dek/tenant-a/1").value(), dek);
  EXPECT_EQ(kms->SetMinDecryptionVersion(3).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_TRUE(vault_.unexpected().empty()) << "only the documented fields are sent";
  for (const FakeVault::Seen& r : vault_.seen()) {
    EXPECT_EQ(r.token, kToken) << r.path;
    EXPECT_EQ(r.body.find(kToken), std::string::npos);
  }
}

TEST_F(VaultKmsTest, RefusesToStartWithoutTheKeyTheTokenOrABindingOfAssociatedData) {
  absl::StatusOr<std::unique_ptr<VaultTransitKms>> denied = VaultTransitKms::Open(Options("hvs.wrong"), clock_);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied) << denied.status();
  EXPECT_TRUE(absl::StrContains(denied.status().message(), "permission denied")) << denied.status();
  EXPECT_FALSE(absl::StrContains(denied.status().message(), "hvs.")) << "the token is never quoted";

  VaultOptions missing = Options();
  missing.key = "no-such-key";
  absl::StatusOr<std::unique_ptr<VaultTransitKms>> absent = VaultTransitKms::Open(missing, clock_);
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(absent.status().message(), "vault write -f transit/keys/no-such-key"))
      << absent.status();

  VaultOptions down = Options();
  down.address = "http://127.0.0.1:1";
  EXPECT_EQ(VaultTransitKms::Open(down, clock_).status().code(), absl::StatusCode::kUnavailable);

  vault_.ignore_associated_data = true;
  absl::StatusOr<std::unique_ptr<VaultTransitKms>> unbound = VaultTransitKms::Open(Options(), clock_);
  EXPECT_EQ(unbound.status().code(), absl::StatusCode::kFailedPrecondition) << unbound.status();
  EXPECT_TRUE(absl::StrContains(unbound.status().message(), "ignores associated_data"));
}

TEST_F(VaultKmsTest, SendsTheNamespace) {
  vault_.expected_namespace = "accounting/eu";
  EXPECT_EQ(VaultTransitKms::Open(Options(), clock_).status().code(), absl::StatusCode::kPermissionDenied);
  VaultOptions o = Options();
  o.ns = "accounting/eu";
  TF_ASSERT_OK(VaultTransitKms::Open(o, clock_).status());
  EXPECT_EQ(vault_.seen().back().ns, "accounting/eu");
}

TEST_F(VaultKmsTest, DataKeysOverVaultEncryptRotateAndRewrap) {
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestDatabase> db, TestDatabase::Create(Backend::kSqlite, clock_));
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<VaultTransitKms> kms, VaultTransitKms::Open(Options(), clock_));
  DataKeys keys(db->db(), *kms, clock_);
  FieldContext where{"0190f000-0000-7000-8000-0000000002aa", "users", "email", "u1"};
  TF_ASSERT_OK_AND_ASSIGN(std::string c, keys.Encrypt(where, "ada@example.com"));
  TF_ASSERT_OK_AND_ASSIGN(auto stored, keys.Stored(std::string(where.tenant_id)));
  ASSERT_EQ(stored.second.size(), 2u);
  for (const StoredDataKey& k : stored.second) EXPECT_TRUE(k.wrapped.starts_with("vault:v1:")) << k.wrapped;

  TF_ASSERT_OK(kms->Rotate().status());
  TF_ASSERT_OK_AND_ASSIGN(RewrapResult r, keys.RewrapAll());
  EXPECT_EQ(r.rewrapped, 2);
  EXPECT_EQ(r.kek_version, 2);
  TF_ASSERT_OK(kms->SetMinDecryptionVersion(2));
  DataKeys fresh(db->db(), *kms, clock_);
  EXPECT_EQ(fresh.Decrypt(where, c).value(), "ada@example.com");
}

}  // namespace
}  // namespace tf::secrets
