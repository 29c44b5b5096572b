SET 'k' 'v'
