-- per-sensor statistics every 10 seconds
SELECT sensor_id, window_start, window_end,
       COUNT(*) AS n, AVG(value) AS avg_v, MIN(value) AS min_v, MAX(value) AS max_v
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end;

-- 1-minute averages updated every 10 seconds
SELECT sensor_id, window_end, AVG(value) AS avg_1m
FROM TABLE(HOP(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '1' MINUTE))
GROUP BY sensor_id, window_start, window_end;

-- running hourly count, reported every minute
SELECT machine_id, window_start, window_end, COUNT(*) AS so_far
FROM TABLE(CUMULATE(TABLE readings, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '1' HOUR))
GROUP BY machine_id, window_start, window_end;

-- bursts of activity per machine, separated by 2 quiet minutes
SELECT machine_id, window_start, window_end, COUNT(*) AS n
FROM TABLE(SESSION(TABLE readings PARTITION BY machine_id, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
GROUP BY machine_id, window_start, window_end;
