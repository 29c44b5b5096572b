-- TUMBLE 10 s, delay 2 s, ALLOWED LATENESS 5 s, EMIT CHANGES: after each
-- input batch (here one record), one row per window it changed; nothing
-- more when a window completes.
-- ts 1, 4: [00,10) n 1, then n 2.   ts 12: [10,20) n 1.
-- ts 7 (late, within lateness: watermark 10 s < 9.999 + 5): [00,10) n 3.
-- ts 17: [10,20) n 2.
-- ts 8 at watermark 15 s: too late, no row; only in the late stream.
-- ts 21: [20,30) n 1. End of input: nothing more.
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
EMIT CHANGES
ALLOWED LATENESS INTERVAL '5' SECOND
EMIT LATE INTO readings_late;
