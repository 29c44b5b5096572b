-- CAST to DECIMAL(p, s) rounds half up (away from zero) to s places, as
-- Flink does, and gives NULL when the result needs more than p - s
-- integer digits. CAST(1.23456 AS DECIMAL(10,2)) used to give 1.23456.
-- value (10,2): 1.23, -1.24, 100.0, 0.0; value (4,2): 99.995 -> 100.00
-- overflows -> NULL; raw STRING (5,1): 1.0, -2.5, not a number -> NULL.
-- DECIMAL without (p, s) is DECIMAL(10, 0): value * 2 = 2.46912 -> 2,
-- -2.47 -> -2, 199.99 -> 200, -0.008 -> 0 (not -0). Output is a JSON
-- number (1.2 for a DECIMAL 1.20: rill carries DECIMAL as DOUBLE).
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    raw       STRING,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id,
       CAST(value AS DECIMAL(10, 2)) AS v2,
       CAST(value AS DECIMAL(4, 2)) AS v4,
       CAST(raw AS DECIMAL(5, 1)) AS r1,
       CAST(value * 2 AS DECIMAL) AS d0,
       CAST(1.23456 AS DECIMAL(10,2)) AS lit
FROM readings;
