-- Other systems' subscriptions to the service's events, delivered by POSTs to their callback
-- URL. The cursor `delivered_through` is the outbox: the worker reads the events after it that
-- the filter keeps and moves it past each one acknowledged, so no row is written per delivery.
CREATE TABLE subscriptions (
    id BIGSERIAL PRIMARY KEY,
    callback_url TEXT NOT NULL,
    -- Space-separated CloudEvents types; empty: every type.
    event_types TEXT NOT NULL,
    -- Only events of this unit's subtree (events.unit_scope LIKE '% id %'); NULL: every unit.
    unit_id BIGINT,
    -- The signing secret, AES-256-GCM under a key derived from the key-store password.
    secret_sealed BYTEA NOT NULL,
    -- 'active' or 'dead_letter'.
    state TEXT NOT NULL,
    -- The last sequence delivered, or passed over by the filter.
    delivered_through BIGINT NOT NULL,
    -- Consecutive failed attempts since the last success.
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    last_attempt_at TIMESTAMP,
    last_delivered_at TIMESTAMP,
    -- A worker's claim: no other worker on this database delivers the subscription until then.
    lease_holder TEXT,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id)
);
CREATE INDEX subscriptions_due ON subscriptions (state, next_attempt_at);
