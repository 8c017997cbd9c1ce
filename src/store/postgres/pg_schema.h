#pragma once
// Row-level security and role separation on PostgreSQL.
//
// Every table with a `tenant_id` column is tenant-owned: SecureSchema (run by the owner role
// after migrations) enables and forces row-level security on it with one policy, so a row is
// visible and writable only when the transaction's scope is 'platform' or its app.tenant_id
// is the row's tenant (BeginStatement sets both for every transaction). A query that forgets
// its tenant filter therefore still sees only the caller's tenant. SecureSchema also grants
// the serving role the data rights it needs (SELECT, INSERT, UPDATE, DELETE), nothing more.
//
// CheckServingRole refuses a serving role that could step around those policies: a superuser,
// a role with BYPASSRLS, or the owner of a tenant-owned table.
// Thread-safety: call at start-up or from trustctl.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/database.h"

namespace tf::store {

//! The row-level-security condition applied to every tenant-owned table.
inline constexpr std::string_view kTenantPolicy =
    "current_setting('app.scope', true) = 'platform' OR "
    "tenant_id = current_setting('app.tenant_id', true)";

//! The role the connection of `db` logs in as.
[[nodiscard]] absl::StatusOr<std::string> CurrentRole(Database& db);

//! Enables the tenant policy on every tenant-owned table and grants `serving_role` (when not
//! empty) data access. Idempotent; run as the tables' owner.
[[nodiscard]] absl::Status SecureSchema(Database& owner_db, std::string_view serving_role);

//! FailedPrecondition, naming the problem and the fix, when the role of `db` could bypass
//! row-level security or has no access to the tables.
[[nodiscard]] absl::Status CheckServingRole(Database& db);

}  // namespace tf::store
