-- Greedy versus reluctant, and the bounded quantifiers. X has no DEFINE:
-- any row. AFTER MATCH SKIP PAST LAST ROW (the default).
-- greedy     (A+ B?):       0-3 (A A A B), 4-5 (A A; 6 is not B).
-- reluctant  (A+? B?):      one A each, B? still greedy: 0-0, 1-1, 2-3,
--                           4-4, 5-5.
-- few        (A{2,3}? X):   two A then any row: 0-2, then from 3 (B: no),
--                           4-6.
-- many       (A{2,3} X):    0-3, 4-6.
-- upto       (A{,2} B):     from 0: A A then 2 is not B; one A, then 1 is
--                           not B; none, 0 is not B: no match. From 1:
--                           A A B = 1-3.
-- alt        ((A | B){3,} C?): 0-6 (greedy to 5, then 6 C by C?).
-- exactly    (A{2} (B | C)): 1-3 (0-2 is A A A), 4-6.
-- permute    (PERMUTE(B, A) C?): B A or A B then C?: A B at 2-3, then
--                           4-5 is A A: no; none from 5 (A C).
-- consume: greedy
-- consume: reluctant
-- consume: few
-- consume: many
-- consume: upto
-- consume: alt
-- consume: exactly
-- consume: permute
CREATE STREAM events (
    k  STRING,
    i  INT,
    l  STRING,
    ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts
) WITH (topic = 'events', format = 'json');
CREATE STREAM greedy AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts MEASURES FIRST(i) AS f, LAST(i) AS l
    PATTERN (A+ B?) DEFINE A AS l = 'A', B AS l = 'B');
CREATE STREAM reluctant AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts MEASURES FIRST(i) AS f, LAST(i) AS l
    PATTERN (A+? B?) DEFINE A AS l = 'A', B AS l = 'B');
CREATE STREAM few AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts MEASURES FIRST(i) AS f, LAST(i) AS l
    PATTERN (A{2,3}? X) DEFINE A AS l = 'A');
CREATE STREAM many AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts MEASURES FIRST(i) AS f, LAST(i) AS l
    PATTERN (A{2,3} X) DEFINE A AS l = 'A');
CREATE STREAM upto AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts MEASURES FIRST(i) AS f, LAST(i) AS l
    PATTERN (A{,2} B) DEFINE A AS l = 'A', B AS l = 'B');
CREATE STREAM alt AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts MEASURES FIRST(i) AS f, LAST(i) AS l
    PATTERN ((A | B){3,} C?) DEFINE A AS l = 'A', B AS l = 'B', C AS l = 'C');
CREATE STREAM exactly AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts MEASURES FIRST(i) AS f, LAST(i) AS l
    PATTERN (A{2} (B | C)) DEFINE A AS l = 'A', B AS l = 'B', C AS l = 'C');
CREATE STREAM permute AS SELECT * FROM events MATCH_RECOGNIZE (
    PARTITION BY k ORDER BY ts
    MEASURES FIRST(i) AS f, LAST(i) AS l, CLASSIFIER() AS last_var
    PATTERN (PERMUTE(B, A) C?) DEFINE A AS l = 'A', B AS l = 'B', C AS l = 'C');
