-- HOP slide 5 s, size 10 s, delay 0, no lateness. A row too late for some
-- of its windows still updates the open ones, and is reported late once.
-- ts 12 -> watermark 12 s: [-5,05) {1} and [00,10) {1} fire.
-- ts 8 belongs to [00,10) (fired: too late) and [05,15) (open: counts);
--   it appears once in the late stream.
-- End of input: [05,15) {12, 8}: n 2, total 20; [10,20) {12}.
-- consume: readings_late
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(HOP(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end
EMIT LATE INTO readings_late;
