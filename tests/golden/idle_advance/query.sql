-- Quiet inputs still close their windows: TUMBLE 10 s, delay 2 s,
-- 'watermark.idle-timeout' = '10 s'. After ts 43 s no partition delivers
-- for 31 virtual seconds: every input is idle, so the query watermark
-- follows processing time minus the delay (01:47:14 - 2 s) and the window
-- [46:40, 46:50) fires with {1, 2, 3} before the next row arrives. That
-- row (ts 45 s) is then too late: only in the late stream.
-- Compare idle_advance_off: the window waits and counts it.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
SET 'watermark.idle-timeout' = '10 s';
SELECT window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end
EMIT LATE INTO readings_late;
