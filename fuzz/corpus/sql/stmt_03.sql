CREATE TABLE totals (k STRING, n BIGINT) WITH (topic = 'totals')
