-- SESSION gap 5 s per sensor, delay 0, ALLOWED LATENESS 10 s, EMIT FINAL
-- (one row when the watermark passes session end + lateness).
-- a ts 1: [01,06). b ts 12: watermark 12 s < 5.999 + 10: not final.
-- a ts 4 (late, within lateness): [04,09) merges into [01,09): n 2.
-- b ts 30: watermark 30 s: a [01,09) (final at 18.999 s) n 2, total 5, and
--   b [12,17) (final at 26.999 s) n 1.
-- a ts 2 at watermark 30 s: its session [02,07) would end - 1 + 10 =
--   16.999 s <= 30: too late, in the late stream.
-- End of input: b [30,35) n 1.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(SESSION(TABLE readings PARTITION BY sensor_id, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY sensor_id, window_start, window_end
EMIT FINAL
ALLOWED LATENESS INTERVAL '10' SECOND
EMIT LATE INTO readings_late;
