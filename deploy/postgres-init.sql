-- Databases of the report services (the results database is created by POSTGRES_DB).
CREATE DATABASE motcua_reports OWNER motcua;
CREATE DATABASE motcua_province OWNER motcua;
