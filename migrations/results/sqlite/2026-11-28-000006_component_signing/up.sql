-- Two-step signing of digitised components: the server prepares the signed PDF and keeps it here
-- until the official's token returns the signature; the official's key never reaches the server.
CREATE TABLE signing_sessions (
    id TEXT PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id),
    position INTEGER NOT NULL,
    official_id BIGINT NOT NULL REFERENCES officials (id),
    certificate_id BIGINT NOT NULL REFERENCES certificates (id),
    -- The byte range and the signed attributes, as JSON; the prepared document is `pdf`.
    prepared TEXT NOT NULL,
    pdf BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);

-- The signed scan of a component (TT 01/2023: same pages, colour PDF, signed at reception).
CREATE TABLE component_files (
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id),
    position INTEGER NOT NULL,
    pdf BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    official_id BIGINT NOT NULL REFERENCES officials (id),
    certificate_id BIGINT NOT NULL REFERENCES certificates (id),
    signed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dossier_id, position)
);
