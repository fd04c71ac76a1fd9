-- An organisation key is either a stored PKCS#12 or a key on a PKCS#11 token or HSM: `device`
-- is the JSON of the module, token, key and PIN source (a variable or file name, never the PIN).
-- SQLite cannot drop NOT NULL in place: the table is rebuilt (nothing references it).
CREATE TABLE organisation_keys_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL,
    certificate BLOB NOT NULL,
    pkcs12 BLOB,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id),
    device TEXT,
    CHECK ((pkcs12 IS NULL) <> (device IS NULL))
);
INSERT INTO organisation_keys_new (id, unit_id, certificate, pkcs12, created_at, created_by)
    SELECT id, unit_id, certificate, pkcs12, created_at, created_by FROM organisation_keys;
DROP TABLE organisation_keys;
ALTER TABLE organisation_keys_new RENAME TO organisation_keys;
CREATE INDEX organisation_keys_unit ON organisation_keys (unit_id);
