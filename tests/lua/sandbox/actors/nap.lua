-- actors:nap -- a child that waits until it is ended (syscalls.sh ends its
-- supervisor under it).
time.sleep(600000)
