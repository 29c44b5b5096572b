-- Window join, FULL OUTER, of two TUMBLE 1 minute windows (Flink's form:
-- window TVFs in subqueries, ON the key and both window bounds). Rows
-- pair when their key and window are equal; a row is late only once its
-- window closed (watermark >= window end - 1); unmatched rows are emitted
-- when their window closes. Delay 5 s each, one partition each. Seconds
-- after 08:00:00:
-- r m1 t1 @10 [0,60) (wm none: events has no data yet).
-- e m1 a @50 [0,60) -> wm 5: (t1, a).
-- r m2 t2 @40 -> wm 35. e m1 b @70 [60,120) -> wm 35.
-- r m1 t3 @65 [60,120): (t3, b); wm min(60, 65) = 60: [0,60) closes:
--   t2 never matched: (t2, NULL).
-- e m2 c @30, r m1 t4 @58: their window [0,60) closed: late.
-- e m1 f @60 is at the watermark (60), but its window [60,120) is open:
--   not late in a window join: (t3, f).
-- e m3 d @100 -> wm 60. r m1 t5 @118 -> wm min(113, 95) = 95: (t5, b),
--   (t5, f).
-- End of input: [60,120) closes: d never matched: (NULL, d).
-- consume: late_rows
CREATE STREAM readings (
    machine_id STRING,
    temp       INT,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json');
CREATE STREAM events (
    machine_id STRING,
    kind       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'events', format = 'json');
SELECT COALESCE(r.machine_id, e.machine_id) AS machine_id,
       COALESCE(r.window_start, e.window_start) AS window_start,
       COALESCE(r.window_end, e.window_end) AS window_end,
       r.temp, e.kind
FROM (SELECT * FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '1' MINUTE))) r
FULL JOIN (SELECT * FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' MINUTE))) e
  ON r.machine_id = e.machine_id
 AND r.window_start = e.window_start AND r.window_end = e.window_end
EMIT LATE INTO late_rows;
