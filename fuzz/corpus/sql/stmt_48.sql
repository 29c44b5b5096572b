/* leading */ SELECT /*+ OPTIONS('k'='v') */ 2
