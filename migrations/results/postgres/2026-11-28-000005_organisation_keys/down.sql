DROP TABLE dossier_results;
DROP TABLE organisation_keys;
