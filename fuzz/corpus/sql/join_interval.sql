SELECT * FROM a, b WHERE a.k = b.k AND a.ts BETWEEN b.ts - INTERVAL '1' MINUTE AND b.ts + INTERVAL '5' SECOND EMIT LATE INTO l;
SELECT a.* FROM a RIGHT OUTER JOIN b ON b.ts >= a.ts AND b.ts < a.ts + INTERVAL '10' MINUTE AND a.k = b.k AND a.n = b.n;
