-- SESSION per sensor, gap 5 s, watermark delay 5 s. A session is
-- [first, last + gap); a row whose [ts, ts + gap] touches two sessions
-- merges them.
-- a: ts 1 -> [01,06); ts 10 -> [10,15) (watermark 5 s: [01,06) is still
--   open, it completes at 5.999 s); ts 5 -> [05,10] overlaps [01,06) and
--   touches [10,15): one session [01,15), n 3, total 16.
-- ts 30 -> watermark 25 s: b [03,08) n 1 and a [01,15) fire.
-- End of input: a [30,35) n 1.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(SESSION(TABLE readings PARTITION BY sensor_id, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY sensor_id, window_start, window_end;
