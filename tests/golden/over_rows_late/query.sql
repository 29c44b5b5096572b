-- OVER with a ROWS frame: each row once the watermark passes it, in
-- event-time order per sensor, with the sum and count of itself and the
-- row before it (ROWS BETWEEN 1 PRECEDING) and a running count
-- (UNBOUNDED). The row at 2.9 s arrives at watermark 4 s: too late.
-- End of input releases the rest.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, ts, value,
       SUM(value) OVER (PARTITION BY sensor_id ORDER BY ts
                        ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS sum2,
       COUNT(*) OVER (PARTITION BY sensor_id ORDER BY ts
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n
FROM readings
EMIT LATE INTO readings_late;
