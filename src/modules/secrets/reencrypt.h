#pragma once
// The encrypted columns, and their re-encryption after a data key rotation.
//  - EncryptedColumns(): THE list of encrypted columns: the store and table, the column, the
//    SQL expression giving the row id each value is bound to (FieldContext::row_id), and what
//    the values are. A module that encrypts a column adds it here; the encryption status
//    and the re-encryption read it.
//  - Reencryptor: moves values under older data key versions to the tenant's latest, in
//    batches (one transaction each; a value changed meanwhile is left for the next pass),
//    with progress, so that the older versions can then be retired. It runs every minute in
//    trustd (task secrets.reencrypt) and on demand as `trustctl keys reencrypt`.
// Thread-safety: safe from any thread; concurrent runs each change a value at most once.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "modules/secrets/data_keys.h"
#include "store/database.h"

namespace tf::secrets {

//! kKeyStore: the personal-data key store (PersonalData), apart from the database.
enum class ColumnStore { kDatabase, kKeyStore };

struct EncryptedColumn {
  std::string table, column;
  std::string row_sql;                   //!< SQL giving the row id the values are bound to
  std::vector<std::string> key_columns;  //!< the table's primary key (besides tenant_id), for updates
  std::string holds;                     //!< what the values are, for people
  ColumnStore store = ColumnStore::kDatabase;
};

const std::vector<EncryptedColumn>& EncryptedColumns();

//! The database and the personal-data key store, where EncryptedColumns live.
struct Stores {
  store::Database& db;
  store::Database& key_store;
  store::Database& Of(const EncryptedColumn& c) const { return c.store == ColumnStore::kKeyStore ? key_store : db; }
};

struct ReencryptResult {
  std::string tenant_id;
  int latest_version = 0;
  int64_t reencrypted = 0;
  int64_t failed = 0;     //!< values that did not decrypt (tampered, or under a retired version)
  //! Values still under older versions afterwards; 0 without a live older version (nothing
  //! is then scanned, and a value under a retired version could not be moved anyway).
  int64_t remaining = 0;
};

class Reencryptor {
 public:
  Reencryptor(Stores stores, DataKeys& keys) : stores_(stores), keys_(keys) {}

  //! Re-encrypts the tenant's values (every tenant with data keys when nullopt; a tenant that
  //! fails is logged and left out of the results), at most `limit` per tenant (0 = all),
  //! `batch` per transaction; `progress(tenant, done)` after each batch.
  absl::StatusOr<std::vector<ReencryptResult>> Run(
      const std::optional<std::string>& tenant_id, int batch = 500, int64_t limit = 0,
      const std::function<void(const std::string&, int64_t)>& progress = {});
  //! How many of the tenant's values are under a version below `latest`.
  absl::StatusOr<int64_t> Remaining(const std::string& tenant_id, int latest);

 private:
  absl::StatusOr<ReencryptResult> RunTenant(const std::string& tenant_id, int batch, int64_t limit,
                                            const std::function<void(const std::string&, int64_t)>& progress);

  Stores stores_;
  DataKeys& keys_;
};

}  // namespace tf::secrets
