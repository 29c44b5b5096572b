INSERT INTO alerts SELECT sensor_id, value FROM readings WHERE value > 90
