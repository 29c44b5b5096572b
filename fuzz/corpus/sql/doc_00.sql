CREATE STREAM readings (
    sensor_id  STRING,
    machine_id STRING,
    kind       STRING,
    value      DOUBLE,
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (topic = 'readings', format = 'json', key = 'sensor_id', partitions = 8);
