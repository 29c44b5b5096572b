-- Anomaly functions in an outer query's WHERE (Flink's shape): a z-score
-- against the 4 rows before, a MAD score, EWMA, and a stuck rule (the
-- last 3 rows identical). Only the spike (z 142) and the stuck rows
-- (from the third identical value on) pass.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, ts, value, ROUND(z, 2) AS z, ROUND(mad, 2) AS mad,
       ROUND(ewma, 3) AS ewma, n3
FROM (
    SELECT sensor_id, ts, value,
           ZSCORE(value) OVER w4 AS z,
           MAD_SCORE(value) OVER w4 AS mad,
           EWMA(value, 0.5) OVER (PARTITION BY sensor_id ORDER BY ts) AS ewma,
           MIN(value) OVER w2 AS lo, MAX(value) OVER w2 AS hi,
           COUNT(*) OVER w2 AS n3
    FROM readings
    WINDOW w4 AS (PARTITION BY sensor_id ORDER BY ts
                  ROWS BETWEEN 4 PRECEDING AND CURRENT ROW),
           w2 AS (PARTITION BY sensor_id ORDER BY ts
                  ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
)
WHERE z > 6 OR (n3 = 3 AND lo = hi);
