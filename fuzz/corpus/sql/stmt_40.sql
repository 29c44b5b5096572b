EXPLAIN SELECT sensor_id, AVG(value) FROM readings GROUP BY sensor_id
