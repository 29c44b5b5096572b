-- A windowed global aggregate (GROUP BY only the window bounds) over 3
-- partitions: no GROUP BY key, so the plan repartitions every row to a
-- one-partition topic and one stage-1 task counts (COUNT(*) alone was
-- refused with "cannot plan the repartition"). TUMBLE 10 s, delay 2 s.
-- After ts 15 (partition 2): watermarks p0 10, p1 12, p2 13 -> 10 s:
-- [00,10) fires: n 6. End of input: [10,20) n 3.
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 3);
SELECT window_start, window_end, COUNT(*) AS n
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
