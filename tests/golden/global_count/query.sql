-- A global aggregate without GROUP BY over 3 partitions (an updating
-- result, EMIT CHANGES): every row goes to the one partition of the
-- repartition topic and one final task emits the new count after each
-- record: n 1..5. COUNT(*) alone reads no column; it was refused with
-- "cannot plan the repartition".
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 3);
SELECT COUNT(*) AS n FROM readings;
