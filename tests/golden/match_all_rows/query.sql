-- ALL ROWS PER MATCH: a row per matched row, every input column, then the
-- measures over the match up to that row (RUNNING): CLASSIFIER() is the
-- row's own variable, COUNT(A.*) and LAST(i) grow row by row;
-- MATCH_NUMBER() is the match's. Rows: 0 A, 1 A, 2 B, 3 A, 4 B, 5 B, 6 C.
-- PATTERN (A+ B): matches 0-2 and 3-4: 5 rows out: 0, 1, 2
-- (match 1), 3, 4 (match 2).
CREATE STREAM events (
    k  STRING,
    i  INT,
    l  STRING,
    ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts
) WITH (topic = 'events', format = 'json');
SELECT k, i, cls, a_so_far, n
FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES CLASSIFIER() AS cls, COUNT(A.*) AS a_so_far,
             MATCH_NUMBER() AS n
    ALL ROWS PER MATCH
    PATTERN (A+ B)
    DEFINE A AS l = 'A', B AS l = 'B');
