CREATE STREAM alerts WITH (topic = 'alerts-out', format = 'json') AS SELECT * FROM readings WHERE kind = 'temp' AND value > 80
