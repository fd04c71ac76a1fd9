DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP FUNCTION refuse_truncate();
