-- Dossiers (hồ sơ). Days (`*_on`) are Vietnam calendar days of the matching instants (`*_at`,
-- UTC): they are what the statistics group by.
CREATE TABLE dossiers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    procedure_id BIGINT NOT NULL REFERENCES procedures (id),
    field TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    applicant_kind TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    applicant_id_number TEXT NOT NULL,
    applicant_address TEXT,
    applicant_phone TEXT,
    applicant_email TEXT,
    request_content TEXT,
    receiving_official_id BIGINT REFERENCES officials (id),
    submitted_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP,
    received_on DATE,
    due_at TIMESTAMP,
    -- The day the dossier falls due; NULL while the deadline is paused.
    due_on DATE,
    paused_at TIMESTAMP,
    resolved_at TIMESTAMP,
    resolved_on DATE,
    resolution TEXT,
    returned_at TIMESTAMP,
    appointment_at TIMESTAMP,
    digitised BOOLEAN NOT NULL,
    reused BOOLEAN NOT NULL,
    electronic_result BOOLEAN NOT NULL,
    rating TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (resolved_on IS NULL OR received_on IS NOT NULL)
);
CREATE INDEX dossiers_unit_received ON dossiers (unit_id, received_on);
CREATE INDEX dossiers_unit_status ON dossiers (unit_id, status);
CREATE INDEX dossiers_procedure ON dossiers (procedure_id);
CREATE INDEX dossiers_open_due ON dossiers (due_at) WHERE resolved_at IS NULL;

CREATE TABLE dossier_components (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    copies INTEGER NOT NULL CHECK (copies >= 0),
    digitisation TEXT NOT NULL,
    UNIQUE (dossier_id, position)
);

-- The history of a dossier: status changes, apologies, ratings, complaints.
CREATE TABLE dossier_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id),
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    official_id BIGINT REFERENCES officials (id),
    actor_key_id BIGINT REFERENCES api_keys (id),
    note TEXT
);
CREATE INDEX dossier_events_dossier ON dossier_events (dossier_id, id);

-- The last number given each day at each unit; the row is locked by the transaction that
-- creates a dossier, so numbers are consecutive and never reused.
CREATE TABLE dossier_sequences (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    day DATE NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (unit_id, day)
);

-- Counters maintained in the transaction of every dossier change, per unit, field and day
-- (grain 'd') and per month (grain 'm', day = first of the month). Biểu 06 sums these instead
-- of scanning dossiers; `motcua rebuild-statistics` recomputes them from the dossiers.
CREATE TABLE dossier_counts (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    grain TEXT NOT NULL,
    day DATE NOT NULL,
    field TEXT NOT NULL,
    metric TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (unit_id, grain, day, field, metric)
);

-- Days off and make-up working days of a year, when they differ from the shipped defaults.
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
