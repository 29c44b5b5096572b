-- Late data through a repartition topic: GROUP BY kind over a stream keyed
-- by sensor_id (2 partitions), TUMBLE 10 s, delay 0, ALLOWED LATENESS 5 s,
-- EMIT FINAL (one row when the watermark passes end - 1 + 5 s), late rows
-- into readings_late. The watermark of stage 1 is the minimum over the two
-- stage-0 tasks' markers:
-- ts 13 (p0) -> min(13, 12) = 12: nothing fires ([00,10) waits for 14.999).
-- ts 7 (p1, wm 12): within the lateness, crosses the topic, updates hum.
-- ts 16 (p0) -> min(16, 12) = 12; ts 9 (p1): within the lateness too
--   (partition 0's 16 s alone would have closed [00,10)).
-- ts 17 (p1) -> min(16, 17) = 16: [00,10) fires: temp {1, 3} n 2 total 4;
--   hum {2, 6, 10} n 3 total 18.
-- ts 4 (p1, wm 16): too late for [00,10): only in readings_late, with every
--   input column (EMIT LATE INTO keeps them all in the repartition topic).
-- End of input: [10,20) temp {5, 7} n 2 total 12; hum {4, 8} n 2 total 12.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 2);
SELECT kind, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY kind, window_start, window_end
EMIT FINAL
ALLOWED LATENESS INTERVAL '5' SECOND
EMIT LATE INTO readings_late;
