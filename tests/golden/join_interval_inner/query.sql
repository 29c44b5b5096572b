-- Interval join, INNER, two streams of one partition, delay 5 s each:
-- readings r JOIN events e ON the machine and r.ts in [e.ts - 1 min, e.ts]
-- (r.ts - e.ts in [-60 s, 0]). Query watermark = min over both streams.
-- Seconds after 08:00:00:
-- r m1 t1 @10 (wm none: events has no data yet).
-- e m1 open @40 -> wm min(5, 35) = 5: 10 - 40 = -30: (t1, open).
-- r m1 t2 @7, out of order but above wm 5: 7 - 40 = -33: (t2, open).
-- r m2 t3 @20 -> wm 15. e m2 close @30: 20 - 30 = -10: (t3, close).
-- e m1 spike @12 <= wm 15: late (events side): readings_late, not joined
--   (t1 @10 would have matched it).
-- r m1 t4 @90 -> wm min(85, 35) = 35; 90 - 40 = 50: no pair.
-- e m1 stop @100 -> wm 85: t4: 90 - 100 = -10: (t4, stop); t1, t2: -90,
--   -93: none.
-- r m1 t5 @30 <= wm 85: late (readings side).
-- consume: readings_late
CREATE STREAM readings (
    machine_id STRING,
    temp       DOUBLE,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json');
CREATE STREAM events (
    machine_id STRING,
    kind       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'events', format = 'json');
SELECT r.machine_id, r.temp, e.kind, r.ts AS reading_ts, e.ts AS event_ts
FROM readings r JOIN events e
  ON r.machine_id = e.machine_id
 AND r.ts BETWEEN e.ts - INTERVAL '1' MINUTE AND e.ts
EMIT LATE INTO readings_late;
