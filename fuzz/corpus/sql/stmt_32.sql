DROP STREAM readings
