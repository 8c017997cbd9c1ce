#pragma once
// How identity keeps people's data. A user's email and display name, and the names of the API
// tokens they create, are sealed under the user's own key (secrets::PersonalData): erasing the
// user makes them unreadable in every copy. The email is found again through its blind index
// (users.email_index), never by decrypting. Rows hold the sealed values; services seal before
// and open after their transactions, because both reach the key store and the data keys.
// TOTP secrets are encrypted under the tenant's data key, bound to the user's factor row.
// A value written before sealing existed opens as it is (the start-up backfill seals it).
// Thread-safety: safe from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/status.h"
#include "modules/identity/account_types.h"
#include "modules/identity/identity_types.h"
#include "modules/secrets/personal_data.h"

namespace tf::identity {

class PersonalFields {
 public:
  explicit PersonalFields(secrets::PersonalData& data) : data_(data), keys_(data.data_keys()) {}

  //! What an erased person's fields read as.
  static constexpr std::string_view kErased = secrets::kErasedText;

  //! The blind index of a normalized email address.
  absl::StatusOr<std::string> EmailIndex(std::string_view email);
  //! Seals the user's plaintext email and display name in place and sets the email index.
  absl::Status Seal(User& u);
  //! `display_name` sealed for the user.
  absl::StatusOr<std::string> SealDisplayName(const User& u, std::string_view display_name);
  //! Seals the token's plaintext name in place, under its creator's key.
  absl::Status Seal(ApiToken& t);

  //! Opens the fields in place; an erased person's (the user erased, or their key destroyed)
  //! read as kErased.
  absl::Status Open(User& u);
  absl::Status Open(ApiToken& t);
  template <typename T>
  absl::Status Open(std::vector<T>& items) {
    for (T& item : items) TF_RETURN_IF_ERROR(Open(item));
    return absl::OkStatus();
  }

  //! The factor's base32 secret encrypted for the store.
  absl::StatusOr<std::string> EncryptTotpSecret(const TotpFactor& f, std::string_view secret);
  //! The stored factor's secret in the clear.
  absl::StatusOr<std::string> DecryptTotpSecret(const TotpFactor& f);
  static bool IsEncrypted(std::string_view value);

  //! Destroys the user's key (their sealed values become unreadable everywhere).
  absl::StatusOr<bool> Erase(const User& u) { return data_.Erase(u.tenant_id, u.id); }
  //! The people erased (their keys destroyed), in order after `after`.
  absl::StatusOr<std::vector<secrets::ErasedSubject>> ErasedAfter(const secrets::ErasedSubject& after, int limit) {
    return data_.ErasedAfter(after, limit);
  }

  static bool IsSealed(std::string_view value) { return secrets::PersonalData::IsSealed(value); }

 private:
  absl::Status OpenField(std::string& value, const secrets::FieldContext& where);

  secrets::PersonalData& data_;
  secrets::DataKeys& keys_;
};

}  // namespace tf::identity
