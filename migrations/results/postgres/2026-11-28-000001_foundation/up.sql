-- Administrative units as a tree of any depth. A unit that is merged keeps its row (for history)
-- and points at the unit it was merged into; `valid_to` is its last day (inclusive).
CREATE TABLE units (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES units (id),
    tax_code TEXT,
    budget_code TEXT,
    valid_from DATE NOT NULL,
    valid_to DATE,
    merged_into_id BIGINT REFERENCES units (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (valid_to IS NULL OR valid_to >= valid_from),
    CHECK (merged_into_id IS NULL OR valid_to IS NOT NULL)
);
CREATE INDEX units_parent_id ON units (parent_id);
CREATE INDEX units_merged_into_id ON units (merged_into_id);

-- Every version of a procedure, as published by a decision. The current version of a code is the
-- one nobody superseded; at most one per code.
CREATE TABLE procedures (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    level_province BOOLEAN NOT NULL,
    level_district BOOLEAN NOT NULL,
    level_commune BOOLEAN NOT NULL,
    processing_days INTEGER NOT NULL CHECK (processing_days >= 0),
    online_level TEXT NOT NULL,
    non_boundary BOOLEAN NOT NULL,
    fee_vnd BIGINT CHECK (fee_vnd >= 0),
    fee_note TEXT,
    decision_number TEXT NOT NULL,
    decision_date DATE NOT NULL,
    supersedes_id BIGINT UNIQUE REFERENCES procedures (id),
    supersede_kind TEXT,
    superseded_by_id BIGINT REFERENCES procedures (id),
    abolished_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX procedures_current_code ON procedures (code) WHERE superseded_by_id IS NULL;
CREATE INDEX procedures_field ON procedures (field);

CREATE TABLE officials (
    id BIGSERIAL PRIMARY KEY,
    full_name TEXT NOT NULL,
    personal_id TEXT NOT NULL UNIQUE,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    role TEXT NOT NULL,
    title TEXT,
    staffing TEXT NOT NULL,
    agency TEXT,
    agency_name TEXT,
    phone TEXT,
    email TEXT,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((staffing = 'agency_sent') = (agency IS NOT NULL))
);
CREATE INDEX officials_unit_id ON officials (unit_id);

-- Keys are stored as SHA-256 of the secret: they are 256-bit random, so a slow hash adds nothing.
CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit_id BIGINT REFERENCES units (id),
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id),
    revoked_at TIMESTAMP
);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_key_id BIGINT REFERENCES api_keys (id),
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id);

-- The audit trail is append-only: the database itself refuses to change or remove a record.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Responses remembered for retried POSTs, per credential (`scope` = hash of the API key).
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    location TEXT,
    body BYTEA,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
