DELETE FROM dossier_counts WHERE metric = 'digitised_result';
