SELECT a.id FROM a INNER JOIN b ON a.id = b.id AND b.ts BETWEEN a.ts - INTERVAL '1' MINUTE AND a.ts
