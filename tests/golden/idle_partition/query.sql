-- TUMBLE 10 s, delay 0, SET 'watermark.idle-timeout' = '10 s', over two
-- partitions (COUNT over all sensors: the window is the only key).
-- Partition 1 goes quiet after ts 2 (arrival 2 s); at arrival 25 s it has
-- been silent 23 s, so it is idle and the watermark follows partition 0:
-- ts 15 -> [00,10) fires with {1, 2, 5}: n 3, total 8.
-- ts 22 -> [10,20) fires with {12, 15}: n 2, total 27.
-- ts 3 (partition 1 back, watermark 22 s): too late for [00,10): only in
--   the late stream. End of input: [20,30) {22}.
-- Compare idle_partition_off: without the timeout the row ts 3 counts.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
SET 'watermark.idle-timeout' = '10 s';
SELECT window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end
EMIT LATE INTO readings_late;
