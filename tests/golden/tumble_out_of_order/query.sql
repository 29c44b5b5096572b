-- TUMBLE 10 s, watermark delay 2 s, records out of order by less than the
-- delay: exactly the rows of tumble_in_order (same windows, same values).
-- ts 13 s -> watermark 11 s >= 9.999 s: [00,10) fires:
--   s1 {1, 3, 2}: n 3, sum 6, min 1, max 3, avg 2;  s2 {10}: n 1.
-- ts 25 s -> watermark 23 s: [10,20) fires: s2 {20}, s1 {5}.
-- End of input (watermark to the end of time): [20,30) fires: s1 {7}.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total,
       MIN(value) AS lo, MAX(value) AS hi, AVG(value) AS mean
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end;
