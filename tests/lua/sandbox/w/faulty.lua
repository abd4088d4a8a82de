-- w:faulty -- a script for faults.sh: spawns a subprocess actor (which
-- the test makes break the wire protocol), prints how it ended, then
-- shows the runtime still works. Its argument is the timeout scale.
local scale = tonumber((...)) or 1
local ev = process.events()
local c, e = process.spawn_monitored("w:ret", "ward:sandbox", 1, 2)
if not c then print("spawn failed: " .. tostring(e)); return end
local r = channel.select { ev:case_receive(), time.after(30000 * scale):case_receive() }
if r.channel ~= ev then print("no EXIT"); return end
print("ended: " .. tostring(r.value.result.error or r.value.result.value))
print("after: " .. tostring(process.exec("w:helper", "ward:main", process.pid(), 5)))
