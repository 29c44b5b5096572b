-- Repetitions of groups that can match no rows: an optional iteration
-- that matched no rows ends the repetition, at its place in the
-- preference order (Perl's and Python's rule; the oracle test compares
-- with Python's re).
-- loops ((A? B?)+ C), ALL ROWS PER MATCH: 0-2 A A C (the third iteration
--   is empty: the repetition ends, C), 3-6 A B A C, 7-8 B C.
-- first ((A??)* X), X any row: A?? prefers no row, so the first
--   iteration is empty and ends the repetition: X alone, at every row
--   (a VM that loops back instead would prefer A X: 0-1).
-- consume: loops
-- consume: first
CREATE STREAM events (
    k  STRING,
    i  INT,
    l  STRING,
    ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts
) WITH (topic = 'events', format = 'json');
CREATE STREAM loops AS SELECT k, i, cls, n FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES CLASSIFIER() AS cls, MATCH_NUMBER() AS n
    ALL ROWS PER MATCH
    PATTERN ((A? B?)+ C)
    DEFINE A AS l = 'A', B AS l = 'B', C AS l = 'C');
CREATE STREAM first AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES FIRST(i) AS f, LAST(i) AS l, CLASSIFIER() AS cls
    PATTERN ((A??)* X) DEFINE A AS l = 'A');
