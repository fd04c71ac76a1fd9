-- The certificate that signed a checkpoint (SHA-256 of its DER, hex): the key is configured
-- explicitly (MOTCUA_AUDIT_CHECKPOINT_KEY) and each checkpoint names it.
ALTER TABLE audit_checkpoints ADD COLUMN signer_fingerprint TEXT;
