-- RANGE BETWEEN INTERVAL '3' SECOND PRECEDING through a named window:
-- rows with ts in [ts - 3 s, ts], the current row's peers (same ts)
-- included, beside a ROWS frame of the same window name's order.
-- ts 1: {1}; ts 3: {1,2}; ts 5 (twice): {2,4,8}; ts 8.5: {8.5-3=5.5..}: {16}.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT sensor_id, value,
       SUM(value) OVER w AS sum3s,
       MAX(value) OVER w AS max3s,
       AVG(value) OVER w2 AS avg2
FROM readings
WINDOW w AS (PARTITION BY sensor_id ORDER BY ts
             RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW),
       w2 AS (PARTITION BY sensor_id ORDER BY ts
              ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);
