-- TUMBLE 10 s, delay 0, no lateness: windows are [start, end).
-- ts 00.000 is in [00,10); ts 09.999 makes the watermark 9.999 s = end - 1
--   ms, so [00,10) fires: n 2, total 3.
-- A second row at 09.999 arrives at watermark 9.999 s: too late (the late
--   stream). ts 10.000 is in [10,20): fires at the end of input, n 1.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end
EMIT LATE INTO readings_late;
