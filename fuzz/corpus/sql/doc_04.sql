SELECT v.machine_id, v.value AS vibration, t.value AS temperature
FROM readings v
JOIN readings t
  ON v.machine_id = t.machine_id
 AND t.ts BETWEEN v.ts AND v.ts + INTERVAL '1' MINUTE
WHERE v.kind = 'vibration' AND t.kind = 'temperature';
