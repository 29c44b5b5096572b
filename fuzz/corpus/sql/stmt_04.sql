CREATE STREAM alerts AS SELECT sensor_id, value FROM readings WHERE value > 80.0
