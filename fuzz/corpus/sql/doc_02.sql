CREATE TABLE per_sensor AS
SELECT sensor_id, COUNT(*) AS readings, MAX(value) AS max_value
FROM readings
GROUP BY sensor_id;
