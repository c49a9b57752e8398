-- Encrypted backups (age): which dumps are encrypted, and a drill's third verdict.
-- A dump encrypted to public keys only can be drilled on a machine without the identity: the
-- drill then checks what it can (checksum, age header, recipients) and records 'unverified',
-- as its contents were not restored. 'true' and 'false' keep seed 003's meaning.

ALTER TABLE backup_history
    ADD COLUMN encryption text CHECK (encryption IN ('age'));

COMMENT ON COLUMN backup_history.encryption IS 'age when the dump is encrypted (sha256 and size_bytes are then of the encrypted file); NULL for a plain dump';

ALTER TABLE backup_history DROP CONSTRAINT backup_history_verification_status_check;
ALTER TABLE backup_history ADD CONSTRAINT backup_history_verification_status_check
    CHECK (verification_status IN ('true', 'false', 'unverified'));
