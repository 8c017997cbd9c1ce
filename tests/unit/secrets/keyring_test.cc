// Tests of the keyring: the local KMS's key file (created owner-only, refused when others may
// read it or when malformed), wrapping bound to its context, rotation, rewrap and retirement
// of old versions; and field encryption bound to tenant, table, column and row.

#include "modules/secrets/keyring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "core/crypto.h"
#include "core/secret_file.h"
#include "support/status_macros.h"

namespace tf::secrets {
namespace {

const SysTime kStart = SysTime(std::chrono::microseconds(int64_t{1767225600} * 1'000'000));

class KeyringTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::InitCrypto().ok()); }
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/tf-keyring-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = dir_ + "/kek";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_, path_;
  FakeClock clock_{kStart};
};

TEST_F(KeyringTest, AKeyFileIsCreatedOwnerOnlyAndReloads) {
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> kms, LocalKms::FromFile(path_, clock_));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  KmsStatus status = kms->Status();
  EXPECT_EQ(status.provider, "local");
  EXPECT_EQ(status.latest_version, 1);
  ASSERT_EQ(status.versions.size(), 1u);
  EXPECT_EQ(status.versions[0].created_at, clock_.NowMicros());

  std::string dek = crypto::RandomBytes(32);
  TF_ASSERT_OK_AND_ASSIGN(std::string wrapped, kms->Wrap(dek, "tenant-a/dek/1"));
  EXPECT_TRUE(wrapped.starts_with("local:v1:")) << wrapped;
  EXPECT_EQ(wrapped.find(crypto::Base64Encode(dek)), std::string::npos);
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> reopened, LocalKms::FromFile(path_, clock_));
  TF_ASSERT_OK_AND_ASSIGN(std::string back, reopened->Unwrap(wrapped, "tenant-a/dek/1"));
  EXPECT_EQ(back, dek);
}

TEST_F(KeyringTest, InstancesCreatingTheKeyFileAtOnceAllUseTheSameKey) {
  constexpr int kInstances = 8;
  std::vector<absl::StatusOr<std::unique_ptr<LocalKms>>> opened;
  for (int i = 0; i < kInstances; ++i) opened.emplace_back(absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) threads.emplace_back([&, i] { opened[i] = LocalKms::FromFile(path_, clock_); });
  for (auto& t : threads) t.join();
  for (const auto& kms : opened) ASSERT_TRUE(kms.ok()) << kms.status();
  TF_ASSERT_OK_AND_ASSIGN(std::string wrapped, (*opened[0])->Wrap("dek", "ctx"));
  for (const auto& kms : opened) EXPECT_EQ((*kms)->Unwrap(wrapped, "ctx").value_or(""), "dek");
}

TEST_F(KeyringTest, WrappedKeysHaveTheDocumentedFormat) {
  // A key file written by hand, and a wrapped key built from the documented format with the
  // AEAD checked against its published vector: the keyring must read both.
  std::string kek =
      crypto::HexDecode("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f").value();
  ASSERT_TRUE(WriteOwnerOnlyFile(path_,
                                 "min_decryption_version 1\nv1 2026-01-01T00:00:00.000000Z " +
                                     crypto::Base64Encode(kek) + "\n",
                                 "test")
                  .ok());
  std::string nonce(24, '\x07'), dek(32, '\x2a');
  std::string aad = "6:tf-kek;14:tenant-a/dek/3;";
  std::string wrapped =
      "local:v1:" + crypto::Base64Encode(nonce + crypto::AeadSeal(kek, nonce, dek, aad).value());
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> kms, LocalKms::FromFile(path_, clock_));
  TF_ASSERT_OK_AND_ASSIGN(std::string back, kms->Unwrap(wrapped, "tenant-a/dek/3"));
  EXPECT_EQ(back, dek);
  EXPECT_EQ(kms->Status().versions.at(0).created_at, 1767225600LL * 1'000'000);
}

TEST_F(KeyringTest, UnwrapRefusesAnotherContextTamperingAndGarbage) {
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> kms, LocalKms::FromFile(path_, clock_));
  TF_ASSERT_OK_AND_ASSIGN(std::string wrapped, kms->Wrap(crypto::RandomBytes(32), "tenant-a/dek/1"));
  EXPECT_EQ(kms->Unwrap(wrapped, "tenant-b/dek/1").status().code(), absl::StatusCode::kDataLoss);
  std::string tampered = wrapped;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(kms->Unwrap(tampered, "tenant-a/dek/1").status().code(), absl::StatusCode::kDataLoss);
  for (std::string bad : {"", "local", "local:v1", "local:v:abc", "local:v0:abc", "local:v01:abc",
                          "vault:v1:abc", "local:v1:not base64!"}) {
    EXPECT_EQ(kms->Unwrap(bad, "tenant-a/dek/1").status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(
      kms->Unwrap("local:v9:" + crypto::Base64Encode(std::string(60, 'x')), "tenant-a/dek/1").status().code(),
      absl::StatusCode::kFailedPrecondition)
      << "an unknown version";
  EXPECT_EQ(kms->Unwrap("local:v1:" + crypto::Base64Encode("short"), "tenant-a/dek/1").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(KeyringTest, RotationAddsAVersionAndRetiringOldOnesFollowsRewrap) {
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> kms, LocalKms::FromFile(path_, clock_));
  std::string dek = crypto::RandomBytes(32);
  TF_ASSERT_OK_AND_ASSIGN(std::string old_wrap, kms->Wrap(dek, "ctx"));
  clock_.Advance(std::chrono::hours(24));
  TF_ASSERT_OK_AND_ASSIGN(int v2, kms->Rotate());
  EXPECT_EQ(v2, 2);
  TF_ASSERT_OK_AND_ASSIGN(std::string new_wrap, kms->Wrap(dek, "ctx"));
  EXPECT_TRUE(new_wrap.starts_with("local:v2:")) << "new wraps use the new version";
  EXPECT_EQ(kms->Unwrap(old_wrap, "ctx").value(), dek) << "old wraps still open";
  TF_ASSERT_OK_AND_ASSIGN(std::string rewrapped, kms->Rewrap(old_wrap, "ctx"));
  EXPECT_TRUE(rewrapped.starts_with("local:v2:"));
  EXPECT_EQ(kms->Unwrap(rewrapped, "ctx").value(), dek);

  TF_ASSERT_OK(kms->SetMinDecryptionVersion(2));
  EXPECT_EQ(kms->Unwrap(old_wrap, "ctx").status().code(), absl::StatusCode::kFailedPrecondition) << "retired";
  EXPECT_EQ(kms->SetMinDecryptionVersion(3).code(), absl::StatusCode::kInvalidArgument)
      << "beyond the latest";

  // All of it is in the file.
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> reopened, LocalKms::FromFile(path_, clock_));
  KmsStatus status = reopened->Status();
  EXPECT_EQ(status.latest_version, 2);
  EXPECT_EQ(status.min_decryption_version, 2);
  ASSERT_EQ(status.versions.size(), 2u);
  EXPECT_EQ(status.versions[1].created_at - status.versions[0].created_at, int64_t{24} * 3600 * 1'000'000);
  EXPECT_EQ(reopened->Unwrap(rewrapped, "ctx").value(), dek);
  EXPECT_FALSE(reopened->Unwrap(old_wrap, "ctx").ok());
}

TEST_F(KeyringTest, AnotherProcessRotatingTheFileIsSeenAtOnce) {
  // trustd holds one LocalKms while `trustctl keys` rotates and retires with another.
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> server, LocalKms::FromFile(path_, clock_));
  TF_ASSERT_OK_AND_ASSIGN(std::string v1_wrap, server->Wrap("dek-1", "ctx"));
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> operator_kms, LocalKms::FromFile(path_, clock_));
  TF_ASSERT_OK(operator_kms->Rotate().status());
  TF_ASSERT_OK_AND_ASSIGN(std::string v2_wrap, operator_kms->Rewrap(v1_wrap, "ctx"));

  EXPECT_EQ(server->Unwrap(v2_wrap, "ctx").value(), "dek-1") << "the new version is read from the file";
  TF_ASSERT_OK_AND_ASSIGN(std::string fresh, server->Wrap("dek-2", "ctx"));
  EXPECT_TRUE(fresh.starts_with("local:v2:")) << "and used for new wraps";
  TF_ASSERT_OK(operator_kms->SetMinDecryptionVersion(2));
  EXPECT_EQ(server->Unwrap(v1_wrap, "ctx").status().code(), absl::StatusCode::kFailedPrecondition)
      << "retired everywhere";

  // A file broken by hand does not take the loaded versions away.
  ASSERT_TRUE(WriteOwnerOnlyFile(path_, "garbage\n", "test").ok());
  EXPECT_EQ(server->Unwrap(v2_wrap, "ctx").value(), "dek-1");
  EXPECT_EQ(server->Status().latest_version, 2);
}

TEST_F(KeyringTest, KeyFilesOthersMayReadOrThatAreMalformedAreRefused) {
  TF_ASSERT_OK(LocalKms::FromFile(path_, clock_).status());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  EXPECT_EQ(LocalKms::FromFile(path_, clock_).status().code(), absl::StatusCode::kFailedPrecondition);

  std::string key = crypto::Base64Encode(std::string(32, 'k'));
  for (std::string text :
       std::vector<std::string>{"# nothing\n", "v2 2026-01-01T00:00:00Z " + key + "\n",
                                "v1 yesterday " + key + "\n", "v1 2026-01-01T00:00:00Z c2hvcnQ=\n",
                                "v1 2026-01-01T00:00:00Z " + key + "\nv3 2026-01-01T00:00:00Z " + key + "\n",
                                "min_decryption_version 2\nv1 2026-01-01T00:00:00Z " + key + "\n",
                                "min_decryption_version x\nv1 2026-01-01T00:00:00Z " + key + "\n"}) {
    ASSERT_TRUE(WriteOwnerOnlyFile(path_, text, "test").ok());
    absl::Status status = LocalKms::FromFile(path_, clock_).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << text;
    EXPECT_NE(status.message().find("secrets.kek_file"), std::string_view::npos) << status;
    EXPECT_EQ(status.message().find(key), std::string_view::npos) << "never the key";
  }
}

TEST_F(KeyringTest, AKeyFromTheEnvironmentWrapsButCannotRotate) {
  EXPECT_EQ(LocalKms::FromValue("not base64!", clock_).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LocalKms::FromValue(crypto::Base64Encode("16 bytes only..."), clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  TF_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalKms> kms,
                          LocalKms::FromValue(crypto::Base64Encode(crypto::RandomBytes(32)), clock_));
  TF_ASSERT_OK_AND_ASSIGN(std::string wrapped, kms->Wrap("dek", "ctx"));
  EXPECT_EQ(kms->Unwrap(wrapped, "ctx").value(), "dek");
  EXPECT_EQ(kms->Rotate().status().code(), absl::StatusCode::kFailedPrecondition);
}

DataKeyRing Ring(int versions) {
  DataKeyRing ring;
  for (int v = 1; v <= versions; ++v) ring.keys[v] = SecretKey(crypto::RandomBytes(32));
  ring.latest = versions;
  return ring;
}

TEST_F(KeyringTest, FieldsDecryptOnlyWhereTheyWereWritten) {
  DataKeyRing ring = Ring(1);
  FieldContext here{"tenant-a", "users", "email", "0190f000-0000-7000-8000-000000000001"};
  TF_ASSERT_OK_AND_ASSIGN(std::string c, EncryptField(ring, here, "ada@example.com"));
  EXPECT_TRUE(c.starts_with("tfenc:v1:")) << c;
  EXPECT_EQ(c.find("ada"), std::string::npos);
  EXPECT_EQ(DecryptField(ring, here, c).value(), "ada@example.com");
  EXPECT_NE(EncryptField(ring, here, "ada@example.com").value(), c) << "a fresh nonce each time";

  for (FieldContext elsewhere : {FieldContext{"tenant-b", here.table, here.column, here.row_id},
                                 FieldContext{here.tenant_id, "webhooks", here.column, here.row_id},
                                 FieldContext{here.tenant_id, here.table, "name", here.row_id},
                                 FieldContext{here.tenant_id, here.table, here.column, "another-row"}}) {
    absl::StatusOr<std::string> moved = DecryptField(ring, elsewhere, c);
    EXPECT_EQ(moved.status().code(), absl::StatusCode::kDataLoss)
        << elsewhere.tenant_id << " " << elsewhere.table << " " << elsewhere.column << " "
        << elsewhere.row_id;
  }
  // The associated data's parts are length-prefixed: moving text between them changes it.
  EXPECT_FALSE(DecryptField(ring, {"tenant-au", "sers", "email", here.row_id}, c).ok());

  std::string tampered = c;
  // A middle character: all six of its bits are data (the last one's may be padding).
  char& middle = tampered[tampered.size() / 2];
  middle = middle == 'A' ? 'B' : 'A';
  EXPECT_EQ(DecryptField(ring, here, tampered).status().code(), absl::StatusCode::kDataLoss);
  for (std::string bad : {"", "ada@example.com", "tfenc:v1:", "tfenc:v1:***", "vault:v1:abc"}) {
    EXPECT_EQ(DecryptField(ring, here, bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST_F(KeyringTest, FieldsFollowTheRingsVersions) {
  DataKeyRing ring = Ring(1);
  FieldContext here{"tenant-a", "users", "email", "row-1"};
  std::string v1 = EncryptField(ring, here, "old").value();
  ring.keys[2] = SecretKey(crypto::RandomBytes(32));
  ring.latest = 2;
  std::string v2 = EncryptField(ring, here, "new").value();
  EXPECT_TRUE(v2.starts_with("tfenc:v2:"));
  EXPECT_EQ(DecryptField(ring, here, v1).value(), "old") << "old versions still decrypt";
  ring.min_decryption_version = 2;
  EXPECT_EQ(DecryptField(ring, here, v1).status().code(), absl::StatusCode::kFailedPrecondition) << "retired";
  EXPECT_EQ(DecryptField(ring, here, v2).value(), "new");
  EXPECT_EQ(DecryptField(Ring(1), here, v2).status().code(), absl::StatusCode::kFailedPrecondition)
      << "a version the ring does not hold";
  EXPECT_EQ(EncryptField(DataKeyRing{}, here, "x").status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tf::secrets
