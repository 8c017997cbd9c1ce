#pragma once
// Lease: a named, expiring claim in the `leases` table, so work that must run once (the
// scheduler's periodic tasks) runs on one of several trustd instances sharing a database.
//
// Hold() takes the lease when it is free or expired, and renews it once a third of its time
// has passed; it answers whether this holder may act now. A holder that stops renewing
// (killed, paused, cut off from the database) loses the lease `ttl` after its last renewal,
// and Hold() stops answering true before then, so two holders never act at once as long as
// the instances' clocks agree to within the ttl. Release() hands the lease over at once (a
// graceful stop). Acquisition and renewal are one conditional upsert, the same SQL on SQLite
// and PostgreSQL.
// Thread-safety: one thread at a time (the runner's); ListLeases is safe from any thread.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "store/database.h"

namespace tf::jobs {

class Lease {
 public:
  Lease(store::Database& db, const Clock& clock, std::string name, std::string holder,
        std::chrono::milliseconds ttl);

  //! True while this holder holds the lease (after taking or renewing it when due).
  [[nodiscard]] absl::StatusOr<bool> Hold();
  //! Gives the lease up when held; another instance may take it at once.
  [[nodiscard]] absl::Status Release();

  const std::string& name() const { return name_; }
  const std::string& holder() const { return holder_; }

 private:
  store::Database& db_;
  const Clock& clock_;
  std::string name_;
  std::string holder_;
  int64_t ttl_us_;
  int64_t renewed_at_ = 0;  //!< last successful take or renewal; 0 = not held
};

struct LeaseRecord {
  std::string name;
  std::string holder;
  SysTime acquired_at;
  SysTime renewed_at;
  SysTime expires_at;
};

//! Every lease, by name (for /health/detailed).
[[nodiscard]] absl::StatusOr<std::vector<LeaseRecord>> ListLeases(store::Database& db);

}  // namespace tf::jobs
