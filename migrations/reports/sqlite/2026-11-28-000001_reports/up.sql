-- The report service's own database. `api_keys`, `audit_events` and `idempotency_keys` have the
-- same columns as in the results service, so the shared code reads both; unit ids refer to the
-- results service's units (there is no units table here).

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit_id BIGINT,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id),
    revoked_at TIMESTAMP
);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    location TEXT,
    body BLOB,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- A report of one unit over one or more periods. Its content lives in immutable versions; once
-- issued nothing changes but the delivery state (a correction is a new report, `corrects`).
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    unit_id BIGINT NOT NULL,
    unit_name TEXT NOT NULL,
    -- The unit and its ancestors, space-separated and padded (" 18 2 1 "): keys limited to a
    -- unit reach the reports of the units below it.
    unit_scope TEXT NOT NULL,
    periods TEXT NOT NULL,
    status TEXT NOT NULL,
    corrects TEXT REFERENCES reports (id),
    current_version INTEGER NOT NULL,
    leader_official_id BIGINT,
    leader_name TEXT,
    leader_signed_at TIMESTAMP,
    number INTEGER,
    number_year INTEGER,
    number_text TEXT,
    issued_at TIMESTAMP,
    submitted_at TIMESTAMP,
    acknowledged_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (unit_id, number_year, number)
);
CREATE INDEX reports_unit ON reports (unit_id, created_at);

CREATE TABLE report_versions (
    report_id TEXT NOT NULL REFERENCES reports (id),
    version INTEGER NOT NULL,
    figures TEXT NOT NULL,
    figures_sha256 TEXT NOT NULL,
    sources TEXT NOT NULL,
    compiled_at TIMESTAMP NOT NULL,
    texts TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id),
    PRIMARY KEY (report_id, version)
);

-- The document at each stage: rendered (ready for signature), signed by the leader, issued.
CREATE TABLE report_documents (
    report_id TEXT NOT NULL REFERENCES reports (id),
    stage TEXT NOT NULL,
    pdf BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (report_id, stage)
);

-- Two-step signing by the leader: the prepared document waits here for the token's signature.
CREATE TABLE report_signing_sessions (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id),
    official_id BIGINT NOT NULL,
    official_name TEXT NOT NULL,
    certificate BLOB NOT NULL,
    chain BLOB NOT NULL,
    prepared TEXT NOT NULL,
    pdf BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);

-- The private key of the unit's collective certificate, encrypted under the key-store password.
CREATE TABLE organisation_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL,
    certificate BLOB NOT NULL,
    pkcs12 BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id)
);
CREATE INDEX organisation_keys_unit ON organisation_keys (unit_id);

-- Issued packages waiting for delivery to the province; the worker retries with backoff.
CREATE TABLE outbox (
    report_id TEXT PRIMARY KEY REFERENCES reports (id),
    destination TEXT NOT NULL,
    package BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    delivered_at TIMESTAMP,
    receipt TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);

-- At the province: packages received from lower units, verified, with the signed receipt.
CREATE TABLE received_reports (
    report_id TEXT PRIMARY KEY,
    sender_unit_id BIGINT NOT NULL,
    sender_unit_name TEXT NOT NULL,
    sender_level TEXT NOT NULL,
    kind TEXT NOT NULL,
    periods TEXT NOT NULL,
    number_text TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    -- The report this one corrects: the roll-up counts only the latest correction.
    corrects TEXT,
    figures TEXT NOT NULL,
    figures_sha256 TEXT NOT NULL,
    pdf BLOB NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    verification TEXT NOT NULL,
    receipt TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    received_by BIGINT REFERENCES api_keys (id)
);
CREATE INDEX received_reports_periods ON received_reports (periods, kind);
