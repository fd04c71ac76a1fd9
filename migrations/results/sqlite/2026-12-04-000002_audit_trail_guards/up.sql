-- Every dossier change is also a record of the hash-chained audit trail; its history row names
-- the request it came from, like the audit record does. Rows written before this migration
-- have no request id ('-').
ALTER TABLE dossier_events ADD COLUMN request_id TEXT NOT NULL DEFAULT '-';

-- A dossier's history is append-only, like the audit trail. (SQLite has no TRUNCATE; a
-- `DELETE` without `WHERE` runs these row triggers too.)
CREATE TRIGGER dossier_events_no_update BEFORE UPDATE ON dossier_events
BEGIN
    SELECT RAISE(ABORT, 'dossier_events is append-only');
END;
CREATE TRIGGER dossier_events_no_delete BEFORE DELETE ON dossier_events
BEGIN
    SELECT RAISE(ABORT, 'dossier_events is append-only');
END;
