-- CUMULATE step 5 s, max 10 s, delay 0: windows [00,05), [00,10),
-- [10,15), [10,20), ... each a prefix of its 10 s period.
-- ts 7 -> watermark 7 s: [00,05) fires {2}.
-- ts 11 -> watermark 11 s: [00,10) fires {2, 7}.
-- End of input: [10,15) {11}, [10,20) {11}.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, window_end, COUNT(*) AS n, SUM(value) AS total
FROM TABLE(CUMULATE(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end;
