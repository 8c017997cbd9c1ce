#pragma once
// Persistence of the account-security tables (TOTP factors, recovery codes, pending sign-ins,
// devices, account events) through store::Database only. Tenant scope comes from the service.
// Thread-safety: stateless; each call runs in the caller's transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "modules/identity/account_types.h"
#include "store/database.h"

namespace tf::identity {

class AccountRepo {
 public:
  using Tx = store::Transaction;

  absl::StatusOr<TotpFactor> GetTotp(Tx& tx, const std::string& user_id);
  //! Replaces any factor the user had (an unconfirmed enrolment is simply started again).
  absl::Status PutTotp(Tx& tx, const TotpFactor& f);
  absl::Status ConfirmTotp(Tx& tx, const std::string& user_id, int64_t step, int64_t now);
  absl::Status DeleteTotp(Tx& tx, const std::string& user_id);
  //! Factors whose secret is not encrypted yet (stored before encryption existed).
  absl::StatusOr<std::vector<TotpFactor>> ListPlaintextTotp(Tx& tx, int limit);
  //! Stores the encrypted secret unless the factor changed since `before`.
  absl::StatusOr<bool> EncryptTotp(Tx& tx, const TotpFactor& before, const std::string& encrypted);
  //! Records `step` as used; false when a step at or after it was used already (a replay,
  //! also between two concurrent sign-ins with the same code).
  absl::StatusOr<bool> UseTotpStep(Tx& tx, const std::string& user_id, int64_t step);

  absl::Status ReplaceRecoveryCodes(Tx& tx, const std::string& tenant_id, const std::string& user_id,
                                    const std::vector<std::pair<std::string, std::string>>& ids_and_hashes,
                                    int64_t now);
  //! Marks the unused code with this hash used; false when there is none.
  absl::StatusOr<bool> UseRecoveryCode(Tx& tx, const std::string& user_id, const std::string& code_hash,
                                       int64_t now);
  absl::StatusOr<int64_t> CountUnusedRecoveryCodes(Tx& tx, const std::string& user_id);
  absl::Status DeleteRecoveryCodes(Tx& tx, const std::string& user_id);

  absl::Status InsertChallenge(Tx& tx, const LoginChallenge& c);
  absl::StatusOr<LoginChallenge> GetChallengeByTokenHash(Tx& tx, const std::string& token_hash);
  absl::Status UpdateChallenge(Tx& tx, const LoginChallenge& c);
  absl::Status DeleteChallenge(Tx& tx, const std::string& id);
  absl::StatusOr<int64_t> PurgeChallenges(Tx& tx, int64_t expired_before);

  absl::Status InsertDevice(Tx& tx, const Device& d);
  absl::StatusOr<Device> GetDeviceByToken(Tx& tx, const std::string& user_id, const std::string& token_hash);
  //! `tenant_scope` nullopt: any tenant.
  absl::StatusOr<Device> GetDevice(Tx& tx, const std::optional<std::string>& tenant_scope, const std::string& id);
  absl::StatusOr<std::vector<Device>> ListDevices(Tx& tx, const std::string& user_id,
                                                  const std::optional<std::string>& after_id, int limit);
  absl::Status UpdateDevice(Tx& tx, const Device& d);
  absl::Status DeleteDevice(Tx& tx, const std::string& id);

  absl::Status InsertEvent(Tx& tx, const AccountEvent& e);

  //! Erasure: everything of the user's second factor, devices and pending sign-ins is
  //! deleted, and their account events keep no address or browser.
  absl::Status ForgetUser(Tx& tx, const std::string& user_id);
  absl::StatusOr<std::vector<AccountEvent>> ListEvents(Tx& tx, const std::string& tenant_id,
                                                       const AccountEventFilter& filter,
                                                       const std::optional<std::string>& after_id, int limit);

  //! `live_after`: sessions last seen after this count as active.
  absl::StatusOr<AccountStats> Stats(Tx& tx, const std::string& tenant_id, int64_t now, int64_t live_after);
};

}  // namespace tf::identity
