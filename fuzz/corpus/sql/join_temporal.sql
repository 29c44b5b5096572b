SELECT r.machine_id, r.value, m.line FROM readings r LEFT JOIN machines FOR SYSTEM_TIME AS OF r.ts AS m ON r.machine_id = m.machine_id;
