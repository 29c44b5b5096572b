-- Per-key watermarks ('watermark.per-key'): one device (z) among four has a
-- clock an hour ahead. TUMBLE 10 s per sensor, delay 0, one partition.
-- Each sensor's windows fire on its own watermark (its newest ts): a, b, c
-- fire [00,10) at their ts 12, 13, 14 and [10,20) at 21, 22, 23; z fires
-- [3600,3610) at its ts 3615. z neither makes the others' rows late (the
-- late stream stays empty) nor fires their windows early; the partition's
-- watermark is the floor over the four keys (the least), so the end of
-- input fires the rest. Compare per_key_skewed_clock_off: without the
-- option z's first row moves the partition's watermark an hour ahead and
-- every later row of a, b and c is late.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 1,
        key = 'sensor_id', 'watermark.per-key' = 'true');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end
EMIT LATE INTO readings_late;
