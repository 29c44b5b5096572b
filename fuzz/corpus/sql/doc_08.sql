CREATE STREAM readings (
    sensor_id  STRING,
    machine_id STRING,
    kind       STRING,
    value      DOUBLE,
    unit       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 6);

-- Per-sensor statistics every 10 s on event time; readings up to 2 minutes
-- late still count; later ones land in readings_late.
CREATE TABLE sensor_stats_10s AS
SELECT sensor_id, machine_id, kind, window_start, window_end,
       COUNT(*)          AS readings,
       AVG(value)        AS avg_value,
       MIN(value)        AS min_value,
       MAX(value)        AS max_value,
       STDDEV_POP(value) AS stddev_value
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, machine_id, kind, window_start, window_end
ALLOWED LATENESS INTERVAL '120' SECOND
EMIT FINAL
EMIT LATE INTO readings_late;

-- Threshold alerts, per reading, as soon as it arrives.
CREATE STREAM alerts AS
SELECT sensor_id, machine_id, kind, value, ts,
       CASE WHEN kind = 'vibration'   THEN 'vibration above 2 g'
            WHEN kind = 'temperature' THEN 'temperature above 70 C'
       END AS reason
FROM readings
WHERE (kind = 'vibration' AND value > 2.0)
   OR (kind = 'temperature' AND value > 70.0);

-- Watch it live (a transient query).
SELECT * FROM alerts EMIT CHANGES LIMIT 20;
