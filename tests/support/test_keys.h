#pragma once
// Test support: the keys a service encrypts with, for a test database on either backend: a
// local KEK in a new temporary directory, each tenant's data keys in the test's database, a
// fresh personal-data key store on the same backend and PersonalData over them. The directory
// and the key store are removed afterwards.
// Thread-safety: like the parts it holds.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "modules/secrets/data_keys.h"
#include "modules/secrets/keyring.h"
#include "modules/secrets/personal_data.h"
#include "modules/secrets/reencrypt.h"
#include "support/test_database.h"

namespace tf::testing {

class TestKeys {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TestKeys>> Create(Backend backend, store::Database& db,
                                                                        const Clock& clock);
  ~TestKeys();
  TestKeys(const TestKeys&) = delete;
  TestKeys& operator=(const TestKeys&) = delete;

  secrets::LocalKms& kms() { return *kms_; }
  secrets::DataKeys& data_keys() { return *data_keys_; }
  secrets::PersonalData& personal() { return *personal_; }
  TestDatabase& key_store() { return *key_store_; }
  secrets::Stores stores() { return {db_, key_store_->db()}; }
  //! The temporary directory (the KEK file is "kek" in it).
  const std::string& dir() const { return dir_; }

 private:
  explicit TestKeys(store::Database& db) : db_(db) {}

  store::Database& db_;
  std::string dir_;
  std::unique_ptr<TestDatabase> key_store_;
  std::unique_ptr<secrets::LocalKms> kms_;
  std::unique_ptr<secrets::DataKeys> data_keys_;
  std::unique_ptr<secrets::PersonalData> personal_;
};

}  // namespace tf::testing
