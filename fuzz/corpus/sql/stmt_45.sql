SET 'parallelism' = 4
