-- The counter of dossiers resolved with a result (status releasing, then done; not withdrawn or
-- stopped), keyed by the resolution day: the denominator of the electronic-result and
-- digitised-result rates. For the dossiers stored before it existed, at the day, month and year
-- grains, by the rule of `motcua_core::statistics::contributions`.
INSERT INTO dossier_counts (unit_id, grain, day, field, metric, n)
SELECT unit_id, 'd', resolved_on, field, 'result_issued', COUNT(*)
FROM dossiers
WHERE resolved_on IS NOT NULL AND resolution IS NOT NULL AND status IN ('releasing', 'done')
GROUP BY unit_id, resolved_on, field;
INSERT INTO dossier_counts (unit_id, grain, day, field, metric, n)
SELECT unit_id, 'm', date(day, 'start of month'), field, metric, SUM(n)
FROM dossier_counts WHERE grain = 'd' AND metric = 'result_issued'
GROUP BY unit_id, date(day, 'start of month'), field, metric;
INSERT INTO dossier_counts (unit_id, grain, day, field, metric, n)
SELECT unit_id, 'y', date(day, 'start of year'), field, metric, SUM(n)
FROM dossier_counts WHERE grain = 'd' AND metric = 'result_issued'
GROUP BY unit_id, date(day, 'start of year'), field, metric;
