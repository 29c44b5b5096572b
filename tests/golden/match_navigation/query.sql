-- A V shape per symbol: PATTERN (D+ U+), D a fall from the previous row
-- of the same symbol (PREV), U a rise. Watermark delay 1 s.
-- x: 10 12 9 8 11 13 7 6 9. D needs a previous row: 10 is nothing, 12 is
--   a rise (no D before it). 9 8 fall (D D), 11 13 rise (U U), 7 breaks
--   U+: match 1 = 9 8 11 13 (rows 3-6 s): bottom 8, top 13, 2 downs,
--   AVG(D.price) 8.5, CLASSIFIER() U (the last row's), MATCH_NUMBER 1,
--   MATCH_ROWTIME 6 s, FIRST(price, 1) the second row 8, LAST(price, 1)
--   the one before the last 11, SUM(U.price) 24, MIN(price) 8,
--   MAX(D.price) 9.
--   7 6 fall, 9 rises, then the input ends: match 2 = 7 6 9 (7-9 s).
-- y: 50 40 45 46: 40 D, 45 U, 46 U (greedy U+): one match at the end of
--   input, 2.5 s - 7.5 s, number 1 for y.
-- Output comes when the watermark passes a match's end and its U+ can
-- grow no more: x's first match once row 7 s is released (wm 7 s at
-- ts 8 s), the rest at the end of input.
CREATE STREAM ticks (
    sym   STRING,
    price INT,
    ts    TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'ticks', format = 'json');
SELECT sym, start_ts, bottom, top, downs, avg_down, cls, n, rt, second,
       before_last, up_sum, lowest, highest_down
FROM ticks MATCH_RECOGNIZE (
    PARTITION BY sym
    ORDER BY ts
    MEASURES FIRST(D.ts) AS start_ts, LAST(D.price) AS bottom,
             LAST(U.price) AS top, COUNT(D.*) AS downs,
             AVG(D.price) AS avg_down, CLASSIFIER() AS cls,
             MATCH_NUMBER() AS n, MATCH_ROWTIME() AS rt,
             FIRST(price, 1) AS second, LAST(price, 1) AS before_last,
             SUM(U.price) AS up_sum, MIN(price) AS lowest,
             MAX(D.price) AS highest_down
    ONE ROW PER MATCH
    AFTER MATCH SKIP PAST LAST ROW
    PATTERN (D+ U+)
    DEFINE D AS D.price < PREV(D.price),
           U AS U.price > PREV(price)
);
