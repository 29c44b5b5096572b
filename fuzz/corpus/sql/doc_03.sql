DROP STREAM readings;            -- removes it from the catalog (the topic stays)
DROP TABLE IF EXISTS sensor_stats;
DROP QUERY q_3;                  -- stops a persistent query
SHOW STREAMS; SHOW TABLES; SHOW QUERIES; SHOW TOPICS;
DESCRIBE readings;
SET 'scan.startup.mode' = 'latest-offset';
