-- Smaller audit rows, so that each group commit writes fewer pages:
--  - details_sha256 is stored only once the details are pruned. While a record holds its
--    details it is '' and readers take the SHA-256 of the details, which is what the record
--    as served carries and what its leaf commits to. Pruning stores the hash as it removes the
--    details; the immutability triggers allow exactly that (PostgreSQL's checks that it is the
--    details' hash; SQLite's that it is 64 hex digits, and the tree catches a wrong one).
--  - leaf_hash holds the hash's 32 bytes (a BLOB on SQLite, bytea on PostgreSQL) rather than 64
--    hex digits, and so do the tiles' hashes (audit_tiles.hashes). SQLite keeps a column's
--    declared type: rows written before this migration keep their hex text, and readers take
--    both. PostgreSQL's columns are converted.
--  - SQLite numbers records one past the largest leaf index (its one writer holds the write
--    lock), so the counter row that every commit rewrote goes.
-- dialect: sqlite
DROP TABLE store_sequences;
DROP TRIGGER audit_records_immutable;
CREATE TRIGGER audit_records_immutable BEFORE UPDATE ON audit_records
WHEN NOT (OLD.details IS NOT NULL AND NEW.details IS NULL AND OLD.pruned_at IS NULL AND NEW.pruned_at IS NOT NULL
  AND ((OLD.details_sha256 <> '' AND NEW.details_sha256 IS OLD.details_sha256)
       OR (OLD.details_sha256 = '' AND length(NEW.details_sha256) = 64
           AND NEW.details_sha256 NOT GLOB '*[^0-9a-f]*'))
  AND NEW.leaf_index IS OLD.leaf_index AND NEW.id IS OLD.id AND NEW.tenant_id IS OLD.tenant_id
  AND NEW.time IS OLD.time AND NEW.kind IS OLD.kind AND NEW.actor_type IS OLD.actor_type
  AND NEW.actor_id IS OLD.actor_id AND NEW.actor_user_id IS OLD.actor_user_id AND NEW.actor_via IS OLD.actor_via
  AND NEW.action IS OLD.action AND NEW.event_type IS OLD.event_type AND NEW.resource_type IS OLD.resource_type
  AND NEW.resource_id IS OLD.resource_id AND NEW.method IS OLD.method AND NEW.route IS OLD.route
  AND NEW.path IS OLD.path AND NEW.status IS OLD.status AND NEW.outcome IS OLD.outcome
  AND NEW.source_ip IS OLD.source_ip AND NEW.user_agent IS OLD.user_agent AND NEW.request_id IS OLD.request_id
  AND NEW.trace_id IS OLD.trace_id AND NEW.leaf_hash IS OLD.leaf_hash)
BEGIN
  SELECT RAISE(ABORT, 'audit records are immutable');
END;
-- dialect: postgres
ALTER TABLE audit_records ALTER COLUMN leaf_hash TYPE bytea USING decode(leaf_hash, 'hex');
ALTER TABLE audit_tiles ALTER COLUMN hashes TYPE bytea USING decode(hashes, 'hex');
CREATE OR REPLACE FUNCTION audit_records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.details IS NOT NULL AND NEW.details IS NULL AND OLD.pruned_at IS NULL
     AND NEW.pruned_at IS NOT NULL
     AND NEW.details_sha256 = (CASE WHEN OLD.details_sha256 = ''
                                    THEN encode(sha256(convert_to(OLD.details, 'UTF8')), 'hex')
                                    ELSE OLD.details_sha256 END)
     AND (to_jsonb(NEW) - 'details' - 'details_sha256' - 'pruned_at')
         = (to_jsonb(OLD) - 'details' - 'details_sha256' - 'pruned_at') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit records are immutable' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- dialect: all
