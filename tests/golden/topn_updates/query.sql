-- Top-2 temperatures per machine: each row that enters the top 2 emits the
-- ranks from its own down (upserts of machine + rn): m1 50 -> (1: 50);
-- 70 -> (1: 70, 2: 50); 60 -> (2: 60); 10 -> nothing; 90 -> (1: 90,
-- 2: 70). m2 40 -> (1: 40); the second 40 ties: after the first, rank 2.
CREATE STREAM readings (
    machine STRING,
    value   DOUBLE,
    ts      TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT machine, rn, value, ts
FROM (
    SELECT machine, value, ts,
           ROW_NUMBER() OVER (PARTITION BY machine ORDER BY value DESC) AS rn
    FROM readings
)
WHERE rn <= 2;
