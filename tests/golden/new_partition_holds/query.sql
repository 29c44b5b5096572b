-- TUMBLE 10 s, delay 0, SET 'watermark.idle-timeout' = '30 s', two
-- partitions. A partition that has not delivered yet (NEW) holds the
-- watermark at "none" until it delivers or has been silent for the idle
-- timeout, counted from when the query started (docs/stream.md,
-- watermark.c invariant 2). Partition 1 speaks at arrival 5 s (< 30 s), so
-- no window fires before it; its row ts 3 is on time. Watermark then
-- min(15, 3) = 3 s; everything fires at the end of input:
-- [00,10) {1, 5, 3}: n 3, total 9;  [10,20) {12, 15}: n 2, total 27.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
SET 'watermark.idle-timeout' = '30 s';
SELECT window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end
EMIT LATE INTO readings_late;
