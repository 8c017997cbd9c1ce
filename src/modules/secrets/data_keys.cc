#include "modules/secrets/data_keys.h"

#include <sodium.h>

#include <tuple>

#include "core/crypto.h"
#include "core/status.h"
#include "core/strings.h"

namespace tf::secrets {

namespace {

//! The data key version that holds the tenant's keyed-hash key.
constexpr int kHashKeyVersion = 0;

}  // namespace

std::string DataKeys::WrapContext(std::string_view tenant_id, int version) {
  return StrCat("dek/", tenant_id, "/", version);
}

absl::StatusOr<StoredDataKey> DataKeys::NewKey(const std::string& tenant_id, int version) {
  std::string dek = crypto::RandomBytes(crypto::kAeadKeyBytes);
  absl::StatusOr<std::string> wrapped = kms_.Wrap(dek, WrapContext(tenant_id, version));
  sodium_memzero(dek.data(), dek.size());
  if (!wrapped.ok()) return wrapped.status();
  TF_ASSIGN_OR_RETURN(VersionedText kek, ParseVersioned(*wrapped, kms_.Status().wrap_prefix));
  return StoredDataKey{tenant_id, version, *wrapped, kek.version, clock_.NowMicros(), std::nullopt};
}

absl::StatusOr<int> DataKeys::AddVersion(const std::string& tenant_id, int version, const InRotation& also) {
  TF_ASSIGN_OR_RETURN(StoredDataKey key, NewKey(tenant_id, version));
  return db_.InTx(store::WriteTx(tenant_id).Retryable(), [&](store::Transaction& tx) -> absl::StatusOr<int> {
    TF_ASSIGN_OR_RETURN(std::optional<KeyState> state, repo_.State(tx, tenant_id));
    int expected = state ? state->latest_version + 1 : 1;
    if (version != expected) return expected - 1;  // another writer got there first
    TF_ASSIGN_OR_RETURN(bool inserted, repo_.InsertDataKey(tx, key));
    if (!inserted) return absl::AbortedError("the data key version was taken meanwhile");
    TF_RETURN_IF_ERROR(
        repo_.PutState(tx, {tenant_id, version, state ? state->min_decryption_version : 1, key.created_at}));
    if (also) TF_RETURN_IF_ERROR(also(tx, version));
    return version;
  });
}

absl::StatusOr<DataKeyRing> DataKeys::Load(const std::string& tenant_id) {
  std::optional<KeyState> state;
  std::vector<StoredDataKey> stored;
  auto read = [&]() -> absl::Status {
    TF_ASSIGN_OR_RETURN(auto both, Stored(tenant_id));
    std::tie(state, stored) = std::move(both);
    return absl::OkStatus();
  };
  TF_RETURN_IF_ERROR(read());
  if (!state) {
    TF_RETURN_IF_ERROR(AddVersion(tenant_id, 1).status());
    TF_RETURN_IF_ERROR(read());
    if (!state) return absl::InternalError("the tenant's first data key was not stored");
  }
  if (stored.empty() || stored.front().version != kHashKeyVersion) {
    TF_ASSIGN_OR_RETURN(StoredDataKey key, NewKey(tenant_id, kHashKeyVersion));
    // Another instance may have stored one meanwhile: the first stored is the key.
    TF_RETURN_IF_ERROR(db_.InTx(store::WriteTx(tenant_id).Retryable(), [&](store::Transaction& tx) {
                            return repo_.InsertDataKey(tx, key).status();
                          }));
    TF_RETURN_IF_ERROR(read());
  }
  DataKeyRing ring;
  ring.latest = state->latest_version;
  ring.min_decryption_version = state->min_decryption_version;
  for (const StoredDataKey& k : stored) {
    absl::StatusOr<std::string> dek = kms_.Unwrap(k.wrapped, WrapContext(tenant_id, k.version));
    if (!dek.ok()) {
      return absl::Status(dek.status().code(), StrCat("data key v", k.version, " of tenant ", tenant_id, ": ",
                                                      dek.status().message()));
    }
    if (k.version == kHashKeyVersion) ring.hash_key = SecretKey(std::move(*dek));
    else ring.keys[k.version] = SecretKey(std::move(*dek));
  }
  return ring;
}

absl::StatusOr<DataKeyRing> DataKeys::Ring(const std::string& tenant_id) {
  int64_t now = clock_.NowMicros();
  std::optional<DataKeyRing> cached;
  {
    std::lock_guard lock(mu_);
    if (auto it = rings_.find(tenant_id); it != rings_.end()) {
      if (now - it->second.checked_at < std::chrono::microseconds(kRingCheckInterval).count()) return it->second.ring;
      cached = it->second.ring;
    }
  }
  if (cached) {
    // Another process (trustctl keys, another instance) may have rotated or retired a version.
    TF_ASSIGN_OR_RETURN(std::optional<KeyState> state, db_.InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx) {
                          return repo_.State(tx, tenant_id);
                        }));
    if (state && state->latest_version == cached->latest &&
        state->min_decryption_version == cached->min_decryption_version) {
      std::lock_guard lock(mu_);
      rings_[tenant_id] = {*cached, now};
      return *cached;
    }
  }
  TF_ASSIGN_OR_RETURN(DataKeyRing ring, Load(tenant_id));
  std::lock_guard lock(mu_);
  rings_[tenant_id] = {ring, now};
  return ring;
}

void DataKeys::Forget(const std::string& tenant_id) {
  std::lock_guard lock(mu_);
  rings_.erase(tenant_id);
}

absl::StatusOr<std::string> DataKeys::Encrypt(const FieldContext& where, std::string_view plaintext) {
  TF_ASSIGN_OR_RETURN(DataKeyRing ring, Ring(std::string(where.tenant_id)));
  return EncryptField(ring, where, plaintext);
}

absl::StatusOr<std::string> DataKeys::Decrypt(const FieldContext& where, std::string_view ciphertext) {
  std::string tenant(where.tenant_id);
  TF_ASSIGN_OR_RETURN(DataKeyRing ring, Ring(tenant));
  absl::StatusOr<VersionedText> parsed = ParseVersioned(ciphertext, kFieldPrefix);
  if (parsed.ok() && !ring.keys.contains(parsed->version)) {
    Forget(tenant);  // rotated by another instance since this one loaded the ring
    TF_ASSIGN_OR_RETURN(ring, Ring(tenant));
  }
  return DecryptField(ring, where, ciphertext);
}

absl::StatusOr<std::pair<std::optional<KeyState>, std::vector<StoredDataKey>>> DataKeys::Stored(
    const std::string& tenant_id) {
  std::pair<std::optional<KeyState>, std::vector<StoredDataKey>> out;
  TF_RETURN_IF_ERROR(db_.InTx(store::ReadTx(tenant_id), [&](store::Transaction& tx) -> absl::Status {
    TF_ASSIGN_OR_RETURN(out.first, repo_.State(tx, tenant_id));
    TF_ASSIGN_OR_RETURN(out.second, repo_.DataKeys(tx, tenant_id));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::string> DataKeys::KeyedHash(const std::string& tenant_id, std::string_view purpose,
                                                std::string_view value) {
  TF_ASSIGN_OR_RETURN(DataKeyRing ring, Ring(tenant_id));
  return crypto::HexEncode(crypto::HmacSha256(ring.hash_key.bytes(), StrCat(purpose.size(), ":", purpose, ";", value)));
}

absl::StatusOr<int> DataKeys::Rotate(const std::string& tenant_id, const InRotation& also) {
  TF_ASSIGN_OR_RETURN(DataKeyRing ring, Load(tenant_id));
  TF_ASSIGN_OR_RETURN(int version, AddVersion(tenant_id, ring.latest + 1, also));
  if (version != ring.latest + 1)
    return absl::AbortedError("another rotation of this tenant's data key ran meanwhile");
  Forget(tenant_id);
  return version;
}

absl::Status DataKeys::Retire(const std::string& tenant_id, int min_version) {
  TF_RETURN_IF_ERROR(
      db_.InTx(store::WriteTx(tenant_id).Retryable(), [&](store::Transaction& tx) -> absl::Status {
        TF_ASSIGN_OR_RETURN(std::optional<KeyState> state, repo_.State(tx, tenant_id));
        if (!state) return absl::NotFoundError("the tenant has no data keys");
        if (min_version < state->min_decryption_version || min_version > state->latest_version) {
          return absl::InvalidArgumentError(StrCat("min_decryption_version must be between ",
                                                   state->min_decryption_version, " and the latest version, ",
                                                   state->latest_version));
        }
        state->min_decryption_version = min_version;
        state->updated_at = clock_.NowMicros();
        return repo_.PutState(tx, *state);
      }));
  Forget(tenant_id);
  return absl::OkStatus();
}

absl::StatusOr<RewrapResult> DataKeys::RewrapAll(int batch, const std::function<void(int64_t)>& progress) {
  RewrapResult result;
  result.kek_version = kms_.Status().latest_version;
  std::pair<std::string, int> after{"", 0};
  for (;;) {
    std::pair<std::string, int> last = after;  // set by the transaction that commits
    TF_ASSIGN_OR_RETURN(
        int64_t done,
        db_.InTx(store::WriteTx().Retryable(), [&](store::Transaction& tx) -> absl::StatusOr<int64_t> {
          TF_ASSIGN_OR_RETURN(std::vector<StoredDataKey> keys,
                              repo_.WrappedBelow(tx, result.kek_version, after, batch));
          for (StoredDataKey& k : keys) {
            TF_ASSIGN_OR_RETURN(k.wrapped, kms_.Rewrap(k.wrapped, WrapContext(k.tenant_id, k.version)));
            k.kek_version = result.kek_version;
            k.rewrapped_at = clock_.NowMicros();
            TF_RETURN_IF_ERROR(repo_.Rewrapped(tx, k));
            last = {k.tenant_id, k.version};
          }
          return static_cast<int64_t>(keys.size());
        }));
    after = last;
    result.rewrapped += done;
    if (progress) progress(result.rewrapped);
    if (done < batch) return result;
  }
}

}  // namespace tf::secrets
