DESCRIBE readings
