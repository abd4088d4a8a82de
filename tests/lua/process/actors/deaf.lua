-- actors:deaf -- reads nothing: sleeps for a minute.
time.sleep("60s")
