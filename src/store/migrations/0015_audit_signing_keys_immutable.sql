-- The keys that signed checkpoints are kept as they were: a key is added once and never changed
-- or removed. (`trustctl audit verify` does not trust this list: it checks signatures with the
-- signing key file's key and the keys its caller gives.)
-- dialect: sqlite
CREATE TRIGGER audit_signing_keys_immutable BEFORE UPDATE ON audit_signing_keys
BEGIN
  SELECT RAISE(ABORT, 'audit signing keys are immutable');
END;
CREATE TRIGGER audit_signing_keys_no_delete BEFORE DELETE ON audit_signing_keys
BEGIN
  SELECT RAISE(ABORT, 'audit signing keys are immutable');
END;
-- dialect: postgres
CREATE TRIGGER audit_signing_keys_immutable BEFORE UPDATE OR DELETE ON audit_signing_keys
FOR EACH ROW EXECUTE FUNCTION audit_immutable();
CREATE TRIGGER audit_signing_keys_no_truncate BEFORE TRUNCATE ON audit_signing_keys
FOR EACH STATEMENT EXECUTE FUNCTION audit_immutable();
-- dialect: all
