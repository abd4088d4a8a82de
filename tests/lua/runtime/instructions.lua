-- ward-args: --instructions 5000000
-- instructions.lua -- DESIGN 2.0: --instructions N ends a process that runs
-- more than N VM instructions, even under pcall; short processes are fine.
local t = require("tap").setup(...)
local me = process.pid()

local function exit_of(pid) return t.exit_of(pid, t.ms(60000)) end

local pid = process.spawn_monitored("actors:loop", "ward:main", 1000)
local res = exit_of(pid)
t.is(res and res.value, 1000, "a short loop finishes within the budget")

pid = process.spawn_monitored("actors:busy", "ward:main")
res = exit_of(pid)
t.like(res and res.error, "instruction budget", "`while true do end` is ended by the budget")
t.like(res and res.error, "5000000", "the error names the budget")

pid = process.spawn_monitored("actors:loop", "ward:main", 1 << 40)
res = exit_of(pid)
t.like(res and res.error, "instruction budget", "a long counting loop is ended")

pid = process.spawn_monitored("actors:loop", "ward:main", 1 << 40, true, me)
res = exit_of(pid)
t.like(res and res.error, "instruction budget", "under pcall too")
do
  local r = channel.select{ process.inbox():case_receive(), time.after("100ms"):case_receive() }
  t.ok(r.channel ~= process.inbox(), "the pcall did not get to report (nothing swallowed)")
end

pid = process.spawn_monitored("actors:pcallbusy", "ward:main")
res = exit_of(pid)
t.like(res and res.error, "instruction budget", "a pcall busy loop is ended")

-- the budget is per process: each new one starts from zero
local ok = 0
for _ = 1, 5 do
  pid = process.spawn_monitored("actors:loop", "ward:main", 100000)
  res = exit_of(pid)
  if res and res.value == 100000 then ok = ok + 1 end
end
t.is(ok, 5, "five processes of 100k iterations each all finish (per-process budget)")

t.plan(t.run)
t.done()
