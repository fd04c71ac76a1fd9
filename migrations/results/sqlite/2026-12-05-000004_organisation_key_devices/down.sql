DROP TABLE organisation_key_devices;
