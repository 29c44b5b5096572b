SELECT window_start, COUNT(*) AS n, MAX(temp) AS hottest
FROM TABLE(TUMBLE(TABLE (
    SELECT machine, temp_c AS temp, ts FROM plc WHERE temp_c > 30
    UNION ALL
    SELECT machine, (temp_f - 32) / 1.8 AS temp, at FROM probes
    WHERE temp_f > 86
), DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
