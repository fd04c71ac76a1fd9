-- Remote signing of a leader's session through a provider (CSC or a provider's own API): the
-- session's state (pending → awaiting_approval → signed | rejected | expired), the provider and
-- credential chosen, the provider's transaction, the deadline of the approval and why it ended.
ALTER TABLE report_signing_sessions ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE report_signing_sessions ADD COLUMN remote_provider TEXT;
ALTER TABLE report_signing_sessions ADD COLUMN remote_credential TEXT;
ALTER TABLE report_signing_sessions ADD COLUMN remote_transaction TEXT;
ALTER TABLE report_signing_sessions ADD COLUMN approval_deadline TIMESTAMP;
ALTER TABLE report_signing_sessions ADD COLUMN state_reason TEXT;
UPDATE report_signing_sessions SET state = 'signed' WHERE completed_at IS NOT NULL;
CREATE INDEX report_signing_sessions_awaiting ON report_signing_sessions (state)
    WHERE state = 'awaiting_approval';
