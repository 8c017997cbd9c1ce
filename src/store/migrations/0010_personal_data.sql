-- People's data sealed under their own keys (crypto-shredding).
--
-- users.email and users.display_name, and api_tokens.name, hold "tfpd:<user id>:..." values
-- sealed under the user's key in the personal-data key store; they are unreadable once the
-- user is erased. users.email_index is the email's blind index (HMAC-SHA256 under the
-- platform's keyed-hash key): how sign-in and the email filter find a user without decrypting
-- anything. It is NULL for an erased user, so the address can be used again.
-- users.erased_at: when the user was erased (their key destroyed, the row kept anonymous).
-- mfa_totp.secret holds the TOTP secret encrypted under the tenant's data key.
--
-- Account throttling counters were keyed by an unkeyed hash of the email; they are keyed by
-- the blind index from now on, so the old counters are dropped (locks stay on users.locked_at).
-- dialect: all
ALTER TABLE users ADD COLUMN email_index TEXT;
ALTER TABLE users ADD COLUMN erased_at BIGINT;
CREATE UNIQUE INDEX users_by_email_index ON users (email_index);
DELETE FROM login_throttle WHERE scope = 'account';
