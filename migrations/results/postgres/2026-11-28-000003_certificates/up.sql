-- The certificate registry: the trust store (CA certificates and CRLs) managed through the API,
-- and the certificates of officials (personal) and units (collective) with their latest verdict.

-- One row. `version` grows with every change of the trust store, so every service instance can
-- tell whether its in-memory copy is current; changing the trust store and registering a
-- certificate both lock this row, so a registration never validates against a store that is
-- being replaced.
CREATE TABLE trust_store (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    changed_at TIMESTAMP,
    revalidated_at TIMESTAMP
);
INSERT INTO trust_store (id, version) VALUES (1, 0);

-- Roots and intermediates. A removed certificate keeps its row (for history) with `removed_at`.
CREATE TABLE trust_anchors (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('root', 'intermediate')),
    subject TEXT NOT NULL,
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    not_before TIMESTAMP NOT NULL,
    not_after TIMESTAMP NOT NULL,
    der BYTEA NOT NULL,
    added_at TIMESTAMP NOT NULL,
    added_by BIGINT REFERENCES api_keys (id),
    removed_at TIMESTAMP,
    removed_by BIGINT REFERENCES api_keys (id)
);
CREATE UNIQUE INDEX trust_anchors_active_fingerprint ON trust_anchors (fingerprint)
    WHERE removed_at IS NULL;

-- Every CRL imported; the trust store uses the newest of each issuer.
CREATE TABLE crls (
    id BIGSERIAL PRIMARY KEY,
    issuer TEXT NOT NULL,
    this_update TIMESTAMP NOT NULL,
    next_update TIMESTAMP,
    number TEXT,
    revoked_count BIGINT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    der BYTEA NOT NULL,
    added_at TIMESTAMP NOT NULL,
    added_by BIGINT REFERENCES api_keys (id)
);
CREATE INDEX crls_issuer ON crls (issuer);

-- A certificate belongs to an official (individual) or to a unit (organisation), never both.
-- `binding` and `verdict` are JSON; `usable` means bound to its holder and valid at `validated_at`.
CREATE TABLE certificates (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('individual', 'organisation')),
    official_id BIGINT REFERENCES officials (id),
    unit_id BIGINT REFERENCES units (id),
    subject TEXT NOT NULL,
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    not_before TIMESTAMP NOT NULL,
    not_after TIMESTAMP NOT NULL,
    der BYTEA NOT NULL,
    bound BOOLEAN NOT NULL,
    binding TEXT NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    verdict TEXT NOT NULL,
    validated_at TIMESTAMP NOT NULL,
    usable BOOLEAN NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    registered_by BIGINT REFERENCES api_keys (id),
    CHECK ((official_id IS NULL) <> (unit_id IS NULL)),
    CHECK ((kind = 'individual') = (official_id IS NOT NULL)),
    CHECK (NOT usable OR (bound AND status = 'valid'))
);
CREATE INDEX certificates_official_id ON certificates (official_id);
CREATE INDEX certificates_unit_id ON certificates (unit_id);
CREATE INDEX certificates_status ON certificates (status);
CREATE INDEX certificates_not_after ON certificates (not_after);
