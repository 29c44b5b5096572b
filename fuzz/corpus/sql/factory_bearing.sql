CREATE STREAM bearing_alerts AS
SELECT *
FROM readings
    MATCH_RECOGNIZE (
        PARTITION BY machine_id
        ORDER BY ts
        MEASURES
            SPIKE.sensor_id       AS vibration_sensor,
            FIRST(SPIKE.ts)       AS spike_ts,
            MAX(SPIKE.value)      AS spike_g,
            HOT.sensor_id         AS temperature_sensor,
            FIRST(HOT.ts)         AS rise_ts,
            HOT.value             AS temperature_c
        ONE ROW PER MATCH
        AFTER MATCH SKIP PAST LAST ROW
        PATTERN (SPIKE+ OTHER*? HOT) WITHIN INTERVAL '60' SECOND
        DEFINE
            SPIKE AS SPIKE.kind = 'vibration' AND SPIKE.value > 2.0,
            OTHER AS TRUE,
            HOT   AS HOT.kind = 'temperature' AND HOT.value > 60.0
    );
