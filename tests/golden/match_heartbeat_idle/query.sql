-- A missing heartbeat fired by the clock once every input is idle: no
-- reading of a machine for 30 s (WITH TIMEOUT ROWS, WITHIN 30 s), delay
-- 1 s, 'watermark.idle-timeout' = '10 s'. m1's reading at 43 s and m2's
-- at 42 s are each machine's last: their attempts time out at 73 s and
-- 72 s (rowtime = deadline - 1 ms). No event time after 43 s ever
-- arrives (the last row is an old one, late), so only processing time
-- can carry the watermark past those deadlines: during the 60 s of
-- silence the watermark follows it (01:47:44 - 1 s, as seen_at shows)
-- and both rows come out. The 41 s -> 43 s pair of m1 is a match
-- (filtered out).
-- consume: heartbeat
-- consume: readings_late
CREATE STREAM readings (
    machine STRING, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json');
SET 'watermark.idle-timeout' = '10 s';
CREATE STREAM heartbeat AS
SELECT machine, last_seen, rt, CURRENT_WATERMARK(rt) AS seen_at
FROM readings MATCH_RECOGNIZE (
    PARTITION BY machine
    ORDER BY ts
    MEASURES R.ts AS last_seen, MATCH_TIMED_OUT() AS timed_out,
             MATCH_ROWTIME() AS rt
    ONE ROW PER MATCH WITH TIMEOUT ROWS
    AFTER MATCH SKIP TO LAST N
    PATTERN (R N) WITHIN INTERVAL '30' SECOND
    DEFINE R AS TRUE, N AS TRUE)
WHERE timed_out
EMIT LATE INTO readings_late;
