-- format = 'senml': one row per resolved record; relative times resolve
-- against the processing time, here the virtual arrival time, so the
-- output is deterministic.
-- Pack 1 (arrives 01:46:41): bt -1 -> temp 20 at 01:46:40; t 1 -> temp 21
--   at 01:46:41 (unit from bu); hum 50 at 01:46:40 (its own u).
-- Pack 2 (arrives 01:46:42): temp 25 at 01:46:41.500, no unit (bu does not
--   carry over to another pack).
-- Pack 3: t 1000000003 is absolute (>= 2^28): 2001-09-09T01:46:43.
CREATE STREAM senml_in (
    name  STRING,
    unit  STRING,
    value DOUBLE,
    ts    TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'senml_in', format = 'senml');
SELECT name, unit, value, ts FROM senml_in;
