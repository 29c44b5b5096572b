-- Interval join, FULL OUTER, written with >= and <=: e.ts in [r.ts,
-- r.ts + 30 s], i.e. r.ts - e.ts in [-30 s, 0]. readings has 2 partitions
-- (delay 2 s), events 1 (delay 0): the join's delay is the larger, 2 s;
-- the query watermark is the minimum over the three partitions; both
-- streams are repartitioned by machine_id. A left row is dropped when the
-- watermark reaches r.ts + 30 s, a right row at e.ts; unmatched ones are
-- emitted then, NULL-padded. Seconds after 08:00:00:
-- r m1 v1 @10 (p0), r m2 v2 @12 (p1); wm none until events has data.
-- e m1 a @25 -> wm min(8, 10, 23) = 8: 10 - 25 = -15: (v1, a).
-- e m2 b @50: 12 - 50 = -38: none.
-- r m1 v3 @40 (p0) -> wm 10; r m2 v4 @45 (p1) -> wm 38: 45 - 50 = -5:
--   (v4, b); a (due 25) dropped, matched.
-- r m1 v5 @8 <= 38: late: readings_late.
-- e m1 c @70 -> wm stays 38 (p0 38): 40 - 70 = -30: (v3, c).
-- r m3 v6 @80 (p0) -> wm 43: v1 (due 40, matched) dropped; v2 (due 42)
--   never matched: (v2, NULL).
-- r m2 v7 @90 (p1) -> wm 68: b (due 50) dropped, matched.
-- End of input: v6 and v7 never matched: (v6, NULL), (v7, NULL).
-- consume: joined
-- consume: readings_late
CREATE STREAM readings (
    machine_id STRING,
    v          INT,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json', partitions = 2);
CREATE STREAM events (
    machine_id STRING,
    kind       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts
) WITH (topic = 'events', format = 'json');
CREATE STREAM joined AS
SELECT COALESCE(r.machine_id, e.machine_id) AS machine_id, r.v, e.kind
FROM readings AS r FULL OUTER JOIN events AS e
  ON r.machine_id = e.machine_id
 AND e.ts >= r.ts AND e.ts <= r.ts + INTERVAL '30' SECOND
EMIT LATE INTO readings_late;
