error("disk full")
