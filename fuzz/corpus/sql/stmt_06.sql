CREATE TABLE per_sensor AS SELECT sensor_id, COUNT(*) AS n FROM readings GROUP BY sensor_id
