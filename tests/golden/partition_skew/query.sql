-- TUMBLE 10 s, delay 2 s, two partitions, idle timeout off (the default).
-- Watermarks are per partition and the query's is their minimum, so the
-- lagging partition 1 is never late although partition 0 is 30 s ahead:
-- partition 1 has no data until arrival 5 (it holds the watermark at
-- none); ts 2 -> min(29, 0) = 0 s; ts 12 -> 10 s: [00,10) fires {1, 2};
-- ts 22 -> 20 s: [10,20) fires {11, 12}. End of input: [20,30) {21, 22},
-- [30,40) {31}. Nothing late.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
SELECT window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end
EMIT LATE INTO readings_late;
