-- The image of an official's handwritten signature and of a unit's seal (PNG with
-- transparency), drawn in the appearances of the signatures they make on reports.
CREATE TABLE official_signature_images (
    official_id BIGINT PRIMARY KEY NOT NULL,
    png BLOB NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE unit_seal_images (
    unit_id BIGINT PRIMARY KEY NOT NULL,
    png BLOB NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
