-- Timeouts (WITH TIMEOUT ROWS): a partial match whose WITHIN expires is
-- emitted with MATCH_TIMED_OUT() true, when the watermark passes its
-- first row + WITHIN (rowtime = that deadline - 1 ms).
-- 1. bearing: a vibration spike, then a temperature 10 C above the first
--    temperature after it, within 60 s. m1: spike 1 s, temp 45 at 3 s,
--    60 at 20 s: a match (rise 15); X*? is reluctant, so the match ends at
--    once, emitted when 20 s is released (wm 29 s, at m2's 30 s row).
--    m2: spike 2 s, temps 46 at 10 s, 47 at 30 s, then nothing before
--    62 s: times out when the watermark reaches 61.999 s (m1's 70 s row
--    gives wm 69 s); its partial match has no T row: rise NULL.
-- 2. heartbeat: no reading of a machine for 30 s. Each reading R starts
--    an attempt that the next reading N ends (a match, filtered out by
--    WHERE); SKIP TO LAST N lets N start the next one. WITHIN is strict:
--    a match needs N before R + 30 s. m1: 20 s -> 50 s is 30 s: timed
--    out (deadline 49.999 s, seen at wm 69 s). m2: 30 s -> 95 s: timed
--    out at 59.999 s. The last reading of each machine does not: the end
--    of a bounded input is not a timeout (partial matches are dropped).
-- consume: bearing
-- consume: heartbeat
CREATE STREAM readings (
    machine STRING, kind STRING, value DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json');
CREATE STREAM bearing AS
SELECT machine, spike_ts, rise, timed_out, rt, CURRENT_WATERMARK(rt) AS seen_at
FROM readings MATCH_RECOGNIZE (
    PARTITION BY machine
    ORDER BY ts
    MEASURES V.ts AS spike_ts, LAST(T.value) - FIRST(T0.value) AS rise,
             MATCH_TIMED_OUT() AS timed_out, MATCH_ROWTIME() AS rt
    ONE ROW PER MATCH WITH TIMEOUT ROWS
    AFTER MATCH SKIP PAST LAST ROW
    PATTERN (V T0 X*? T) WITHIN INTERVAL '60' SECOND
    DEFINE V AS kind = 'vib' AND value > 2.0,
           T0 AS kind = 'temp',
           T AS kind = 'temp' AND value >= FIRST(T0.value) + 10
);
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
    DEFINE R AS TRUE, N AS TRUE
)
WHERE timed_out;
