DROP TRIGGER dossier_events_no_truncate ON dossier_events;
DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP FUNCTION refuse_truncate();
DROP TRIGGER dossier_events_no_update ON dossier_events;
DROP FUNCTION dossier_events_append_only();
ALTER TABLE dossier_events DROP COLUMN request_id;
