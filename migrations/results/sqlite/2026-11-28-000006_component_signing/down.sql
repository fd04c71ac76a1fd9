DROP TABLE component_files;
DROP TABLE signing_sessions;
