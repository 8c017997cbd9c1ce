-- Each record's leaf hash (hex SHA-256 of 0x00 || leaf), computed from its fields when it is
-- appended, so the tree builder reads 64 characters per record rather than the record. It is
-- a build aid, not evidence: `trustctl audit verify` recomputes every leaf from the fields and
-- compares it with the tree. NULL for records written before it existed (the builder
-- recomputes those). Immutable like the rest of the record.
-- dialect: all
ALTER TABLE audit_records ADD COLUMN leaf_hash TEXT;
-- dialect: sqlite
DROP TRIGGER audit_records_immutable;
CREATE TRIGGER audit_records_immutable BEFORE UPDATE ON audit_records
WHEN NOT (OLD.details IS NOT NULL AND NEW.details IS NULL AND OLD.pruned_at IS NULL AND NEW.pruned_at IS NOT NULL
  AND NEW.leaf_index IS OLD.leaf_index AND NEW.id IS OLD.id AND NEW.tenant_id IS OLD.tenant_id
  AND NEW.time IS OLD.time AND NEW.kind IS OLD.kind AND NEW.actor_type IS OLD.actor_type
  AND NEW.actor_id IS OLD.actor_id AND NEW.actor_user_id IS OLD.actor_user_id AND NEW.actor_via IS OLD.actor_via
  AND NEW.action IS OLD.action AND NEW.event_type IS OLD.event_type AND NEW.resource_type IS OLD.resource_type
  AND NEW.resource_id IS OLD.resource_id AND NEW.method IS OLD.method AND NEW.route IS OLD.route
  AND NEW.path IS OLD.path AND NEW.status IS OLD.status AND NEW.outcome IS OLD.outcome
  AND NEW.source_ip IS OLD.source_ip AND NEW.user_agent IS OLD.user_agent AND NEW.request_id IS OLD.request_id
  AND NEW.trace_id IS OLD.trace_id AND NEW.details_sha256 IS OLD.details_sha256
  AND NEW.leaf_hash IS OLD.leaf_hash)
BEGIN
  SELECT RAISE(ABORT, 'audit records are immutable');
END;
-- dialect: all
