SELECT x FROM (SELECT value * 2 AS x FROM readings) AS sub WHERE x > 1
