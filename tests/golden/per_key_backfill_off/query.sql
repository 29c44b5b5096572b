-- per_key_backfill without 'watermark.per-key': the partition's watermark
-- is its newest event time (42 s when d comes back), so d's [00,10) fires
-- with {3, 5} at a's ts 11 and d's whole backlog (ts 9 to 33) is too late:
-- to readings_late, counted.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 1,
        key = 'sensor_id');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end
EMIT LATE INTO readings_late;
