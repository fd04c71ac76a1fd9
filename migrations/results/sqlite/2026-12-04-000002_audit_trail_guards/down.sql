DROP TRIGGER dossier_events_no_delete;
DROP TRIGGER dossier_events_no_update;
ALTER TABLE dossier_events DROP COLUMN request_id;
