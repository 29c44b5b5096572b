-- Deduplication keeping the first row per sensor (ORDER BY ts ASC, rn = 1).
-- a: 03 then 02 (earlier, within the delay: replaces it); emitted when the
--    watermark passes 02 (ts 05 -> watermark 03).
-- b: 04 is emitted when the watermark passes it (ts 09 -> 07); 01 comes
--    after that: late, to readings_late, never emitted.
-- c: 09 then 08 (replaces it); emitted at the end of input.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, value, ts
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY sensor_id ORDER BY ts) AS rn
    FROM readings
)
WHERE rn = 1
EMIT LATE INTO readings_late;
