-- TUMBLE 10 s, delay 5 s; everything fires at the end of input.
-- FIRST_VALUE / LAST_VALUE go by event time, not arrival (ties: the
-- earlier arrival first, the later arrival last).
-- s1 {5@5, 2@2, 8@8, 4@3}: first 2 (ts 2), last 8 (ts 8), 4 distinct,
--   mean 4.75, var_pop 18.75 / 4 = 4.6875, var_samp 18.75 / 3 = 6.25,
--   stddev_samp 2.5, stddev_pop sqrt(4.6875).
-- s2 {7@4, 9@4}: first 7, last 9, 2 distinct, var_pop 1, var_samp 2,
--   stddev_samp sqrt(2), stddev_pop 1.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, window_start, FIRST_VALUE(value) AS first_v,
       LAST_VALUE(value) AS last_v, COUNT(DISTINCT value) AS distinct_v,
       VAR_POP(value) AS var_pop, VAR_SAMP(value) AS var_samp,
       STDDEV_POP(value) AS sd_pop, STDDEV_SAMP(value) AS sd_samp
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end;
