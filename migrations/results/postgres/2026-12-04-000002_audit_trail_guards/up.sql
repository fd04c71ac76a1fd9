-- Every dossier change is also a record of the hash-chained audit trail; its history row names
-- the request it came from, like the audit record does. Rows written before this migration
-- have no request id ('-').
ALTER TABLE dossier_events ADD COLUMN request_id TEXT NOT NULL DEFAULT '-';

-- A dossier's history is append-only, like the audit trail.
CREATE FUNCTION dossier_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dossier_events is append-only';
END;
$$;
CREATE TRIGGER dossier_events_no_update BEFORE UPDATE OR DELETE ON dossier_events
    FOR EACH ROW EXECUTE FUNCTION dossier_events_append_only();

-- Row triggers do not fire on TRUNCATE: a statement trigger refuses it on every append-only table.
CREATE FUNCTION refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE is refused', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER dossier_events_no_truncate BEFORE TRUNCATE ON dossier_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
