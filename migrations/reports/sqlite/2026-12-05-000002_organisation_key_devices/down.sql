CREATE TABLE organisation_keys_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL,
    certificate BLOB NOT NULL,
    pkcs12 BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id)
);
INSERT INTO organisation_keys_old (id, unit_id, certificate, pkcs12, created_at, created_by)
    SELECT id, unit_id, certificate, pkcs12, created_at, created_by FROM organisation_keys
    WHERE pkcs12 IS NOT NULL;
DROP TABLE organisation_keys;
ALTER TABLE organisation_keys_old RENAME TO organisation_keys;
CREATE INDEX organisation_keys_unit ON organisation_keys (unit_id);
