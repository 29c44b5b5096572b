-- HOP slide 5 s, size 10 s, watermark delay 0: each row is in two windows.
-- ts 1: [-5,05) and [00,10); ts 6: [00,10) and [05,15); ts 12: [05,15) and
-- [10,20).
-- ts 6 -> watermark 6 s: [-5,05) fires {1}.  ts 12 -> [00,10) fires {1, 6}.
-- End of input: [05,15) {6, 12}, [10,20) {12}.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total,
       MAX(value) AS hi
FROM TABLE(HOP(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end;
