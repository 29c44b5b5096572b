-- PATTERN (A B C) over rows in event-time order, whatever their arrival:
-- 1 A, 2 B, 3 C is a match (B arrived after C). 4.5 B (late, within the
-- lateness) breaks nothing: the rows are 4.5 B, 6 A, 7 A, 10 A, 11 B,
-- 12 C: a second match 10-12. The row at 5 s arrived too late: in
-- events_late only, never matched (it would have made 4 B 5 C no match
-- anyway: no A before 4.5 B). A row is too late when ts + lateness <=
-- the watermark on arrival (as for windows).
-- consume: events_late
CREATE STREAM events (
    k  STRING,
    l  STRING,
    ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'events', format = 'json');
SELECT k, first_ts, last_ts FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES FIRST(ts) AS first_ts, LAST(ts) AS last_ts
    PATTERN (A B C)
    DEFINE A AS l = 'A', B AS l = 'B', C AS l = 'C')
ALLOWED LATENESS INTERVAL '1' SECOND
EMIT LATE INTO events_late;
