-- Columns read through JSON field paths (FROM 'device.id'); timestamps as
-- epoch ms (1795507201000 = 08:00:01Z), with an offset (09:00:04+01:00 =
-- 08:00:04Z), with a space and no zone (UTC), with a short fraction
-- (07.5 = 07.500), with microseconds (truncated to 08.123).
-- Record 4 has no device.id, a NOT NULL column: a dead letter.
-- Record 5: keys in another order, a null value (NULL), an unknown nested
-- field (skipped).
-- A persistent query: a SELECT writes no dead letters (no side effects).
-- consume: result
-- consume: readings.dlq
CREATE STREAM readings (
    sensor_id STRING NOT NULL FROM 'device.id',
    value     DOUBLE FROM 'payload.v',
    ts        TIMESTAMP(3) FROM 'payload.at',
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json');
CREATE STREAM result AS SELECT sensor_id, value, ts FROM readings;
