-- Yearly counters (grain 'y', day = 1 January) beside the daily and monthly ones, so that a year
-- of statistics reads one row per unit, field and metric. Existing months are summed into years.
INSERT INTO dossier_counts (unit_id, grain, day, field, metric, n)
SELECT unit_id, 'y', date(day, 'start of year'), field, metric, SUM(n)
FROM dossier_counts WHERE grain = 'm'
GROUP BY unit_id, date(day, 'start of year'), field, metric;
