SELECT sensor_id, window_start, window_end, AVG(value) AS avg_v
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, window_start, window_end
EMIT FINAL
ALLOWED LATENESS INTERVAL '30' SECOND
EMIT LATE INTO readings_late;
