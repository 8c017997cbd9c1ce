-- Data-encryption keys (DEKs): per tenant, versioned, stored only wrapped by the key-encryption
-- key (secrets::Kms). `wrapped` is self-describing ("local:v<N>:..." names the KEK version);
-- kek_version repeats that version so a rewrap can find the keys still under an old one.
-- The wrap is bound to the context "dek/<tenant_id>/<version>": a wrapped key copied to
-- another row does not open.
-- dialect: all
CREATE TABLE secrets_data_keys (
  tenant_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  wrapped TEXT NOT NULL,
  kek_version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  rewrapped_at BIGINT,
  PRIMARY KEY (tenant_id, version)
);
CREATE INDEX secrets_data_keys_by_kek_version ON secrets_data_keys (kek_version);

-- Which of a tenant's DEK versions new values use, and the oldest one still accepted.
CREATE TABLE secrets_key_state (
  tenant_id TEXT PRIMARY KEY,
  latest_version INTEGER NOT NULL,
  min_decryption_version INTEGER NOT NULL,
  updated_at BIGINT NOT NULL
);
