CREATE STREAM alerts WITH (topic = 'alerts', partitions = 4) AS
SELECT sensor_id, machine_id, value, ts
FROM readings
WHERE kind = 'temperature' AND value > 70.0;
