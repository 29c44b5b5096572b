-- per_key_skewed_clock without 'watermark.per-key': the partition's
-- watermark is its newest event time, so z's first row (an hour ahead)
-- fires [00,10) of a, b and c with the one row each had, and every later
-- row of a, b and c is too late: to readings_late, counted.
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
