ALTER TABLE audit_checkpoints DROP COLUMN signer_fingerprint;
