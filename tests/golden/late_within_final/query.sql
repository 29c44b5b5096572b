-- TUMBLE 10 s, delay 2 s, ALLOWED LATENESS 5 s, EMIT FINAL: one row per
-- window when the watermark passes window end + lateness, never updated.
-- ts 17 -> watermark 15 s: [00,10) emits once, with the late row 7 that
--   arrived within the lateness: n 3 (1, 4, 7), total 12.
-- ts 8 arrives at watermark 15 s: too late, only in the late stream.
-- End of input: [10,20) {12, 17} n 2, [20,30) {21} n 1.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end
EMIT FINAL
ALLOWED LATENESS INTERVAL '5' SECOND
EMIT LATE INTO readings_late;
