-- A filter and a projection, no window: rows in arrival order.
-- WHERE LOWER(kind) = 'temp' AND value > 20 keeps 21.5 (a), 25 (a), 30 (c);
-- 19 fails the comparison, 'hum' the kind, NULL value gives NULL (dropped).
-- Fahrenheit = value * 1.8 + 32: 70.7, 77.0, 86.0.
-- The truncated record (partition 0 offset 1) and "value":"hot"
-- (partition 1 offset 2) are dead letters in readings.dlq.
-- A persistent query: a SELECT writes no dead letters (no side effects).
-- consume: result
-- consume: readings.dlq
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
CREATE STREAM result AS SELECT UPPER(sensor_id) AS sensor, value * 1.8 + 32 AS fahrenheit, ts,
       CASE WHEN value > 28 THEN 'high' ELSE 'normal' END AS level
FROM readings
WHERE LOWER(kind) = 'temp' AND value > 20;
