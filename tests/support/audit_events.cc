#include "support/audit_events.h"

#include "modules/audit/audit_repo.h"

namespace tf::testing {

std::vector<audit::AuditRecord> AuditEventsOf(store::Database& db, std::string_view type) {
  std::vector<audit::AuditRecord> all =
      db.InTx(store::ReadTx(), [](store::Transaction& tx) { return audit::AuditRepo().Range(tx, 0, 1 << 20); })
          .value();
  std::vector<audit::AuditRecord> out;
  for (audit::AuditRecord& r : all) {
    if (r.event_type == type) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tf::testing
