#include "jobs/lease.h"

#include "core/status.h"

namespace tf::jobs {

Lease::Lease(store::Database& db, const Clock& clock, std::string name, std::string holder,
             std::chrono::milliseconds ttl)
    : db_(db),
      clock_(clock),
      name_(std::move(name)),
      holder_(std::move(holder)),
      ttl_us_(std::chrono::duration_cast<std::chrono::microseconds>(ttl).count()) {}

absl::StatusOr<bool> Lease::Hold() {
  const int64_t now = clock_.NowMicros();
  if (renewed_at_ != 0 && now - renewed_at_ < ttl_us_ / 3) return true;
  // Take a free or expired lease, or renew our own; a live lease of another holder stays.
  auto changed = db_.InTx(store::WriteTx().Retryable(), [&](store::Transaction& tx) {
    return tx.Exec(
        "INSERT INTO leases (name, holder, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END, "
        "renewed_at = excluded.renewed_at, expires_at = excluded.expires_at "
        "WHERE leases.holder = excluded.holder OR leases.expires_at <= ?",
        {name_, holder_, now, now, now + ttl_us_, now});
  });
  if (!changed.ok()) return changed.status();
  renewed_at_ = *changed == 1 ? now : 0;
  return renewed_at_ != 0;
}

absl::Status Lease::Release() {
  if (renewed_at_ == 0) return absl::OkStatus();
  renewed_at_ = 0;
  return db_
      .InTx(store::WriteTx().Retryable(),
            [&](store::Transaction& tx) {
              return tx.Exec("DELETE FROM leases WHERE name = ? AND holder = ?", {name_, holder_});
            })
      .status();
}

absl::StatusOr<std::vector<LeaseRecord>> ListLeases(store::Database& db) {
  return db.InTx(store::ReadTx(), [](store::Transaction& tx) -> absl::StatusOr<std::vector<LeaseRecord>> {
    TF_ASSIGN_OR_RETURN(store::Rows rows,
                        tx.Query("SELECT name, holder, acquired_at, renewed_at, expires_at FROM leases ORDER BY name"));
    std::vector<LeaseRecord> out;
    for (const store::Row& r : rows) {
      out.push_back({r.Text(0), r.Text(1), FromUnixMicros(r.Int(2)), FromUnixMicros(r.Int(3)),
                     FromUnixMicros(r.Int(4))});
    }
    return out;
  });
}

}  // namespace tf::jobs
