SET 'scan.startup.mode' = 'latest-offset'
