-- An organisation key is either a stored PKCS#12 or a key on a PKCS#11 token or HSM: `device`
-- is the JSON of the module, token, key and PIN source (a variable or file name, never the PIN).
ALTER TABLE organisation_keys ALTER COLUMN pkcs12 DROP NOT NULL;
ALTER TABLE organisation_keys ADD COLUMN device TEXT;
ALTER TABLE organisation_keys ADD CONSTRAINT organisation_keys_one_kind
    CHECK ((pkcs12 IS NULL) <> (device IS NULL));
