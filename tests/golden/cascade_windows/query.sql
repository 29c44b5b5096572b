-- Cascaded windows, as Flink writes them: 5 s sums per sensor, then their
-- 20 s totals over window_time (the 5 s windows' end - 1 ms, their rows'
-- event time). 5 s windows: s1 [00,05) 4, s2 [00,05) 10, s1 [05,10) 2,
-- s1 [10,15) 5, s2 [10,15) 20, s1 [25,30) 7. 20 s windows: [00,20) 41
-- (5 windows), [20,40) 7 (1).
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT window_start, window_end, SUM(partial) AS total, COUNT(*) AS windows
FROM TABLE(TUMBLE(TABLE (
    SELECT sensor_id, window_time AS rowtime, SUM(value) AS partial
    FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND))
    GROUP BY sensor_id, window_start, window_end, window_time
), DESCRIPTOR(rowtime), INTERVAL '20' SECOND))
GROUP BY window_start, window_end;
