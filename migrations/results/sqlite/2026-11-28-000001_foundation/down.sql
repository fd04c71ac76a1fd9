DROP TABLE idempotency_keys;
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_events;
DROP TABLE api_keys;
DROP TABLE officials;
DROP TABLE procedures;
DROP TABLE units;
