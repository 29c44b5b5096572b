-- Temporal join (event time): readings LEFT JOIN the versioned table
-- machines FOR SYSTEM_TIME AS OF r.ts, keyed by machine_id. A reading
-- waits until the watermark reaches its time, then takes the version of
-- its machine with the largest time at or below its own. One delay for
-- both inputs: the larger, 5 s. Seconds after 08:00:00:
-- m1 A @0, m2 B @0; r m1 t1 @10, r m2 t2 @20 (wm min(-5, 15) = -5).
-- m1 C @30 -> wm min(25, 15) = 15: t1 @10 -> A.
-- r m1 t3 @25 (above wm 15). r m1 t4 @35 -> wm 25: t2 @20 -> B; t3 @25
--   -> A (C is from 30).
-- r m3 t5 @36 -> wm 25. m2 D @40 -> wm 31 (C is now the only m1 version
--   anyone can need: A goes).
-- m1 "late" @5 <= 31: late (readings_late), never a version.
-- r m2 t6 @45 -> wm 35: t4 @35 -> C. r m1 t7 @29 <= 35: late.
-- r m2 t8 @60 -> wm 35. End of input: t5 @36 -> no m3: NULL; t6 @45 -> D;
--   t8 @60 -> D.
-- consume: readings_late
CREATE TABLE machines (
    machine_id STRING,
    line       STRING,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts
) WITH (topic = 'machines', format = 'json', key = 'machine_id');
CREATE STREAM readings (
    machine_id STRING,
    temp       INT,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT r.machine_id, r.temp, r.ts, m.line
FROM readings r
LEFT JOIN machines FOR SYSTEM_TIME AS OF r.ts AS m
  ON r.machine_id = m.machine_id
EMIT LATE INTO readings_late;
