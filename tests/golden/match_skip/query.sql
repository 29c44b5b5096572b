-- PATTERN (A+ B): which AFTER MATCH SKIP decides where the next match may
-- start. Rows: 0 A, 1 A, 2 B, 3 A, 4 B, 5 B, 6 C.
-- PAST LAST ROW: [0..2], then from 3: [3..4]; 5, 6 start nothing.
-- TO NEXT ROW: every start that matches: [0..2], [1..2], [3..4].
-- TO FIRST B (PATTERN (A+ B+)): [0..2] resumes at 2 (B: no match from 2),
--   [3..5] (B+ greedy takes 4, 5).
-- TO LAST A: [0..2] resumes at 1 (the last A): [1..2]; then at 1 (A) again
--   would loop, so the next row: from 2 on: [3..4].
-- consume: past_last
-- consume: next_row
-- consume: to_first
-- consume: to_last
CREATE STREAM events (
    k  STRING,
    i  INT,
    l  STRING,
    ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts
) WITH (topic = 'events', format = 'json');
CREATE STREAM past_last AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES FIRST(i) AS first_i, LAST(i) AS last_i, COUNT(A.*) AS a
    AFTER MATCH SKIP PAST LAST ROW
    PATTERN (A+ B)
    DEFINE A AS l = 'A', B AS l = 'B');
CREATE STREAM next_row AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES FIRST(i) AS first_i, LAST(i) AS last_i, COUNT(A.*) AS a
    AFTER MATCH SKIP TO NEXT ROW
    PATTERN (A+ B)
    DEFINE A AS l = 'A', B AS l = 'B');
CREATE STREAM to_first AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES FIRST(i) AS first_i, LAST(i) AS last_i, COUNT(B.*) AS b
    AFTER MATCH SKIP TO FIRST B
    PATTERN (A+ B+)
    DEFINE A AS l = 'A', B AS l = 'B');
CREATE STREAM to_last AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES FIRST(i) AS first_i, LAST(i) AS last_i, COUNT(A.*) AS a
    AFTER MATCH SKIP TO LAST A
    PATTERN (A+ B)
    DEFINE A AS l = 'A', B AS l = 'B');
