show topics
