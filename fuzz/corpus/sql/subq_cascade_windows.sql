SELECT window_start, window_end, SUM(partial) AS total, COUNT(*) AS windows
FROM TABLE(TUMBLE(TABLE (
    SELECT sensor_id, window_time AS rowtime, SUM(value) AS partial
    FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '5' SECOND))
    GROUP BY sensor_id, window_start, window_end, window_time
), DESCRIPTOR(rowtime), INTERVAL '20' SECOND))
GROUP BY window_start, window_end;
