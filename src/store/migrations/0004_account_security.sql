-- Account security: TOTP second factors and recovery codes, sign-ins waiting for a second
-- step, the devices users sign in from, each tenant's security policy, and the log of
-- account-security events (read later by the audit trail).
-- Times are microseconds since the Unix epoch (UTC); ids are UUIDv7 text.
ALTER TABLE tenants ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN require_device_approval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN device_id TEXT;

--   secret          base32 TOTP key
--   confirmed_at    set once the user proved the authenticator with a first code
--   last_used_step  the RFC 6238 time step of the last accepted code (no code is used twice)
CREATE TABLE mfa_totp (
  user_id TEXT PRIMARY KEY REFERENCES users (id),
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  secret TEXT NOT NULL,
  confirmed_at BIGINT,
  last_used_step BIGINT,
  created_at BIGINT NOT NULL
);

-- Single-use codes; only SHA-256 of each 80-bit code is kept.
CREATE TABLE mfa_recovery_codes (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  code_hash TEXT NOT NULL,
  used_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX mfa_recovery_codes_by_user ON mfa_recovery_codes (user_id);

-- A sign-in whose password was right and that still needs a second factor and/or an approved
-- device; the client holds the token (only its hash is here) for five minutes.
CREATE TABLE login_challenges (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  token_hash TEXT NOT NULL UNIQUE,
  device_id TEXT NOT NULL,
  mfa_pending INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  source_ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- One row per user and browser (the browser keeps a random device cookie; its hash is here).
--   status         approved | pending (the tenant requires approval of new devices)
--   approval_code  shown to the user's signed-in sessions while pending; useless without the
--                  pending sign-in's own token
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  token_hash TEXT NOT NULL,
  name TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  first_ip TEXT NOT NULL,
  last_ip TEXT NOT NULL,
  status TEXT NOT NULL,
  approval_code TEXT,
  approval_expires_at BIGINT,
  approved_by TEXT,
  approved_at BIGINT,
  first_seen_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  UNIQUE (user_id, token_hash)
);

--   actor   user:<id>, token:<id> or anonymous
--   detail  JSON object, already redacted
CREATE TABLE account_events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  user_id TEXT,
  actor TEXT NOT NULL,
  type TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  detail TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX account_events_by_tenant ON account_events (tenant_id, created_at);
CREATE INDEX account_events_by_user ON account_events (user_id, created_at);
