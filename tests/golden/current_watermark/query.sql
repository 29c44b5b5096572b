-- CURRENT_WATERMARK(ts): the watermark before the row's batch (here each
-- record is a batch), NULL before the first. Delay 2 s.
-- ts 5: NULL (late NULL); then watermark 3 s.  ts 4: 3 s, not late.
-- ts 9: 3 s; then watermark 7 s.  ts 6: 7 s, late (6 <= 7).
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT ts, CURRENT_WATERMARK(ts) AS wm, ts <= CURRENT_WATERMARK(ts) AS late
FROM readings;
