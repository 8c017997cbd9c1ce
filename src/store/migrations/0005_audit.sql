-- The audit trail: every API request and every domain event, in one Merkle tree (RFC 9162).
-- Times are microseconds since the Unix epoch (UTC); ids are UUIDv7 text.

-- One row per record. leaf_index is its position in the tree, taken from the sequence
-- audit_leaf_index by the writing transaction (see store::Transaction::NextValues); an index
-- whose transaction rolled back is filled by the tree builder with a record of kind `gap`. The leaf is the RFC 8785 canonical JSON of the
-- record as the API serves it (details replaced by details_sha256), recomputed from these
-- columns whenever the tree is built or verified.
--   kind        request | event | gap
--   actor_type  user | api_token | anonymous | system
--   actor_via   impersonation or just-in-time grant marker, when present
--   outcome     success | failure | denied | error
--   details     canonical JSON of the redacted parameters, body or before/after values;
--               NULL once pruned by retention (details_sha256 stays, so the tree still verifies)
CREATE TABLE audit_records (
  leaf_index BIGINT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT,
  time BIGINT NOT NULL,
  kind TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT,
  actor_user_id TEXT,
  actor_via TEXT,
  action TEXT NOT NULL,
  event_type TEXT,
  resource_type TEXT,
  resource_id TEXT,
  method TEXT,
  route TEXT,
  path TEXT,
  status INTEGER,
  outcome TEXT NOT NULL,
  source_ip TEXT,
  user_agent TEXT,
  request_id TEXT,
  trace_id TEXT,
  details TEXT,
  details_sha256 TEXT NOT NULL,
  pruned_at BIGINT
);
CREATE INDEX audit_records_by_tenant ON audit_records (tenant_id, leaf_index);

-- Leaf indexes: SQLite takes them from a row in the writer's transaction, PostgreSQL from a
-- sequence.
-- dialect: sqlite
CREATE TABLE store_sequences (
  name TEXT PRIMARY KEY,
  next_value BIGINT NOT NULL
);
INSERT INTO store_sequences (name, next_value) VALUES ('audit_leaf_index', 0);
-- dialect: postgres
CREATE SEQUENCE audit_leaf_index MINVALUE 0 START 0;
-- dialect: all

-- The tree as built so far, in tiles of height 4 (derived data: rebuilt from the records by
-- `trustctl audit verify`). Tile (level, tile_index) holds the complete subtrees of heights
-- 4*level .. 4*level+3 under 16 nodes of height 4*level; width counts those bottom nodes (1-16,
-- only the rightmost tile of a level is narrower). hashes is hex: the bottom row, then each
-- row above it.
CREATE TABLE audit_tiles (
  level INTEGER NOT NULL,
  tile_index BIGINT NOT NULL,
  width INTEGER NOT NULL,
  hashes TEXT NOT NULL,
  PRIMARY KEY (level, tile_index)
);

-- The size and root of the tree built so far.
CREATE TABLE audit_tree_head (
  id INTEGER PRIMARY KEY,
  tree_size BIGINT NOT NULL,
  root_hash TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
INSERT INTO audit_tree_head (id, tree_size, root_hash, updated_at)
VALUES (1, 0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0);

-- Every key that has signed checkpoints (public halves only).
CREATE TABLE audit_signing_keys (
  key_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  public_key TEXT NOT NULL,
  verifier_key TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

-- Signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note).
CREATE TABLE audit_checkpoints (
  tree_size BIGINT PRIMARY KEY,
  root_hash TEXT NOT NULL,
  timestamp BIGINT NOT NULL,
  key_id TEXT NOT NULL REFERENCES audit_signing_keys (key_id),
  note TEXT NOT NULL
);

-- Records and checkpoints cannot be changed or removed. The one change allowed is retention's
-- pruning of a record's details (details to NULL, pruned_at set, nothing else touched).
-- dialect: sqlite
CREATE TRIGGER audit_records_immutable BEFORE UPDATE ON audit_records
WHEN NOT (OLD.details IS NOT NULL AND NEW.details IS NULL AND OLD.pruned_at IS NULL AND NEW.pruned_at IS NOT NULL
  AND NEW.leaf_index IS OLD.leaf_index AND NEW.id IS OLD.id AND NEW.tenant_id IS OLD.tenant_id
  AND NEW.time IS OLD.time AND NEW.kind IS OLD.kind AND NEW.actor_type IS OLD.actor_type
  AND NEW.actor_id IS OLD.actor_id AND NEW.actor_user_id IS OLD.actor_user_id AND NEW.actor_via IS OLD.actor_via
  AND NEW.action IS OLD.action AND NEW.event_type IS OLD.event_type AND NEW.resource_type IS OLD.resource_type
  AND NEW.resource_id IS OLD.resource_id AND NEW.method IS OLD.method AND NEW.route IS OLD.route
  AND NEW.path IS OLD.path AND NEW.status IS OLD.status AND NEW.outcome IS OLD.outcome
  AND NEW.source_ip IS OLD.source_ip AND NEW.user_agent IS OLD.user_agent AND NEW.request_id IS OLD.request_id
  AND NEW.trace_id IS OLD.trace_id AND NEW.details_sha256 IS OLD.details_sha256)
BEGIN
  SELECT RAISE(ABORT, 'audit records are immutable');
END;
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
  SELECT RAISE(ABORT, 'audit records are immutable');
END;
CREATE TRIGGER audit_checkpoints_immutable BEFORE UPDATE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit checkpoints are immutable');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit checkpoints are immutable');
END;
-- dialect: postgres
CREATE FUNCTION audit_records_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.details IS NOT NULL AND NEW.details IS NULL AND OLD.pruned_at IS NULL
     AND NEW.pruned_at IS NOT NULL
     AND (to_jsonb(NEW) - 'details' - 'pruned_at') = (to_jsonb(OLD) - 'details' - 'pruned_at') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit records are immutable' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER audit_records_immutable BEFORE UPDATE OR DELETE ON audit_records
FOR EACH ROW EXECUTE FUNCTION audit_records_guard();
CREATE FUNCTION audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
FOR EACH STATEMENT EXECUTE FUNCTION audit_immutable();
CREATE TRIGGER audit_checkpoints_immutable BEFORE UPDATE OR DELETE ON audit_checkpoints
FOR EACH ROW EXECUTE FUNCTION audit_immutable();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
FOR EACH STATEMENT EXECUTE FUNCTION audit_immutable();
-- dialect: all
