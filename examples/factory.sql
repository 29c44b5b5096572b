-- factory.sql - the smart-factory pipeline that `make demo` runs.
--
-- Input: `rill simulate --scenario factory --topic readings` (2,000 sensors
-- on 500 machines, 10 readings/s each = 20,000 events/s, JSON like
-- {"sensor_id":"s-0042","machine_id":"m-0010","kind":"vibration",
--  "value":0.8731,"unit":"g","ts":1764000000123}).
-- The simulator delays readings by up to 200 ms (--disorder-ms), sends 0.1%
-- of them up to 2 minutes late (--late-fraction, --late-max-ms) and skews
-- device clocks by up to 50 ms; the watermark and lateness below follow.
-- Dialect: Flink SQL as rill implements it (docs/sql.md).

CREATE STREAM readings (
    sensor_id  STRING,
    machine_id STRING,
    kind       STRING,
    value      DOUBLE,
    unit       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 6);

-- 1. Per-sensor statistics every 10 s, on event time. Readings up to 2
--    minutes late still update their window (EMIT FINAL after the
--    lateness); anything later is kept in readings_late, never dropped.
CREATE TABLE sensor_stats_10s AS
SELECT sensor_id,
       machine_id,
       kind,
       window_start,
       window_end,
       COUNT(*)          AS readings,
       AVG(value)        AS avg_value,
       MIN(value)        AS min_value,
       MAX(value)        AS max_value,
       STDDEV_POP(value) AS stddev_value
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor_id, machine_id, kind, window_start, window_end
ALLOWED LATENESS INTERVAL '120' SECOND
EMIT FINAL
EMIT LATE INTO readings_late;

-- 2. Threshold alerts, per reading, as soon as it arrives (the < 5 s
--    vibration-alert requirement of the course's factory). Baselines:
--    vibration ~0.5 g (a bearing spike adds 2.5-4 g), temperature ~45 C
--    (a bearing failure adds 15-25 C), current ~12 A, acoustic ~70 dB.
CREATE STREAM alerts AS
SELECT sensor_id,
       machine_id,
       kind,
       value,
       ts,
       CASE
           WHEN kind = 'vibration'   THEN 'vibration above 2 g'
           WHEN kind = 'temperature' THEN 'temperature above 70 C'
       END AS reason
FROM readings
WHERE (kind = 'vibration' AND value > 2.0)
   OR (kind = 'temperature' AND value > 70.0);

-- 3. Detection rules, per reading, on a second view of the same topic
--    whose watermark trails by only 0.5 s (the simulator's 200 ms of
--    disorder plus 2 x 50 ms of clock skew fit in it): OVER aggregations
--    see each sensor's readings in event-time order once the watermark
--    passes them, so an alert comes about 0.5 s after the reading that
--    triggers it. Readings later than that are counted and kept in
--    readings_fast_late (reconnect bursts, the 0.1% sent late).
CREATE STREAM readings_fast (
    sensor_id  STRING,
    machine_id STRING,
    kind       STRING,
    value      DOUBLE,
    unit       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '500' MILLISECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 6);

-- 3a. Stuck sensors: the last 20 readings of a sensor (2 s at 10
--     readings/s) are all the same value, and the one before them was
--     not: one alert when a stuck run reaches 2 s (the simulator's stuck
--     faults last 15-45 s; noise never repeats a 4-decimal value 20 times).
CREATE STREAM stuck_sensors AS
SELECT sensor_id, machine_id, kind, value, ts,
       'stuck' AS fault,
       'the same value 20 readings in a row' AS reason
FROM (
    SELECT sensor_id, machine_id, kind, value, ts,
           COUNT(*)   OVER w20 AS n,
           MIN(value) OVER w20 AS lo,
           MAX(value) OVER w20 AS hi,
           MIN(value) OVER w21 AS lo21,
           MAX(value) OVER w21 AS hi21
    FROM readings_fast
    WINDOW w20 AS (PARTITION BY sensor_id ORDER BY ts
                   ROWS BETWEEN 19 PRECEDING AND CURRENT ROW),
           w21 AS (PARTITION BY sensor_id ORDER BY ts
                   ROWS BETWEEN 20 PRECEDING AND CURRENT ROW)
    EMIT LATE INTO readings_fast_late
)
WHERE n = 20 AND lo = hi AND (lo21 < lo OR hi21 > hi);

-- 3b. Vibration anomalies: a reading more than 8 standard deviations
--     above the sensor's last 5 s (50 readings; ZSCORE compares with the
--     frame's other rows) and at least 0.5 g above their mean, where the
--     reading before was not: one alert at the start of a spike (a
--     bearing failure's first sign, docs/sql.md has the formulas).
CREATE STREAM vibration_anomalies AS
SELECT sensor_id, machine_id, kind, value, ts,
       ROUND(z, 1) AS zscore,
       'bearing' AS fault,
       'vibration spike (z-score over the last 5 s)' AS reason
FROM (
    SELECT sensor_id, machine_id, kind, value, ts,
           ZSCORE(value) OVER w AS z,
           AVG(value) OVER w AS mean,
           FIRST_VALUE(value) OVER w2 AS prev
    FROM readings_fast
    WHERE kind = 'vibration'
    WINDOW w AS (PARTITION BY sensor_id ORDER BY ts
                 ROWS BETWEEN 50 PRECEDING AND CURRENT ROW),
           w2 AS (PARTITION BY sensor_id ORDER BY ts
                  ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
)
WHERE z > 8 AND value > mean + 0.5 AND prev < mean + 0.5;

-- 3c. Temperature rises: a reading more than 3 standard deviations and
--     2 C above the sensor's last 30 s, where the reading 2 s before was
--     not 2 C above them: a bearing failure's temperature rise (+15..25 C
--     over 20 s) about 2 s after it starts, long before the 70 C of the
--     threshold rule (which many rises never reach).
CREATE STREAM temperature_anomalies AS
SELECT sensor_id, machine_id, kind, value, ts,
       ROUND(z, 1) AS zscore,
       'bearing' AS fault,
       'temperature rise (z-score over the last 30 s)' AS reason
FROM (
    SELECT sensor_id, machine_id, kind, value, ts,
           ZSCORE(value) OVER w AS z,
           AVG(value) OVER w AS mean,
           FIRST_VALUE(value) OVER w2 AS before
    FROM readings_fast
    WHERE kind = 'temperature'
    WINDOW w AS (PARTITION BY sensor_id ORDER BY ts
                 RANGE BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW),
           w2 AS (PARTITION BY sensor_id ORDER BY ts
                  ROWS BETWEEN 20 PRECEDING AND CURRENT ROW)
)
WHERE z > 3 AND value > mean + 2 AND before < mean + 2;

-- 4. Per machine, 10 s: the GROUP BY key is not the stream's key
--    (sensor_id), so the plan repartitions by machine_id through the
--    internal topic q_4-repartition, whose 6 downstream tasks take the
--    minimum watermark over the 6 upstream ones (EXPLAIN shows both
--    stages). The machine's worst vibration and temperature per window.
CREATE TABLE machine_stats_10s AS
SELECT machine_id, window_start, window_end,
       COUNT(*) AS readings,
       MAX(CASE WHEN kind = 'vibration' THEN value END) AS max_vibration_g,
       MAX(CASE WHEN kind = 'temperature' THEN value END) AS max_temperature_c
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY machine_id, window_start, window_end;

-- 7. The bearing-failure precursor as a pattern (docs/sql.md,
--    "MATCH_RECOGNIZE"): on one machine, a vibration spike (> 2 g; the
--    baseline is ~0.5 g), then within 60 s the machine's temperature 3 C
--    above its first reading after the spike (the simulator ramps a
--    bearing's temperature up 15-25 C over 20 s, starting 10-50 s after
--    the spike: +3 C takes 2.4-4 s of ramp). N*? walks over the other
--    sensors' rows to that first temperature T0 (no other T0 is tried),
--    M*? over any rows after it. Rows are matched in event-time order, so
--    the alert comes once the watermark of readings_fast (0.5 s behind)
--    passes the rise. The stream is keyed by sensor_id: the plan
--    repartitions by machine.
CREATE STREAM bearing_alerts AS
SELECT machine_id, vibration_sensor, spike_ts, spike_g, temperature_sensor,
       rise_ts, temperature_c, rise_c, rise_ts AS ts
FROM readings_fast
    MATCH_RECOGNIZE (
        PARTITION BY machine_id
        ORDER BY ts
        MEASURES
            V.sensor_id         AS vibration_sensor,
            V.ts                AS spike_ts,
            V.value             AS spike_g,
            T.sensor_id         AS temperature_sensor,
            T.ts                AS rise_ts,
            T.value             AS temperature_c,
            T.value - T0.value  AS rise_c
        ONE ROW PER MATCH
        AFTER MATCH SKIP PAST LAST ROW
        PATTERN (V N*? T0 M*? T) WITHIN INTERVAL '60' SECOND
        DEFINE
            V  AS kind = 'vibration' AND value > 2.0,
            N  AS kind <> 'temperature',
            T0 AS kind = 'temperature',
            T  AS kind = 'temperature' AND value >= T0.value + 3.0
    );

-- 8. Missing heartbeat: a sensor (10 readings/s) silent for 2 s. Each
--    reading R waits for the next one, N; AFTER MATCH SKIP TO LAST N makes
--    N the next R. A reading with no successor within 2 s times out
--    (WITH TIMEOUT ROWS): one row, fired by the watermark, and by the
--    clock once every input is idle ('watermark.idle-advance'). The
--    matches themselves (a reading followed by the next) are filtered out.
--    A machine's reconnect burst comes later than readings_fast's 0.5 s:
--    its readings are late, so the machine's sensors show up silent too.
--    (ts, in both rules: the alert's event time, for demo_score.py.)
CREATE STREAM silent_sensors AS
SELECT sensor_id, machine_id, kind, last_seen, silent_at, silent_at AS ts
FROM readings_fast
    MATCH_RECOGNIZE (
        PARTITION BY sensor_id, machine_id, kind
        ORDER BY ts
        MEASURES
            R.ts              AS last_seen,
            MATCH_ROWTIME()   AS silent_at,
            MATCH_TIMED_OUT() AS timed_out
        ONE ROW PER MATCH WITH TIMEOUT ROWS
        AFTER MATCH SKIP TO LAST N
        PATTERN (R N) WITHIN INTERVAL '2' SECOND
        DEFINE R AS TRUE, N AS TRUE
    )
WHERE timed_out;
