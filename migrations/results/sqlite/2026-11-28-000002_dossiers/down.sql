DROP TABLE calendar_years;
DROP TABLE dossier_counts;
DROP TABLE dossier_sequences;
DROP TABLE dossier_events;
DROP TABLE dossier_components;
DROP TABLE dossiers;
