DELETE FROM dossier_counts WHERE grain = 'y';
