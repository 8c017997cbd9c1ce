// Tests of PersonalData on both backends: values sealed under a per-person key kept in a key
// store apart from the database; the key is stored only encrypted under the tenant's data key;
// a sealed value moved to another row, column, tenant or person does not open; erasure leaves
// a tombstone, after which nothing of the person opens (in any instance, once its cache
// expires) and no key can be made again; a data key rotation re-encrypts the subject keys;
// blind indexes are stable, keyed and separated by purpose.

#include "modules/secrets/personal_data.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "core/crypto.h"
#include "modules/secrets/reencrypt.h"
#include "support/status_macros.h"
#include "support/test_database.h"
#include "support/test_keys.h"
#include "unit/store/test_db.h"

namespace tf::secrets {
namespace {

using tf::testing::Backend;
using tf::testing::TestDatabase;

using store::testing::kTenantA;
using store::testing::kTenantB;
constexpr char kAda[] = "0190f000-0000-7000-8000-0000000000a1";
constexpr char kBob[] = "0190f000-0000-7000-8000-0000000000b1";

class PersonalDataTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    TF_ASSERT_OK_AND_ASSIGN(db_, TestDatabase::Create(GetParam(), clock_));
    TF_ASSERT_OK_AND_ASSIGN(test_keys_, tf::testing::TestKeys::Create(GetParam(), db_->db(), clock_));
    key_store_ = &test_keys_->key_store();
    keys_ = &test_keys_->data_keys();
    personal_ = &test_keys_->personal();
  }

  static FieldContext Email(const char* tenant, const char* row) { return {tenant, "users", "email", row}; }

  //! The stored key store row: wrapped key (or "NULL") and whether it has a tombstone.
  std::pair<std::string, bool> KeyRow(const char* tenant, const char* subject) {
    store::Rows rows = key_store_->owner_db()
                           .InTx(store::ReadTx(), [&](store::Transaction& tx) {
                             return tx.Query("SELECT wrapped_key, erased_at FROM subject_keys "
                                             "WHERE tenant_id = ? AND subject_id = ?",
                                             {std::string(tenant), std::string(subject)});
                           })
                           .value();
    if (rows.empty()) return {"", false};
    return {rows[0].IsNull(0) ? "NULL" : rows[0].Text(0), !rows[0].IsNull(1)};
  }

  FakeClock clock_{store::testing::TestEpoch()};
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<tf::testing::TestKeys> test_keys_;
  TestDatabase* key_store_ = nullptr;
  DataKeys* keys_ = nullptr;
  PersonalData* personal_ = nullptr;
};

TEST_P(PersonalDataTest, SealedValuesOpenWithThePersonsKeyStoredOnlyEncryptedInTheKeyStore) {
  TF_ASSERT_OK_AND_ASSIGN(std::string sealed, personal_->Seal(Email(kTenantA, kAda), kAda, "ada@example.com"));
  EXPECT_TRUE(sealed.starts_with(std::string("tfpd:") + kAda + ":")) << sealed;
  EXPECT_FALSE(absl::StrContains(sealed, "ada@example.com"));
  EXPECT_TRUE(PersonalData::IsSealed(sealed));
  EXPECT_EQ(PersonalData::SubjectOf(sealed), kAda);
  TF_ASSERT_OK_AND_ASSIGN(std::string again, personal_->Seal(Email(kTenantA, kAda), kAda, "ada@example.com"));
  EXPECT_NE(sealed, again) << "a fresh nonce each time";

  EXPECT_EQ(personal_->Open(Email(kTenantA, kAda), sealed).value(), "ada@example.com");
  auto [wrapped, erased] = KeyRow(kTenantA, kAda);
  EXPECT_TRUE(wrapped.starts_with("tfenc:v1:")) << "under the tenant's data key: " << wrapped;
  EXPECT_FALSE(erased);

  // Another instance (nothing cached) opens it from the stored key.
  PersonalData other(key_store_->db(), *keys_, clock_);
  EXPECT_EQ(other.Open(Email(kTenantA, kAda), sealed).value(), "ada@example.com");
}

TEST_P(PersonalDataTest, ASealedValueMovedAnywhereElseDoesNotOpen) {
  TF_ASSERT_OK_AND_ASSIGN(std::string sealed, personal_->Seal(Email(kTenantA, kAda), kAda, "ada@example.com"));
  TF_ASSERT_OK(personal_->Seal(Email(kTenantB, kAda), kAda, "x").status());
  TF_ASSERT_OK(personal_->Seal(Email(kTenantA, kBob), kBob, "x").status());
  EXPECT_EQ(personal_->Open(Email(kTenantA, kBob), sealed).status().code(), absl::StatusCode::kDataLoss)
      << "another row";
  EXPECT_EQ(personal_->Open({kTenantA, "users", "display_name", kAda}, sealed).status().code(),
            absl::StatusCode::kDataLoss)
      << "another column";
  EXPECT_EQ(personal_->Open(Email(kTenantB, kAda), sealed).status().code(), absl::StatusCode::kDataLoss)
      << "another tenant";
  std::string as_bob = sealed;
  as_bob.replace(5, std::string(kAda).size(), kBob);
  EXPECT_EQ(personal_->Open(Email(kTenantA, kAda), as_bob).status().code(), absl::StatusCode::kDataLoss)
      << "another person's key";
  std::string tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(personal_->Open(Email(kTenantA, kAda), tampered).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(personal_->Open(Email(kTenantA, kAda), "ada@example.com").status().code(), absl::StatusCode::kDataLoss)
      << "plaintext where a sealed value belongs";
  EXPECT_EQ(personal_->Open(Email(kTenantA, kAda), "tfpd:unknown-person:AAAA").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(personal_->Seal(Email(kTenantA, kAda), "a:b", "x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(PersonalDataTest, ErasureDestroysTheKeySoNothingOfThePersonOpensAnywhere) {
  TF_ASSERT_OK_AND_ASSIGN(std::string ada, personal_->Seal(Email(kTenantA, kAda), kAda, "ada@example.com"));
  TF_ASSERT_OK_AND_ASSIGN(std::string bob, personal_->Seal(Email(kTenantA, kBob), kBob, "bob@example.com"));
  PersonalData other(key_store_->db(), *keys_, clock_);  // another instance, with Ada's key cached
  ASSERT_EQ(other.Open(Email(kTenantA, kAda), ada).value(), "ada@example.com");

  TF_ASSERT_OK_AND_ASSIGN(bool erased, personal_->Erase(kTenantA, kAda));
  EXPECT_TRUE(erased);
  EXPECT_FALSE(personal_->Erase(kTenantA, kAda).value()) << "once";
  EXPECT_EQ(KeyRow(kTenantA, kAda), std::make_pair(std::string("NULL"), true)) << "a tombstone, no key";

  absl::Status here = personal_->Open(Email(kTenantA, kAda), ada).status();
  EXPECT_TRUE(PersonalData::IsErased(here)) << here;
  clock_.Advance(PersonalData::kCacheTtl);
  absl::Status there = other.Open(Email(kTenantA, kAda), ada).status();
  EXPECT_TRUE(PersonalData::IsErased(there)) << "the other instance, once its cache expired: " << there;
  PersonalData fresh(key_store_->db(), *keys_, clock_);
  EXPECT_TRUE(PersonalData::IsErased(fresh.Open(Email(kTenantA, kAda), ada).status()));

  absl::Status again = personal_->Seal(Email(kTenantA, kAda), kAda, "ada@new.example").status();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << "no new key for an erased person: " << again;
  EXPECT_EQ(personal_->Open(Email(kTenantA, kBob), bob).value(), "bob@example.com") << "others untouched";

  // A person erased before any of their data was sealed gets a tombstone too.
  TF_ASSERT_OK_AND_ASSIGN(bool never, personal_->Erase(kTenantB, kBob));
  EXPECT_TRUE(never);
  EXPECT_EQ(personal_->Seal(Email(kTenantB, kBob), kBob, "x").status().code(), absl::StatusCode::kFailedPrecondition);

  TF_ASSERT_OK_AND_ASSIGN(std::vector<ErasedSubject> tombstones, personal_->ErasedAfter({}, 10));
  ASSERT_EQ(tombstones.size(), 2u);
  EXPECT_EQ(tombstones[0].subject_id, kAda);
  EXPECT_EQ(tombstones[1].subject_id, kBob);
  TF_ASSERT_OK_AND_ASSIGN(std::vector<ErasedSubject> after_first, personal_->ErasedAfter(tombstones[0], 10));
  ASSERT_EQ(after_first.size(), 1u);
  EXPECT_EQ(after_first[0].tenant_id, kTenantB);
}

TEST_P(PersonalDataTest, ADataKeyRotationReencryptsSubjectKeysAndSealedValuesStillOpen) {
  TF_ASSERT_OK_AND_ASSIGN(std::string ada, personal_->Seal(Email(kTenantA, kAda), kAda, "ada@example.com"));
  TF_ASSERT_OK_AND_ASSIGN(std::string bob, personal_->Seal(Email(kTenantA, kBob), kBob, "bob@example.com"));
  TF_ASSERT_OK_AND_ASSIGN(int v2, keys_->Rotate(kTenantA));
  Reencryptor reencryptor(Stores{db_->db(), key_store_->db()}, *keys_);
  EXPECT_EQ(reencryptor.Remaining(kTenantA, v2).value(), 2) << "both subject keys are under v1";
  TF_ASSERT_OK_AND_ASSIGN(std::vector<ReencryptResult> results, reencryptor.Run(std::string(kTenantA)));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].reencrypted, 2);
  EXPECT_EQ(results[0].remaining, 0);
  EXPECT_TRUE(KeyRow(kTenantA, kAda).first.starts_with("tfenc:v2:"));
  TF_ASSERT_OK(keys_->Retire(kTenantA, v2));

  PersonalData fresh(key_store_->db(), *keys_, clock_);
  EXPECT_EQ(fresh.Open(Email(kTenantA, kAda), ada).value(), "ada@example.com");
  EXPECT_EQ(fresh.Open(Email(kTenantA, kBob), bob).value(), "bob@example.com");
}

TEST_P(PersonalDataTest, BlindIndexesAreStableKeyedAndSeparatedByPurpose) {
  TF_ASSERT_OK_AND_ASSIGN(std::string a, personal_->BlindIndex("users.email", "ada@example.com"));
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(personal_->BlindIndex("users.email", "ada@example.com").value(), a);
  PersonalData other(key_store_->db(), *keys_, clock_);
  EXPECT_EQ(other.BlindIndex("users.email", "ada@example.com").value(), a) << "the same in every instance";
  EXPECT_NE(personal_->BlindIndex("users.email", "bob@example.com").value(), a);
  EXPECT_NE(personal_->BlindIndex("audit.email", "ada@example.com").value(), a);
  EXPECT_NE(a, crypto::Sha256Hex("ada@example.com")) << "keyed, not a plain hash";
}

TF_INSTANTIATE_BACKENDS(PersonalDataTest);

}  // namespace
}  // namespace tf::secrets
