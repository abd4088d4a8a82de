-- actors:sleeper -- sleeps (default 10 s) then returns "slept".
local parent, d = ...
if parent then process.send(parent, "sleeping", process.pid()) end
time.sleep(d or "10s")
return "slept"
