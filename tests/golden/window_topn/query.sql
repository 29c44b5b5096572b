-- Window Top-N over a window aggregate, as Flink writes it: the two
-- sensors with the largest sum per 10 s window, one row per rank when the
-- window closes. [00,10): a 10, b 9, c 3, d 2 -> a, b (a's 20 at 05
-- arrives after the window closed at ts 13 - 1 s: late, counted by the
-- aggregate, to late_rows). [10,20): d 7, b 2, c 1 -> d, b.
-- consume: late_rows
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT window_start, window_end, rn, sensor_id, total
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end
                                 ORDER BY total DESC) AS rn
    FROM (
        SELECT window_start, window_end, sensor_id, SUM(value) AS total
        FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
        GROUP BY window_start, window_end, sensor_id
        EMIT LATE INTO late_rows
    )
)
WHERE rn <= 2;
