-- The events published to other systems (CloudEvents), one per change, appended in the
-- transaction of the change under the audit trail's lock, so that sequence order is commit order
-- and a reader that asks for what came after a sequence never misses one committed later.
CREATE TABLE events (
    sequence BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    unit_id BIGINT,
    -- The unit and its ancestors when the event happened, padded (' 12 4 1 '), so that
    -- LIKE '% 4 %' finds the events of unit 4's subtree.
    unit_scope TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_by_type ON events (event_type, sequence);
