#pragma once
// The SQL text that PostgresDatabase builds: placeholder rewriting, transaction prologues and a
// credential-free description of a connection URL. Pure functions, tested without a server.
// Thread-safety: stateless.

#include <functional>
#include <string>
#include <string_view>

#include "store/database.h"

namespace tf::store {

//! Rewrites the portable `?` placeholders to PostgreSQL's `$1`, `$2`, ... Question marks inside
//! string literals, quoted identifiers and comments are left alone. `count` receives the number
//! of placeholders.
std::string RewritePlaceholders(std::string_view sql, int* count = nullptr);

//! The statements that open a transaction: BEGIN at the requested isolation (READ ONLY for
//! reads), then the row-level-security scope: `app.scope` is 'platform' for platform-wide work
//! (empty tenant) or 'tenant', with `app.tenant_id` the caller's tenant. `literal` quotes a
//! string as an SQL literal (PQescapeLiteral). A lazy commit turns synchronous_commit off for
//! the transaction.
std::string BeginStatement(const TxOptions& options,
                           const std::function<std::string(std::string_view)>& literal);

//! "postgresql://user@host:port/dbname" without password or other parameters; a URL that does
//! not parse gives "postgresql://(unparsable URL)".
std::string DescribePostgresUrl(const std::string& url);

}  // namespace tf::store
