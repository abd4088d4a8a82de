-- killrace.lua -- processes terminated while their VM is still being
-- built (the child boots on the other worker as the parent terminates it)
-- end cleanly, each with its EXIT. An allocation refused to a killed
-- process outside protected mode used to abort the whole runtime.
local t = require("tap").setup(...)
local events = process.events()
-- many quick pairs: a crash here ends the file before its plan
local M = 20000
local done = 0
for _ = 1, M do
  local c = process.spawn("actors:idle", "ward:main")
  if c and process.terminate(c) == true then done = done + 1 end
end
t.is(done, M, M .. " processes spawned and terminated as they started; the runtime goes on")
local N, pids = 2000, {}
for i = 1, N do
  local c = process.spawn_monitored("actors:idle", "ward:main")
  pids[c] = true
  process.terminate(c)
end
local got, terminated = 0, 0
for _ = 1, N do
  local r = channel.select { events:case_receive(), t.after(60000):case_receive() }
  if r.channel ~= events then break end
  local ev = r.value
  if pids[ev.from] then
    got = got + 1
    if tostring(ev.result.error):find("^terminated by ") then terminated = terminated + 1 end
  end
end
t.is(got, N, N .. " processes terminated as they started each sent their EXIT")
t.is(terminated, N, "each EXIT says it was terminated")
t.plan(t.run)
t.done()
