-- Leases for work that must run on one trustd instance at a time (src/jobs/lease.h).
-- Times are microseconds since the Unix epoch (UTC).
--   holder       instance id (host:pid) that holds the lease
--   acquired_at  when the current holder took it; renewed_at, its last renewal
--   expires_at   the lease is free after this unless renewed
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  acquired_at BIGINT NOT NULL,
  renewed_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
