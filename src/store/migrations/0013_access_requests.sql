-- Just-in-time access: a user asks for a role for a while, with a reason; an approver who is
-- not the requester decides; an approved request is the grant, in force from granted_at until
-- expires_at (or revoked_at). Times are microseconds since the Unix epoch (UTC).
--   status  pending | approved | rejected | cancelled | lapsed (undecided for 24 hours) |
--           revoked (ended early) | expired (ran its time)
-- dialect: all
CREATE TABLE access_requests (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  requester TEXT NOT NULL REFERENCES users (id),
  role TEXT NOT NULL,
  duration_minutes BIGINT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  decided_by TEXT,
  decided_at BIGINT,
  decision_note TEXT,
  granted_at BIGINT,
  expires_at BIGINT,
  ended_at BIGINT,
  ended_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX access_requests_by_tenant ON access_requests (tenant_id, id);
CREATE INDEX access_requests_by_status ON access_requests (status, expires_at);
