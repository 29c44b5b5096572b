SELECT sensor_id, value, ts
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY sensor_id ORDER BY ts) AS rn
    FROM readings
)
WHERE rn = 1
EMIT LATE INTO readings_late;
