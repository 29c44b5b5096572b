-- A plain GROUP BY (no window): an updating table, EMIT CHANGES by default:
-- after each record, the new row of the key it changed.
-- a {1}: n 1 max 1; b {10}; a {1, 4}: n 2 max 4; a {1, 4, 2}: n 3 max 4;
-- b {10, 5}: n 2 max 10.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
SELECT sensor_id, COUNT(*) AS n, SUM(value) AS total, MAX(value) AS hi
FROM readings
GROUP BY sensor_id;
