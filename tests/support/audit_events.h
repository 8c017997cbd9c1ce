#pragma once
// Test support: the domain events of one type in a store's audit trail, oldest first, for
// tests that check what a service recorded.
// Thread-safety: a function of the caller's database.

#include <string_view>
#include <vector>

#include "modules/audit/audit_types.h"
#include "store/database.h"

namespace tf::testing {

//! Every audit record of `db` whose event_type is `type`; aborts the test run on a store error.
std::vector<audit::AuditRecord> AuditEventsOf(store::Database& db, std::string_view type);

}  // namespace tf::testing
