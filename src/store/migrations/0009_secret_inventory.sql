-- The secret inventory and its rotation ledger.
--
-- A tenant's data key version 0 (in secrets_data_keys) is its keyed-hash key: never used to
-- encrypt, it keys the fingerprints below and blind indexes, so it does not rotate with the
-- encryption versions (min_decryption_version never applies to it). It is rewrapped with the
-- others when the KEK rotates.
--
-- secrets: what each secret is, who owns it, its rotation policy and where its value lives
-- (managed = 1: held here, encrypted; 0: held elsewhere, `location` says where).
-- `value_format` is how Trust Fabric generates new values ("base64url:32", "hex:32",
-- "alphanumeric:24"), or NULL when people supply them. `reminder_state` is the last reminder
-- raised for the current due date ('due' or 'overdue'), so each is raised once.
-- dialect: all
CREATE TABLE secrets (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  owner TEXT,
  description TEXT,
  managed INTEGER NOT NULL,
  location TEXT,
  value_format TEXT,
  auto_rotate INTEGER NOT NULL,
  rotation_days INTEGER NOT NULL,
  grace_days INTEGER NOT NULL,
  current_version INTEGER NOT NULL,
  last_rotated_at BIGINT,
  next_rotation_at BIGINT NOT NULL,
  reminder_state TEXT,
  reminded_at BIGINT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE INDEX secrets_by_next_rotation ON secrets (next_rotation_at);

-- The values of managed secrets, one row per version: `value` is field-encrypted
-- ("tfenc:v<N>:...", bound to secret_versions/value/<secret id>/<version>) and set to NULL
-- once the version is no longer valid; `fingerprint` is a keyed hash (HMAC-SHA256 under the
-- tenant's keyed-hash key), never the value. `valid_until` is set when a newer version
-- supersedes this one: the end of its grace period.
CREATE TABLE secret_versions (
  secret_id TEXT NOT NULL REFERENCES secrets (id),
  version INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  value TEXT,
  fingerprint TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  valid_until BIGINT,
  PRIMARY KEY (secret_id, version)
);
CREATE INDEX secret_versions_by_valid_until ON secret_versions (valid_until);

-- The rotation ledger: one row per rotation (and one for each secret's first version). `status`
-- follows the version the row made current: ACTIVE while it is current, DEPRECATED once
-- superseded and still valid (grace period), ROTATED after; FAILED rows made no version.
-- `valid_until` is when the row's version stops being valid once superseded (the end of its
-- grace period); `grace_until` is when the version it superseded stopped being valid.
-- `kind`: registered, manual, external (a rotation done elsewhere, recorded here), automatic.
-- `actor`: user:<id>, token:<id> or system. `metadata` is a JSON object.
CREATE TABLE secret_rotations (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  secret_id TEXT NOT NULL REFERENCES secrets (id),
  secret_name TEXT NOT NULL,
  secret_type TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  version INTEGER,
  previous_version INTEGER,
  previous_fingerprint TEXT,
  reason TEXT,
  error TEXT,
  actor TEXT NOT NULL,
  rotated_at BIGINT NOT NULL,
  grace_until BIGINT,
  valid_until BIGINT,
  next_due_at BIGINT,
  metadata TEXT NOT NULL,
  status_changed_at BIGINT NOT NULL
);
CREATE INDEX secret_rotations_by_tenant ON secret_rotations (tenant_id, id);
CREATE INDEX secret_rotations_by_secret ON secret_rotations (secret_id, version);
CREATE INDEX secret_rotations_by_status ON secret_rotations (status, valid_until);
