-- Tamper-evident audit trail: every record carries the SHA-256 of the previous record (`prev_hash`)
-- and its own (`hash`, over the canonical encoding described in API-DESIGN.md). Records written
-- before this migration get their hashes when the service next starts (the same code as for
-- SQLite, which has no SHA-256); until then `hash` is empty.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- Still append-only; the one exception is setting the hashes of a record that has none yet
-- (the chaining of records older than this migration), leaving everything else as it was.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash = '' AND OLD.prev_hash = ''
        AND (NEW.id, NEW.at, NEW.actor_name, NEW.action, NEW.object_type, NEW.object_id,
             NEW.request_id, NEW.detail)
            = (OLD.id, OLD.at, OLD.actor_name, OLD.action, OLD.object_type, OLD.object_id,
               OLD.request_id, OLD.detail)
        AND NEW.actor_key_id IS NOT DISTINCT FROM OLD.actor_key_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

-- Signed tree heads (RFC 6962 Merkle tree) over the records since the previous checkpoint.
CREATE TABLE audit_checkpoints (
    id BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    first_record_id BIGINT NOT NULL,
    last_record_id BIGINT NOT NULL,
    tree_size BIGINT NOT NULL,
    root_hash TEXT NOT NULL,
    last_record_hash TEXT NOT NULL,
    -- Detached CMS over the statement; NULL when no organisation key was available.
    signature BYTEA,
    signer TEXT
);
CREATE INDEX audit_checkpoints_records ON audit_checkpoints (first_record_id, last_record_id);
CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints is append-only';
END;
$$;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
