// Tests of DataKeys on both backends: a tenant's first data key is created on first use and
// stored only wrapped; other instances read the same keys; rotation, retirement and a KEK
// rotation followed by a rewrap of every data key keep every value readable; a wrapped key
// moved to another tenant's row does not open.

#include "modules/secrets/data_keys.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/crypto.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "unit/store/test_db.h"

namespace tf::secrets {
namespace {

using tf::testing::Backend;
using tf::testing::TestDatabase;

using store::testing::kTenantA;
using store::testing::kTenantB;

class DataKeysTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    dir_ = ::testing::TempDir() + "/tf-data-keys-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    TF_ASSERT_OK_AND_ASSIGN(kms_, LocalKms::FromFile(dir_ + "/kek", clock_));
    keys_ = std::make_unique<DataKeys>(db_->db(), *kms_, clock_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static FieldContext Email(const char* tenant, const char* row) { return {tenant, "users", "email", row}; }

  //! Every wrapped key as stored.
  std::vector<StoredDataKey> Stored(const std::string& tenant) {
    return db_->owner_db()
        .InTx(store::ReadTx(), [&](store::Transaction& tx) { return SecretsRepo().DataKeys(tx, tenant); })
        .value();
  }

  FakeClock clock_{store::testing::TestEpoch()};
  std::unique_ptr<TestDatabase> db_;
  std::string dir_;
  std::unique_ptr<LocalKms> kms_;
  std::unique_ptr<DataKeys> keys_;
};

TEST_P(DataKeysTest, AFirstKeyIsMadeOnFirstUseStoredWrappedAndSharedByInstances) {
  TF_ASSERT_OK_AND_ASSIGN(std::string c, keys_->Encrypt(Email(kTenantA, "u1"), "ada@example.com"));
  EXPECT_TRUE(c.starts_with("tfenc:v1:"));
  TF_ASSERT_OK_AND_ASSIGN(DataKeyRing ring, keys_->Ring(kTenantA));
  ASSERT_EQ(ring.keys.size(), 1u);
  std::vector<StoredDataKey> stored = Stored(kTenantA);
  ASSERT_EQ(stored.size(), 2u) << "the first data key and the keyed-hash key (version 0)";
  EXPECT_EQ(stored[0].version, 0);
  EXPECT_EQ(stored[1].version, 1);
  EXPECT_TRUE(stored[1].wrapped.starts_with("local:v1:")) << stored[1].wrapped;
  EXPECT_EQ(stored[1].kek_version, 1);
  std::string dek(ring.keys.at(1).bytes());
  EXPECT_EQ(stored[1].wrapped.find(crypto::Base64Encode(dek)), std::string::npos) << "only wrapped";
  EXPECT_EQ(stored[1].wrapped.find(crypto::HexEncode(dek)), std::string::npos);
  EXPECT_EQ(ring.hash_key.bytes().size(), crypto::kAeadKeyBytes);
  EXPECT_NE(ring.hash_key.bytes(), dek);

  DataKeys other(db_->db(), *kms_, clock_);  // another instance, nothing cached
  EXPECT_EQ(other.Decrypt(Email(kTenantA, "u1"), c).value(), "ada@example.com");
  TF_ASSERT_OK_AND_ASSIGN(DataKeyRing b, other.Ring(kTenantB));
  EXPECT_NE(std::string(b.keys.at(1).bytes()), dek) << "each tenant has its own key";
  EXPECT_EQ(keys_->Decrypt(Email(kTenantB, "u1"), c).status().code(), absl::StatusCode::kDataLoss)
      << "another tenant's key and context";
}

TEST_P(DataKeysTest, RotationAndRetirementKeepNewValuesReadableEverywhere) {
  std::string v1 = keys_->Encrypt(Email(kTenantA, "u1"), "old").value();
  DataKeys other(db_->db(), *kms_, clock_);
  ASSERT_TRUE(other.Ring(kTenantA).ok());  // caches version 1 only

  TF_ASSERT_OK_AND_ASSIGN(int v, keys_->Rotate(kTenantA));
  EXPECT_EQ(v, 2);
  std::string v2 = keys_->Encrypt(Email(kTenantA, "u2"), "new").value();
  EXPECT_TRUE(v2.starts_with("tfenc:v2:")) << "new values use the new version";
  EXPECT_EQ(keys_->Decrypt(Email(kTenantA, "u1"), v1).value(), "old");
  EXPECT_EQ(other.Decrypt(Email(kTenantA, "u2"), v2).value(), "new") << "the other instance reloads its ring";

  EXPECT_EQ(keys_->Retire(kTenantA, 3).code(), absl::StatusCode::kInvalidArgument) << "beyond the latest";
  TF_ASSERT_OK(keys_->Retire(kTenantA, 2));
  EXPECT_EQ(keys_->Decrypt(Email(kTenantA, "u1"), v1).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(keys_->Decrypt(Email(kTenantA, "u2"), v2).value(), "new");
  EXPECT_EQ(keys_->Retire(kTenantA, 1).code(), absl::StatusCode::kInvalidArgument) << "no going back";
}

TEST_P(DataKeysTest, ARotationCommitsWithWhatGoesWithItOrNotAtAll) {
  ASSERT_TRUE(keys_->Ring(kTenantA).ok());
  int seen = 0;
  auto fails = [&](store::Transaction&, int version) {
    seen = version;
    return absl::UnavailableError("the audit record could not be written");
  };
  EXPECT_EQ(keys_->Rotate(kTenantA, fails).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(seen, 2);
  TF_ASSERT_OK_AND_ASSIGN(auto stored, keys_->Stored(kTenantA));
  ASSERT_TRUE(stored.first.has_value());
  EXPECT_EQ(stored.first->latest_version, 1) << "the new version went with the failed record";

  TF_ASSERT_OK_AND_ASSIGN(int v, keys_->Rotate(kTenantA, [&](store::Transaction& tx, int version) {
    return tx.Exec("INSERT INTO leases (name, holder, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, 0, 0)",
                   {"rotation-test", "test", int64_t{version}})
        .status();
  }));
  EXPECT_EQ(v, 2);
  TF_ASSERT_OK_AND_ASSIGN(store::Rows rows, db_->db().InTx(store::ReadTx(), [](store::Transaction& tx) {
    return tx.Query("SELECT acquired_at FROM leases WHERE name = 'rotation-test'", {});
  }));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Int(0), 2);
}

TEST_P(DataKeysTest, AKekRotationThenARewrapLetsTheOldKekRetire) {
  std::vector<std::pair<FieldContext, std::string>> values;
  for (const char* tenant : {kTenantA, kTenantB}) {
    ASSERT_TRUE(keys_->Rotate(tenant).ok());  // two data keys each
    FieldContext where = Email(tenant, "u1");
    values.emplace_back(where, keys_->Encrypt(where, tenant).value());
  }
  TF_ASSERT_OK_AND_ASSIGN(int kek, kms_->Rotate());
  ASSERT_EQ(kek, 2);
  std::vector<int64_t> progress;
  TF_ASSERT_OK_AND_ASSIGN(RewrapResult result,
                          keys_->RewrapAll(3, [&](int64_t done) { progress.push_back(done); }));
  EXPECT_EQ(result.rewrapped, 6) << "two data keys and the keyed-hash key of each tenant";
  EXPECT_EQ(result.kek_version, 2);
  EXPECT_EQ(progress, (std::vector<int64_t>{3, 6, 6}));
  for (const char* tenant : {kTenantA, kTenantB}) {
    for (const StoredDataKey& k : Stored(tenant)) {
      EXPECT_EQ(k.kek_version, 2);
      EXPECT_TRUE(k.wrapped.starts_with("local:v2:"));
      EXPECT_TRUE(k.rewrapped_at);
    }
  }
  TF_ASSERT_OK(kms_->SetMinDecryptionVersion(2));
  DataKeys fresh(db_->db(), *kms_, clock_);
  for (const auto& [where, c] : values) EXPECT_EQ(fresh.Decrypt(where, c).value(), where.tenant_id);
  TF_ASSERT_OK_AND_ASSIGN(RewrapResult again, keys_->RewrapAll());
  EXPECT_EQ(again.rewrapped, 0) << "nothing left under the old version";
}

TEST_P(DataKeysTest, AWrappedKeyMovedToAnotherTenantDoesNotOpen) {
  ASSERT_TRUE(keys_->Ring(kTenantA).ok());
  ASSERT_TRUE(keys_->Ring(kTenantB).ok());
  std::string a_wrapped = Stored(kTenantA).at(0).wrapped;
  TF_ASSERT_OK(db_->owner_db()
                   .InTx(store::WriteTx(),
                         [&](store::Transaction& tx) {
                           return tx.Exec("UPDATE secrets_data_keys SET wrapped = ? WHERE tenant_id = ?",
                                          {a_wrapped, std::string(kTenantB)});
                         })
                   .status());
  DataKeys fresh(db_->db(), *kms_, clock_);
  absl::StatusOr<DataKeyRing> ring = fresh.Ring(kTenantB);
  EXPECT_EQ(ring.status().code(), absl::StatusCode::kDataLoss) << ring.status();
  EXPECT_NE(ring.status().message().find(kTenantB), std::string_view::npos);
}

TEST_P(DataKeysTest, InstancesAskingForANewTenantsKeyAtOnceAllGetTheSameOne) {
  constexpr int kInstances = 6;
  std::vector<std::unique_ptr<store::Database>> handles;
  for (int i = 0; i < kInstances; ++i) handles.push_back(db_->OpenAnother(2).value());
  std::vector<absl::StatusOr<DataKeyRing>> rings(kInstances, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] { rings[i] = DataKeys(*handles[i], *kms_, clock_).Ring(kTenantA); });
  }
  for (auto& t : threads) t.join();
  for (const auto& ring : rings) {
    ASSERT_TRUE(ring.ok()) << ring.status();
    ASSERT_EQ(ring->keys.size(), 1u);
    EXPECT_EQ(ring->keys.at(1).bytes(), rings[0]->keys.at(1).bytes());
    EXPECT_EQ(ring->hash_key.bytes(), rings[0]->hash_key.bytes());
  }
  EXPECT_EQ(Stored(kTenantA).size(), 2u);
}

TEST_P(DataKeysTest, ARunningInstanceFollowsRotationsAndRetirementsMadeElsewhere) {
  FieldContext where = Email(kTenantA, "u1");
  TF_ASSERT_OK_AND_ASSIGN(std::string first, keys_->Encrypt(where, "ada@example.com"));
  EXPECT_TRUE(first.starts_with("tfenc:v1:"));
  DataKeys elsewhere(db_->db(), *kms_, clock_);  // trustctl keys, or another instance
  TF_ASSERT_OK_AND_ASSIGN(int v2, elsewhere.Rotate(kTenantA));
  ASSERT_EQ(v2, 2);
  clock_.Advance(DataKeys::kRingCheckInterval + std::chrono::seconds(1));
  TF_ASSERT_OK_AND_ASSIGN(std::string second, keys_->Encrypt(where, "ada@example.com"));
  EXPECT_TRUE(second.starts_with("tfenc:v2:")) << "new values use the new version: " << second;
  EXPECT_EQ(keys_->Decrypt(where, first).value(), "ada@example.com");

  TF_ASSERT_OK(elsewhere.Retire(kTenantA, 2));
  clock_.Advance(DataKeys::kRingCheckInterval + std::chrono::seconds(1));
  EXPECT_EQ(keys_->Decrypt(where, first).status().code(), absl::StatusCode::kFailedPrecondition)
      << "a retired version is refused here too";
  EXPECT_EQ(keys_->Decrypt(where, second).value(), "ada@example.com");
}

TEST_P(DataKeysTest, KeyedHashesDependOnTenantAndPurposeAndOutliveRotations) {
  TF_ASSERT_OK_AND_ASSIGN(std::string h, keys_->KeyedHash(kTenantA, "users.email", "ada@example.com"));
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(h, crypto::Sha256Hex("ada@example.com")) << "keyed, not a plain hash";
  EXPECT_NE(keys_->KeyedHash(kTenantB, "users.email", "ada@example.com").value(), h);
  EXPECT_NE(keys_->KeyedHash(kTenantA, "users.name", "ada@example.com").value(), h);
  EXPECT_NE(keys_->KeyedHash(kTenantA, "users.email", "bob@example.com").value(), h);

  ASSERT_TRUE(keys_->Rotate(kTenantA).ok());
  ASSERT_TRUE(kms_->Rotate().ok());
  ASSERT_TRUE(keys_->RewrapAll().ok());
  TF_ASSERT_OK(kms_->SetMinDecryptionVersion(2));
  TF_ASSERT_OK(keys_->Retire(kTenantA, 2));
  DataKeys another(db_->db(), *kms_, clock_);
  EXPECT_EQ(another.KeyedHash(kTenantA, "users.email", "ada@example.com").value(), h)
      << "blind indexes and fingerprints stay valid across key rotations";
}

TF_INSTANTIATE_BACKENDS(DataKeysTest);

}  // namespace
}  // namespace tf::secrets
