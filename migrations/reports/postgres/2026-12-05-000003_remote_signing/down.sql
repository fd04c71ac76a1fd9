DROP INDEX report_signing_sessions_awaiting;
ALTER TABLE report_signing_sessions DROP COLUMN state_reason;
ALTER TABLE report_signing_sessions DROP COLUMN approval_deadline;
ALTER TABLE report_signing_sessions DROP COLUMN remote_transaction;
ALTER TABLE report_signing_sessions DROP COLUMN remote_credential;
ALTER TABLE report_signing_sessions DROP COLUMN remote_provider;
ALTER TABLE report_signing_sessions DROP COLUMN state;
