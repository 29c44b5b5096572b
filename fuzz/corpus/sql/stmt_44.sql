SET table.exec.source.idle-timeout = '10 s'
