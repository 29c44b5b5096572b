-- TUMBLE 10 s, delay 0, HAVING COUNT(*) >= 2 AND MAX(value) > 3, LIMIT 2.
-- [00,10): a {1, 3} (max 3: dropped), b {2} (dropped), c {4, 5}: kept.
-- [10,20): b {6, 7}: kept (the 2nd row: LIMIT ends the query), a {8}.
-- [20,30) never fires before the limit.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, COUNT(*) AS n, MAX(value) AS hi
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end
HAVING COUNT(*) >= 2 AND MAX(value) > 3
LIMIT 2;
