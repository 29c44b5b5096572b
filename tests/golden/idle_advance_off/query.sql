-- idle_advance with 'watermark.idle-advance' = 'false': while every input
-- is idle the watermark stays where it was (Flink's behaviour), so the
-- window [46:40, 46:50) waits, and the row ts 45 s that arrives after 31
-- quiet seconds is counted in it: n 4 at the end of input.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
SET 'watermark.idle-timeout' = '10 s';
SET 'watermark.idle-advance' = 'false';
SELECT window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end
EMIT LATE INTO readings_late;
