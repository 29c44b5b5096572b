-- Deduplication keeping the last row per sensor (ORDER BY ts DESC, rn = 1):
-- an upsert of the sensor each time a row is at or after the kept one, at
-- once; older rows change nothing (a 02 after a's 03, b's 01). Persistent:
-- the topic's records are keyed by sensor_id, the last one per key is the
-- answer (a: 4, b: 8, c: 5).
-- consume: latest
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
CREATE TABLE latest AS
SELECT sensor_id, value, ts
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY sensor_id ORDER BY ts DESC) AS rn
    FROM readings
)
WHERE rn = 1;
