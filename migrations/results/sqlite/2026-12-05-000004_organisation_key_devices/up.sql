-- Organisation keys held on a PKCS#11 token or HSM instead of a stored PKCS#12: one per
-- registered certificate, and a certificate has either such a key or a row in
-- organisation_keys. `device` is the JSON of the module, token, key and PIN source (the PIN
-- source is a variable or file name, never the PIN).
CREATE TABLE organisation_key_devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    certificate_id BIGINT NOT NULL UNIQUE REFERENCES certificates (id),
    device TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES api_keys (id)
);
