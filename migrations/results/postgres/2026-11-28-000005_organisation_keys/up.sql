-- Private keys of units' collective certificates, for issuing electronic results, and the
-- signed results themselves.

-- One key per registered certificate. `pkcs12` is a PKCS#12 file re-encrypted (PBES2,
-- AES-256-CBC) under the key-store password of the service configuration; it is decrypted in
-- memory only, when a result is signed.
CREATE TABLE organisation_keys (
    id BIGSERIAL PRIMARY KEY,
    certificate_id BIGINT NOT NULL UNIQUE REFERENCES certificates (id),
    pkcs12 BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id)
);

-- The signed electronic result of a dossier (PAdES), one per dossier.
CREATE TABLE dossier_results (
    id BIGSERIAL PRIMARY KEY,
    dossier_id BIGINT NOT NULL UNIQUE REFERENCES dossiers (id),
    pdf BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    certificate_id BIGINT NOT NULL REFERENCES certificates (id),
    signed_at TIMESTAMP NOT NULL,
    signed_by BIGINT REFERENCES api_keys (id)
);
