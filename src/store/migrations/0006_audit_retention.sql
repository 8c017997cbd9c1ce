-- Audit retention: per tenant, how long records keep their details (request parameters and
-- event payloads). Older records' details are pruned (set to NULL, pruned_at stamped, which
-- the immutability triggers allow); their leaves hold only the details' hash, so the tree and
-- every proof still verify.
-- dialect: all
CREATE TABLE audit_retention_policies (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
  retention_days INTEGER NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT,
  last_pruned_at BIGINT,
  last_pruned_count BIGINT NOT NULL DEFAULT 0
);

-- Pruning and time-range searches of one tenant (the console's chart, stats, exports by time).
CREATE INDEX audit_records_by_tenant_time ON audit_records (tenant_id, time);
