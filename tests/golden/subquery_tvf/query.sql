-- A window over a subquery that filters and computes, and a query over a
-- subquery's rows: readings of 2 and more, doubled, counted per 10 s.
-- [00,10): s1 3, s2 10, s1 2 -> 3 rows, 30; [10,20): s2 20, s1 5 -> 50;
-- [20,30): s1 7 -> 14.
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT window_start, COUNT(*) AS n, SUM(v) AS doubled
FROM TABLE(TUMBLE(TABLE (
    SELECT sensor_id, value * 2 AS v, ts FROM readings WHERE value >= 2
), DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
