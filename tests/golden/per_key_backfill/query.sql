-- Per-key watermarks ('watermark.per-key'): sensor d goes offline after
-- ts 5 while a and b go on to ts 42, then uploads its backlog (ts 9 to 33)
-- before it turns idle (30 s). TUMBLE 10 s per sensor, delay 0.
-- a and b are not held back by d: each of their windows fires on its own
-- watermark (a's [00,10) at its ts 11, b's at 12, ...), although d holds
-- the partition's floor at 5 s (EXPLAIN WATERMARK names it). d's backlog
-- is not late: d's own watermark is 5 s, so its [00,10) fires with
-- {3, 5, 9} at its ts 12, [10,20) at 25, [20,30) at 33. The late stream
-- stays empty. Compare per_key_backfill_off: there the backlog is late.
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
