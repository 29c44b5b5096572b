-- The input of idle_partition with the idle timeout off (SET ... '0'): partition 1
-- holds the watermark at 2 s (its max ts - 0) until its next record, so no
-- window fires before then. The row ts 3 arrives at watermark 2 s: not
-- late. Then the watermark is min(22, 3) = 3 s, so every window fires at
-- the end of input: [00,10) {1, 2, 5, 3} n 4, [10,20) {12, 15},
-- [20,30) {22}. Nothing in the late stream.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
SET 'watermark.idle-timeout' = '0';
SELECT window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end
EMIT LATE INTO readings_late;
