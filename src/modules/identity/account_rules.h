#pragma once
// Account-security rules shared by sign-in (IdentityService) and the account's own settings
// (AccountService): checking and using up a TOTP or recovery code, making recovery codes,
// naming devices, and the account-event records both write. Persistence goes through
// AccountRepo.
// Thread-safety: stateless functions.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/rng.h"
#include "modules/audit/audit_log.h"
#include "modules/identity/account_repo.h"
#include "modules/identity/personal_fields.h"
#include "nlohmann/json.hpp"

namespace tf::identity {

enum class SecondFactor { kTotp, kRecoveryCode };

inline constexpr int kRecoveryCodeCount = 10;

//! A user's TOTP factor with its secret decrypted, read before the transaction that checks a
//! code against it (decrypting reaches the data keys, which no transaction may wait on).
struct OpenedTotp {
  int64_t created_at = 0;  //!< which enrolment it is: a code is checked only against this one
  std::string secret;      //!< base32
};

//! The user's factor, or nullopt when they have none.
absl::StatusOr<std::optional<OpenedTotp>> ReadTotp(store::Database& db, AccountRepo& repo, PersonalFields& fields,
                                                   const std::string& tenant_id, const std::string& user_id);

//! Checks `code` (a 6-digit TOTP code or a recovery code) for a user with a confirmed factor,
//! and uses it up in `tx`: the TOTP step is recorded so it cannot be replayed, a recovery code
//! is marked used. `totp` is the factor as ReadTotp found it; a TOTP code is refused when the
//! factor is no longer that one. nullopt when the code is wrong, replayed or already used.
absl::StatusOr<std::optional<SecondFactor>> UseSecondFactor(store::Transaction& tx, AccountRepo& repo,
                                                            const std::optional<OpenedTotp>& totp,
                                                            const std::string& user_id, std::string_view code,
                                                            int64_t now_micros);

//! Ten recovery codes, each 80 random bits as four groups of base32 ("ABCD-EFGH-IJKL-MNOP").
std::vector<std::string> NewRecoveryCodes(Rng& rng);
//! What is stored for a recovery code: SHA-256 over the user id and the code without
//! separators, case-folded (so "abcd efgh ..." typed by hand matches).
std::string RecoveryCodeHash(std::string_view user_id, std::string_view code);

//! A readable device name from a User-Agent header: "Firefox on Linux", "curl", "Unknown device".
std::string DescribeUserAgent(std::string_view user_agent);

//! An account-security event about `user_id` (may be empty), with `detail` redacted.
AccountEvent MakeAccountEvent(std::string id, std::string tenant_id, std::string_view user_id, std::string actor,
                              std::string_view type, std::string_view source_ip, std::string_view user_agent,
                              const nlohmann::json& detail, int64_t now_micros);

//! The audit trail's copy of an account event: its type, an action (LOGIN for sign-ins and
//! locks, LOGOUT, CREATE, DELETE for removals and revocations, else UPDATE), the user it is
//! about as the resource (the tenant for policy changes) and the same redacted detail.
audit::AuditEvent AccountAuditEvent(const AccountEvent& e);
//! The audit actor of an account event's actor ("user:<id>", "token:<id>", "system", "anonymous").
audit::Actor AuditActorOf(std::string_view actor);

}  // namespace tf::identity
