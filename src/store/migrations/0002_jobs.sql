-- Durable job queue shared by all modules (src/jobs/job_queue.h).
-- Times are microseconds since the Unix epoch (UTC); ids are UUIDv7 text.
--   state            queued -> running -> succeeded | queued (retry) | dead (dead letter)
--   attempts         attempts that failed so far (an expired lease counts as a failure)
--   run_at           when a queued job becomes due
--   lease_owner      worker id holding a running job; lease_expires_at ends its claim
--   idempotency_key  optional, unique across the table: a second enqueue returns the first job
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  idempotency_key TEXT UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'dead')),
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  run_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_by_state ON jobs (state, id);
