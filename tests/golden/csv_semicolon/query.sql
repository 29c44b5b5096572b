-- format = 'csv' with 'csv.delimiter' = ';', TUMBLE 10 s by kind, delay 0.
-- A quoted field may hold the delimiter ("hum;idity"); an empty field is
-- NULL (COUNT(value) skips it, COUNT(*) does not); "s3;temp;22" has 3
-- fields, not 4: a dead letter.
-- ts 12 -> watermark 12 s: [00,10) fires: hum;idity n 1 (40),
--   temp n 2 with 1 value (21.5). End of input: [10,20) temp 23.5.
-- A persistent query: a SELECT writes no dead letters (no side effects).
-- consume: result
-- consume: readings.dlq
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (topic = 'readings', format = 'csv', 'csv.delimiter' = ';');
CREATE STREAM result AS SELECT kind, window_start, window_end, COUNT(*) AS n, COUNT(value) AS with_value,
       SUM(value) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY kind, window_start, window_end;
