-- A persistent query (CREATE STREAM ... AS) with TUMBLE 5 s, delay 1 s,
-- no allowed lateness, EMIT LATE INTO, over two partitions.
-- ts 7 (p0): watermark min(6, 1) = 1 s.  ts 8 (p1): min(6, 7) = 6 s:
--   [00,05) fires {1, 2}: n 2.
-- ts 3 (p0) and ts 4 (p1) arrive at watermark 6 s >= 4.999 s: too late,
--   written to readings_late as they arrived, not counted in [00,05).
-- ts 6 (p0): [05,10) is open (fires at 9.999 s): counts.
-- End of input: [05,10) {7, 8, 6}: n 3.
-- consume: counts
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
CREATE STREAM counts AS
SELECT window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end
EMIT LATE INTO readings_late;
