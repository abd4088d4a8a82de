-- actors:sleeper -- tells its parent it is up, then waits for an inbox
-- message for at most an hour (a timer it holds until it ends), and ends.
local parent = ...
process.send(parent, "up")
channel.select { process.inbox():case_receive(), time.after(3600000):case_receive() }
return true
