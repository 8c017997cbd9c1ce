#pragma once
// Persistence of the keyring's data keys through store::Database only: wrapped DEK versions
// per tenant and each tenant's latest and minimum decryption versions.
// Thread-safety: stateless; each call runs in the caller's transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/database.h"

namespace tf::secrets {

struct StoredDataKey {
  std::string tenant_id;
  int version = 0;
  std::string wrapped;
  int kek_version = 0;
  int64_t created_at = 0;
  std::optional<int64_t> rewrapped_at;
};

struct KeyState {
  std::string tenant_id;
  int latest_version = 0;
  int min_decryption_version = 1;
  int64_t updated_at = 0;
};

class SecretsRepo {
 public:
  using Tx = store::Transaction;

  //! False when the tenant already has that version (another writer created it first).
  absl::StatusOr<bool> InsertDataKey(Tx& tx, const StoredDataKey& key);
  //! The tenant's data keys, oldest first.
  absl::StatusOr<std::vector<StoredDataKey>> DataKeys(Tx& tx, const std::string& tenant_id);
  absl::StatusOr<std::optional<KeyState>> State(Tx& tx, const std::string& tenant_id);
  absl::Status PutState(Tx& tx, const KeyState& state);
  //! Every tenant's state, by tenant id.
  absl::StatusOr<std::vector<KeyState>> States(Tx& tx);
  //! Up to `limit` keys wrapped by a KEK version below `kek_version`, in (tenant, version)
  //! order after `after` (tenant, version).
  absl::StatusOr<std::vector<StoredDataKey>> WrappedBelow(Tx& tx, int kek_version,
                                                          const std::pair<std::string, int>& after,
                                                          int limit);
  absl::Status Rewrapped(Tx& tx, const StoredDataKey& key);
  //! How many keys each KEK version wraps.
  absl::StatusOr<std::vector<std::pair<int, int64_t>>> CountByKekVersion(Tx& tx);
};

}  // namespace tf::secrets
