-- Tamper-evident audit trail: every record carries the SHA-256 of the previous record (`prev_hash`)
-- and its own (`hash`, over the canonical encoding described in API-DESIGN.md). Records written
-- before this migration get their hashes when the service next starts (in Rust: SQLite has no
-- SHA-256); until then `hash` is empty.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- Still append-only; the one exception is setting the hashes of a record that has none yet
-- (the chaining of records older than this migration), leaving everything else as it was.
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (OLD.hash = '' AND OLD.prev_hash = '' AND NEW.id = OLD.id AND NEW.at = OLD.at
    AND NEW.actor_key_id IS OLD.actor_key_id AND NEW.actor_name = OLD.actor_name
    AND NEW.action = OLD.action AND NEW.object_type = OLD.object_type
    AND NEW.object_id = OLD.object_id AND NEW.request_id = OLD.request_id
    AND NEW.detail = OLD.detail)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- Signed tree heads (RFC 6962 Merkle tree) over the records since the previous checkpoint.
CREATE TABLE audit_checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TIMESTAMP NOT NULL,
    first_record_id BIGINT NOT NULL,
    last_record_id BIGINT NOT NULL,
    tree_size BIGINT NOT NULL,
    root_hash TEXT NOT NULL,
    last_record_hash TEXT NOT NULL,
    -- Detached CMS over the statement; NULL when no organisation key was available.
    signature BLOB,
    signer TEXT
);
CREATE INDEX audit_checkpoints_records ON audit_checkpoints (first_record_id, last_record_id);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
