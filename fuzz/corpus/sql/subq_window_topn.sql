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
