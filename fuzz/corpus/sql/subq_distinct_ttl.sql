SET 'table.exec.state.ttl' = '30 s';
CREATE STREAM readings (
    sensor_id STRING,
    value     DOUBLE,
    ts        TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (topic = 'readings', format = 'json');
SELECT DISTINCT sensor_id FROM readings;
