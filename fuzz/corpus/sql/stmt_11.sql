SELECT r.*, m.name FROM readings AS r LEFT JOIN machines m ON r.machine_id = m.id
