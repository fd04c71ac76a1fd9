-- The counter of digitised results (dossier digitised at reception and result issued
-- electronically, keyed by the resolution day), for the dossiers stored before it existed: the
-- same rule as `motcua_core::statistics::digitised_result`, at the day, month and year grains.
INSERT INTO dossier_counts (unit_id, grain, day, field, metric, n)
SELECT unit_id, 'd', resolved_on, field, 'digitised_result', COUNT(*)
FROM dossiers
WHERE resolved_on IS NOT NULL AND resolution IS NOT NULL AND digitised AND electronic_result
GROUP BY unit_id, resolved_on, field;
INSERT INTO dossier_counts (unit_id, grain, day, field, metric, n)
SELECT unit_id, 'm', date(day, 'start of month'), field, metric, SUM(n)
FROM dossier_counts WHERE grain = 'd' AND metric = 'digitised_result'
GROUP BY unit_id, date(day, 'start of month'), field, metric;
INSERT INTO dossier_counts (unit_id, grain, day, field, metric, n)
SELECT unit_id, 'y', date(day, 'start of year'), field, metric, SUM(n)
FROM dossier_counts WHERE grain = 'd' AND metric = 'digitised_result'
GROUP BY unit_id, date(day, 'start of year'), field, metric;
