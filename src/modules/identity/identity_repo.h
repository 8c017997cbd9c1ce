#pragma once
// Persistence of the identity domain through store::Database only. Every query on a
// tenant-owned table that serves a tenant caller filters by tenant_id; the scope comes from
// the service (the caller's tenant), never from a request body.
// Thread-safety: stateless; each call runs in the caller's transaction.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "modules/identity/identity_types.h"
#include "store/database.h"

namespace tf::identity {

class IdentityRepo {
 public:
  using Tx = store::Transaction;

  absl::Status InsertTenant(Tx& tx, const Tenant& t);
  absl::StatusOr<Tenant> GetTenant(Tx& tx, const std::string& id);
  absl::StatusOr<Tenant> GetTenantBySlug(Tx& tx, std::string_view slug);
  absl::StatusOr<std::vector<Tenant>> ListTenants(Tx& tx, const TenantFilter& filter,
                                                  const std::optional<std::string>& after_id, int limit);
  absl::Status UpdateTenant(Tx& tx, const Tenant& t);

  absl::Status InsertUser(Tx& tx, const User& u);
  //! `tenant_scope` nullopt means any tenant; a user of another tenant is NotFound.
  absl::StatusOr<User> GetUser(Tx& tx, const std::optional<std::string>& tenant_scope, const std::string& id);
  absl::StatusOr<User> GetUserByEmailIndex(Tx& tx, std::string_view email_index);
  absl::StatusOr<std::vector<User>> ListUsers(Tx& tx, const UserFilter& filter,
                                              const std::optional<std::string>& after_id, int limit);
  absl::Status UpdateUser(Tx& tx, const User& u);
  //! Those of `ids` that are users not erased.
  absl::StatusOr<std::vector<std::string>> NotErased(Tx& tx, const std::vector<std::string>& ids);
  //! Users (not erased) whose email is not sealed yet, by id.
  absl::StatusOr<std::vector<User>> ListUnsealedUsers(Tx& tx, int limit);
  //! Stores the sealed email, display name and index unless the row changed since `before`.
  absl::StatusOr<bool> SealUser(Tx& tx, const User& before, const User& sealed);
  //! API tokens of users not erased whose name is not sealed yet.
  absl::StatusOr<std::vector<ApiToken>> ListUnsealedApiTokens(Tx& tx, int limit);
  //! Erasure: the user's sessions are deleted and their API tokens revoked, their names
  //! replaced by `erased_name`.
  absl::Status ForgetUserCredentials(Tx& tx, const std::string& user_id, std::string_view erased_name, int64_t now);
  absl::StatusOr<bool> SealApiTokenName(Tx& tx, const ApiToken& before, const std::string& sealed_name);
  absl::Status SetLastLogin(Tx& tx, const std::string& user_id, int64_t at);
  absl::StatusOr<int64_t> CountUsersWithRole(Tx& tx, Role role);

  absl::Status InsertSession(Tx& tx, const Session& s);
  absl::StatusOr<Session> GetSessionByTokenHash(Tx& tx, std::string_view token_hash);
  absl::Status TouchSession(Tx& tx, const std::string& id, int64_t now);
  absl::Status RevokeSession(Tx& tx, const std::string& id, int64_t now);
  //! Revokes every live session of the user except `keep_id` (may be empty).
  //! Deletes sessions that expired or were revoked before `before`; returns how many.
  absl::StatusOr<int64_t> PurgeSessions(Tx& tx, int64_t before);
  absl::StatusOr<int64_t> RevokeUserSessions(Tx& tx, const std::string& user_id, const std::string& keep_id,
                                             int64_t now);
  //! Sessions of the user that can still authenticate (not revoked, not expired, seen after
  //! `live_after`), by id.
  absl::StatusOr<std::vector<Session>> ListLiveSessions(Tx& tx, const std::string& user_id, int64_t now,
                                                        int64_t live_after, const std::optional<std::string>& after_id,
                                                        int limit);
  absl::StatusOr<Session> GetSession(Tx& tx, const std::string& user_id, const std::string& id);
  //! Revokes every live session signed in from the device; returns how many.
  absl::StatusOr<int64_t> RevokeDeviceSessions(Tx& tx, const std::string& device_id, int64_t now);

  absl::Status InsertApiToken(Tx& tx, const ApiToken& t);
  absl::StatusOr<ApiToken> GetApiTokenByHash(Tx& tx, std::string_view token_hash);
  absl::StatusOr<ApiToken> GetApiToken(Tx& tx, const std::string& tenant_id, const std::string& id);
  absl::StatusOr<std::vector<ApiToken>> ListApiTokens(Tx& tx, const std::string& tenant_id,
                                                      const std::optional<std::string>& after_id, int limit);
  absl::Status RevokeApiToken(Tx& tx, const std::string& tenant_id, const std::string& id, int64_t now);
  absl::Status TouchApiToken(Tx& tx, const std::string& id, int64_t now);

  absl::StatusOr<ThrottleState> GetThrottle(Tx& tx, std::string_view scope, std::string_view subject);
  absl::Status PutThrottle(Tx& tx, std::string_view scope, std::string_view subject, const ThrottleState& s);
  absl::Status ClearThrottle(Tx& tx, std::string_view scope, std::string_view subject);
};

}  // namespace tf::identity
