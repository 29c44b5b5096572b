select lower(kind) k, value AS v from readings where value is not null and kind in ('temp', 'hum')
