error("this worker fails on purpose")
