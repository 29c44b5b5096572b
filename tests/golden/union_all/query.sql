-- UNION ALL of two streams with different columns, aligned by position
-- (the probes' Fahrenheit converted), then aggregated per 10 s window over
-- the union's event time. Readings above 30 C: [00,10): plc m1 60.5, probe
-- m2 70.0, probe m1 60.0, plc m2 71.0 -> 4 rows, max 71.0; [10,20): probe
-- m2 100.0 (plc m1 20.0 and probe m1 10.0 filtered) -> 1 row, max 100.0.
CREATE STREAM plc (machine STRING, temp_c DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (topic = 'plc', format = 'json');
CREATE STREAM probes (probe STRING, machine STRING, temp_f DOUBLE,
    at TIMESTAMP(3), WATERMARK FOR at AS at - INTERVAL '2' SECOND)
    WITH (topic = 'probes', format = 'json', partitions = 2);
SELECT window_start, COUNT(*) AS n, MAX(temp) AS hottest
FROM TABLE(TUMBLE(TABLE (
    SELECT machine, temp_c AS temp, ts FROM plc WHERE temp_c > 30
    UNION ALL
    SELECT machine, (temp_f - 32) / 1.8 AS temp, at FROM probes
    WHERE temp_f > 86
), DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
