-- GROUP BY kind (not the record key) across 3 partitions, TUMBLE 10 s,
-- delay 2 s. The plan repartitions by kind (EXPLAIN: "repartition: by kind
-- to topic select-repartition"): 3 stage-0 tasks write the rows and their
-- watermark markers, 3 stage-1 tasks aggregate; a stage-1 watermark is the
-- minimum over the 3 stage-0 tasks' markers.
-- After ts 15 (partition 2): watermarks p0 10, p1 12, p2 13 -> 10 s:
-- [00,10) fires: temp {20, 22, 24} n 3 avg 22; hum {50, 40, 60} n 3 avg 50.
-- End of input: [10,20) temp {26, 28} n 2 avg 27; hum {70} n 1.
CREATE STREAM readings (
    sensor_id STRING,
    kind      STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 3);
SELECT kind, window_start, window_end, COUNT(*) AS n, AVG(value) AS mean,
       COUNT(DISTINCT sensor_id) AS sensors
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY kind, window_start, window_end;
