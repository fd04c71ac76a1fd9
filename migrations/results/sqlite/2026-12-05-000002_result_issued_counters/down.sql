DELETE FROM dossier_counts WHERE metric = 'result_issued';
