DROP INDEX signing_sessions_awaiting;
ALTER TABLE signing_sessions DROP COLUMN state_reason;
ALTER TABLE signing_sessions DROP COLUMN approval_deadline;
ALTER TABLE signing_sessions DROP COLUMN remote_transaction;
ALTER TABLE signing_sessions DROP COLUMN remote_credential;
ALTER TABLE signing_sessions DROP COLUMN remote_provider;
ALTER TABLE signing_sessions DROP COLUMN state;
