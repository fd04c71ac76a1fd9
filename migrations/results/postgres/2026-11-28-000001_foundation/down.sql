DROP TABLE idempotency_keys;
DROP TRIGGER audit_events_no_update ON audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE audit_events;
DROP TABLE api_keys;
DROP TABLE officials;
DROP TABLE procedures;
DROP TABLE units;
