DROP TABLE unit_seal_images;
DROP TABLE official_signature_images;
