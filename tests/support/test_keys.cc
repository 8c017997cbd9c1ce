#include "support/test_keys.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "core/status.h"
#include "core/strings.h"

namespace tf::testing {

absl::StatusOr<std::unique_ptr<TestKeys>> TestKeys::Create(Backend backend, store::Database& db, const Clock& clock) {
  static std::atomic<int> counter{0};
  std::unique_ptr<TestKeys> k(new TestKeys(db));
  k->dir_ = StrCat(::testing::TempDir(), "/tf-keys-", ::getpid(), "-", counter++);
  std::filesystem::remove_all(k->dir_);
  std::filesystem::create_directories(k->dir_);
  TF_ASSIGN_OR_RETURN(k->key_store_, TestDatabase::Create(backend, clock, secrets::SubjectKeyStoreSpec().migrations));
  TF_ASSIGN_OR_RETURN(k->kms_, secrets::LocalKms::FromFile(k->dir_ + "/kek", clock));
  k->data_keys_ = std::make_unique<secrets::DataKeys>(db, *k->kms_, clock);
  k->personal_ = std::make_unique<secrets::PersonalData>(k->key_store_->db(), *k->data_keys_, clock);
  return k;
}

TestKeys::~TestKeys() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace tf::testing
