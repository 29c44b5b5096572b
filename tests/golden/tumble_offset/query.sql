-- TUMBLE 10 s with offset 3 s, delay 0: windows [-7,03), [03,13), [13,23).
-- ts 2 -> [-7,03); ts 3 -> watermark 3 s: [-7,03) fires {2}.
-- ts 12 -> [03,13); ts 14 -> watermark 14 s: [03,13) fires {3, 12}.
-- End of input: [13,23) {14}.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '3' SECOND))
GROUP BY sensor_id, window_start, window_end;
