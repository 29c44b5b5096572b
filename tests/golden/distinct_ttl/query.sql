-- SELECT DISTINCT with 'table.exec.state.ttl' = 30 s (event time): s1 and
-- s2 once each; s1's state goes 30 s after its newest row (03) once the
-- watermark passes 33 (ts 40 -> watermark 39), so its row at 01:00 is new
-- again; s2 was seen at 40, within 30 s of 01:01: not again.
SET 'table.exec.state.ttl' = '30 s';
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT DISTINCT sensor_id FROM readings;
