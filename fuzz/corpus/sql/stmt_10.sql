SELECT DISTINCT machine_id FROM readings
