DELETE FROM organisation_keys WHERE pkcs12 IS NULL;
ALTER TABLE organisation_keys DROP CONSTRAINT organisation_keys_one_kind;
ALTER TABLE organisation_keys DROP COLUMN device;
ALTER TABLE organisation_keys ALTER COLUMN pkcs12 SET NOT NULL;
